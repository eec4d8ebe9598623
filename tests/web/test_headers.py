"""Security headers on every response type, and the host check (S19, S29)."""

from __future__ import annotations

import pytest

from tests.support import Client, sign_in

REQUIRED = {
    "content-security-policy": "default-src 'self'",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        ("/", {}, 200),
        ("/c/zhonglou", {"HX-Request": "true"}, 200),
        ("/static/css/council-1.css", {}, 200),
        ("/healthz", {}, 200),
        ("/c/no-such-council", {}, 404),
        ("/no/such/page", {}, 404),
        ("/c/no-such-council", {"HX-Request": "true"}, 404),
        ("/signout", {}, 405),
    ],
)
async def test_S29_security_headers_on_every_response(
    client: Client, path: str, headers: dict[str, str], status: int
) -> None:
    response = await client.get(path, headers=headers)
    assert response.status_code == status
    for name, value in REQUIRED.items():
        assert value in response.headers.get(name, ""), name
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


async def test_S29_headers_on_a_refused_post(client: Client) -> None:
    await sign_in(client, "zhuchi")
    response = await client.post("/c/zhonglou/manage/shops", data={"number": "1"})
    assert response.status_code == 403
    for name, value in REQUIRED.items():
        assert value in response.headers.get(name, "")


async def test_S19_missing_host_with_forwarded_host_is_refused(client: Client) -> None:
    from council.web.security import SecurityMiddleware

    sent: list[dict[str, object]] = []

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("the request must not reach the application")

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    middleware = SecurityMiddleware(app, client.app.state.settings)  # type: ignore[arg-type]
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/",
        "headers": [(b"x-forwarded-host", b"testserver.local")],
    }
    await middleware(scope, None, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 400


async def test_unknown_host_is_refused(client: Client) -> None:
    response = await client.get("/", headers={"host": "evil.example"})
    assert response.status_code == 400


async def test_S21_reflected_input_in_paths_and_queries_is_escaped(client: Client) -> None:
    payload = "<script>alert(1)</script>"
    response = await client.get(f"/c/{payload}")
    assert response.status_code == 404 and payload not in response.text
    response = await client.get("/signin", params={"next": '"><script>alert(1)</script>'})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.text
    response = await client.get("/", params={"notice": payload})
    assert payload not in response.text


async def test_planted_csrf_cookie_is_escaped_in_pages(client: Client) -> None:
    """CVE-2026-48060: the CSRF token comes from a cookie the client controls."""
    hostile = 'x"><script>alert(1)</script>'
    client.cookies.set("csrftoken", hostile, domain="testserver.local")
    response = await client.get("/signin")
    assert "<script>alert(1)</script>" not in response.text
