"""The field's bilingual vocabulary.

The articles are Chinese; staff also ask in English. Dense embeddings bridge the
languages roughly, exact terms ("brand equity", "Kano", "80/20") need a bridge
that is exact: this table maps English terms to the Simplified Chinese terms the
articles use. It is domain vocabulary, not question-specific hints: add a term
when the articles use it.
"""

from __future__ import annotations

import re

EN_TO_ZH: dict[str, tuple[str, ...]] = {
    "customer value management": ("客户价值管理",),
    "customer value": ("客户价值", "顾客价值"),
    "perceived value": ("感知价值", "顾客感知价值"),
    "customer perceived value": ("顾客感知价值",),
    "delivered value": ("让渡价值", "交付价值"),
    "total value": ("总价值", "购买总价值"),
    "total cost": ("总成本", "购买总成本"),
    "product value": ("产品价值",),
    "service value": ("服务价值",),
    "personnel value": ("人员价值",),
    "image value": ("形象价值",),
    "monetary cost": ("货币成本",),
    "money cost": ("货币成本",),
    "time cost": ("时间成本",),
    "energy cost": ("精力成本",),
    "usage cost": ("使用成本",),
    "kano": ("狩野纪昭", "需求", "层次"),
    "basic need": ("基本需求",),
    "performance need": ("满足性需求",),
    "satisfier": ("满足性需求",),
    "attractive need": ("吸引性需求",),
    "delighter": ("吸引性需求", "愉悦性"),
    "need levels": ("需求", "层次"),
    "customer lifetime value": ("客户生命周期价值", "终身价值"),
    "lifetime value": ("生命周期价值", "终身价值"),
    "clv": ("客户生命周期价值",),
    "ltv": ("终身价值",),
    "customer equity": ("客户资产",),
    "value equity": ("价值资产",),
    "brand equity": ("品牌资产",),
    "retention equity": ("维系资产",),
    "retention": ("维系", "客户维系率", "保持率"),
    "loyalty": ("忠诚度", "忠诚"),
    "satisfaction": ("满意度", "满意"),
    "80/20": ("二八", "80%", "20%"),
    "pareto": ("二八",),
    "realized value": ("既成价值",),
    "historic value": ("既成价值",),
    "potential value": ("潜在价值",),
    "influence value": ("影响价值",),
    "referral": ("影响价值",),
    "crm": ("客户关系管理", "CRM"),
    "customer relationship management": ("客户关系管理",),
    "core idea": ("核心思想",),
    "value co-creation": ("价值共创",),
    "co-creation": ("价值共创",),
    "service-dominant logic": ("服务主导逻辑",),
    "service dominant logic": ("服务主导逻辑",),
    "functional value": ("功能价值",),
    "emotional value": ("情感价值",),
    "social value": ("社会价值",),
    "economic value": ("经济价值",),
    "value driver": ("驱动因素",),
    "trigger event": ("驱动因素",),
    "core competence": ("核心竞争力",),
    "core competitiveness": ("核心竞争力",),
    "value proposition": ("价值主张",),
    "cost performance": ("性价比",),
    "price performance": ("性价比",),
    "quality management": ("品质管理",),
    "brand": ("品牌",),
    "starbucks": ("星巴克",),
    "motorola": ("摩托罗拉",),
    "iridium": ("铱星",),
    "nokia": ("诺基亚",),
    "huawei": ("华为",),
    "apple": ("苹果",),
    "amazon": ("亚马逊",),
    "marlboro": ("万宝路",),
    "haier": ("海尔",),
    "advertising": ("广告",),
    "churn": ("流失",),
    "customer churn": ("顾客流失",),
    "strategy": ("策略",),
    "customer asset": ("客户资产",),
    "profit": ("利润",),
    "differentiation": ("差异化",),
    "competitor": ("竞争对手",),
}

_TERMS = sorted(EN_TO_ZH, key=len, reverse=True)
_PATTERN = re.compile(
    r"(?<![a-z0-9])(" + "|".join(re.escape(t) for t in _TERMS) + r")s?(?![a-z0-9])"
)


def english_terms(text: str) -> list[str]:
    """The glossary terms an English question uses (plurals too), longest first, no overlaps."""
    return _PATTERN.findall(text.lower())


def bridge(text: str) -> list[str]:
    """Chinese terms for the English domain terms in `text`."""
    out: list[str] = []
    for term in english_terms(text):
        for zh in EN_TO_ZH[term]:
            if zh not in out:
                out.append(zh)
    return out
