"""Matters, meetings, multi-round consultation and action plans (会议 · 多轮协商 · 行动计划)."""
