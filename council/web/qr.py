"""QR codes as SVG, drawn by the `qrcode` library: paths only, no script, no external request."""

from __future__ import annotations

import io

from litestar import Response


def qr_svg(text: str, box_size: int = 8) -> str:
    # Imported here: only a few pages draw a code, and qrcode brings Pillow with it.
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(
        text, image_factory=qrcode.image.svg.SvgPathImage, box_size=box_size, border=2
    )
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode()


def svg_response(svg: str, cache_control: str) -> Response[str]:
    return Response(
        content=svg, media_type="image/svg+xml", headers={"Cache-Control": cache_control}
    )
