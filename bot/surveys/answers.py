"""Kano answers as the codes 1..5, from the codes themselves or the words people write.

1 = like, 2 = must-be, 3 = neutral, 4 = live with, 5 = dislike (the contract's coding), in
English or Chinese, as survey tools export them.
"""

from __future__ import annotations

KANO_LABELS: dict[str, int] = {}
for _code, _labels in {
    1: ("like", "i like it", "like it", "喜歡", "喜欢", "我喜歡", "我喜欢", "很喜歡", "很喜欢"),
    2: (
        "must-be",
        "must be",
        "mustbe",
        "expect",
        "i expect it",
        "expected",
        "理所當然",
        "理所当然",
        "應該的",
        "应该的",
        "必須",
        "必须",
        "必須的",
        "必须的",
    ),
    3: ("neutral", "i am neutral", "indifferent", "無所謂", "无所谓", "中立", "沒感覺", "没感觉"),
    4: (
        "live with",
        "live-with",
        "livewith",
        "i can live with it",
        "tolerate",
        "can tolerate",
        "能忍受",
        "可以忍受",
        "勉強接受",
        "勉强接受",
    ),
    5: ("dislike", "i dislike it", "dislike it", "不喜歡", "不喜欢", "我不喜歡", "我不喜欢"),
}.items():
    KANO_LABELS[str(_code)] = _code
    for _label in _labels:
        KANO_LABELS[_label] = _code


def kano_code(raw: str) -> int | None:
    text = raw.strip().lower()
    if text.endswith(".0"):
        text = text[:-2]
    return KANO_LABELS.get(text)
