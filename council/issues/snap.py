"""随手拍: a category suggested from the one line a person types on a phone. Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# Words that point to a category, for the default categories of a council.
KEYWORDS: Mapping[str, tuple[str, ...]] = {
    "油烟": ("油烟", "排烟", "排风", "熏", "烟雾", "烧烤烟"),
    "噪音": ("噪音", "噪声", "吵", "音响", "喇叭", "放音乐"),
    "占道经营": ("占道", "外摆", "摆摊", "摊位", "桌椅", "人行道", "占用"),
    "停车": ("停车", "违停", "车位", "乱停", "堵车", "电动车", "汽车"),
    "环境卫生": ("垃圾", "污水", "隔油池", "臭", "脏", "下水道", "积水", "卫生", "老鼠"),
    "消防安全": ("消防", "煤气", "液化气", "电线", "着火", "灭火器", "通道堵"),
}
FALLBACK = "其他"


def suggest_category(line: str, categories: Sequence[str]) -> str:
    """The council's category the line speaks of most; 其他 (or the last one) otherwise."""
    best, score = "", 0
    for category in categories:
        hits = sum(1 for word in KEYWORDS.get(category, ()) if word in line)
        if hits > score:
            best, score = category, hits
    if best:
        return best
    return FALLBACK if FALLBACK in categories else (categories[-1] if categories else FALLBACK)
