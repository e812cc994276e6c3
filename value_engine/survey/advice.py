"""From survey findings to the articles' strategies, each citing its passage.

Like the customer rules in value_engine.recommendations, every piece of advice names the
article and a quote that must occur in one of its passages; the quote is resolved through
the knowledge layer's PassageLookup, so advice can only cite what really is in the index.
Findings without a strategy in the articles (a reverse Kano feature, say) get no advice
rather than an invented source. Findings that do not pass the guardrails (too few
answers, not significant, a tie, doubtful Kano answers, a driver that hurts) get no
advice either: the card says what the data cannot tell instead.
"""

from __future__ import annotations

from dataclasses import dataclass

from value_engine import cjk
from value_engine.models import Recommendation
from value_engine.recommendations import LANGS, PassageLookup
from value_engine.survey.models import (
    DeliveredReport,
    EquityReport,
    KanoCategory,
    KanoReport,
)

DOC_HOW_TO_ADD = "000"
DOC_CRM = "001"
DOC_EQUITY = "004"
MAX_NAMED = 3  # features or drivers named in one piece of advice

# en, zh-Hant, zh-Hans
COMPONENT_NAMES: dict[str, tuple[str, str, str]] = {
    "product": ("product value", "產品價值", "产品价值"),
    "service": ("service value", "服務價值", "服务价值"),
    "personnel": ("personnel value", "人員價值", "人员价值"),
    "image": ("image value", "形象價值", "形象价值"),
    "monetary": ("monetary cost", "貨幣成本", "货币成本"),
    "usage": ("usage cost", "使用成本", "使用成本"),
    "time": ("time cost", "時間成本", "时间成本"),
    "energy": ("energy cost", "精力成本", "精力成本"),
}
GROUP_NAMES: dict[str, tuple[str, str, str]] = {
    "value": ("value equity", "價值資產", "价值资产"),
    "brand": ("brand equity", "品牌資產", "品牌资产"),
    "retention": ("retention equity", "維繫資產", "维系资产"),
}


@dataclass(frozen=True, slots=True)
class _Advice:
    action: tuple[str, str, str]
    doc: str
    quote: str


WEAKEST: dict[str, _Advice] = {
    "product": _Advice(
        (
            "Improve the product itself first (function, features, quality, design): "
            "customers rate product value lowest of all components.",
            "優先改進產品本身(功能、特性、品質、式樣):顧客對產品價值的評分在各項中最低。",
            "优先改进产品本身(功能、特性、品质、式样):顾客对产品价值的评分在各项中最低。",
        ),
        DOC_HOW_TO_ADD,
        "產品價值始終是顧客價值構成的第一要素",
    ),
    "service": _Advice(
        (
            "Raise service value: the services around the product are what customers rate "
            "lowest; judge them by one standard, whether the customer is satisfied.",
            "提高服務價值:顧客對產品相關服務的評分最低;以「顧客是否滿意」作為唯一標準改進。",
            "提高服务价值:顾客对产品相关服务的评分最低;以“顾客是否满意”作为唯一标准改进。",
        ),
        DOC_HOW_TO_ADD,
        "服務價值是與產品價值相關但又可以獨立評價的附加價值",
    ),
    "personnel": _Advice(
        (
            "Train the people who meet customers (attitude, product knowledge, service "
            "skills): personnel value is rated lowest.",
            "加強第一線人員的培訓(服務態度、專業知識、服務技能):人員價值的評分最低。",
            "加强第一线人员的培训(服务态度、专业知识、服务技能):人员价值的评分最低。",
        ),
        DOC_HOW_TO_ADD,
        "人員價值主要表現為語言、行動、服飾、服務態度、專業知識、服務技能",
    ),
    "image": _Advice(
        (
            "Build the brand-based image: image value is rated lowest, and it is an "
            "increasingly important driver of customer value.",
            "建立以品牌為基礎的形象:形象價值評分最低,而它是日益重要的顧客價值驅動因素。",
            "建立以品牌为基础的形象:形象价值评分最低,而它是日益重要的顾客价值驱动因素。",
        ),
        DOC_HOW_TO_ADD,
        "以品牌為基礎的形象價值是顧客價值日益重要的驅動因素",
    ),
    "monetary": _Advice(
        (
            "Look at price first: customers feel the monetary cost most, and it is the cost "
            "they weigh before time and effort.",
            "先檢視價格:顧客最在意貨幣成本,這是他們在時間和精力之前首先考慮的成本。",
            "先检视价格:顾客最在意货币成本,这是他们在时间和精力之前首先考虑的成本。",
        ),
        DOC_HOW_TO_ADD,
        "顧客首先要考慮貨幣成本的大小",
    ),
    "usage": _Advice(
        (
            "Lower the cost of using the product (installation, upkeep, support): "
            "customers feel the usage cost most.",
            "降低顧客的使用成本(安裝、維護、支援):顧客最在意使用成本。",
            "降低顾客的使用成本(安装、维护、支援):顾客最在意使用成本。",
        ),
        DOC_CRM,
        "提供優質服務,降低顧客使用成本",
    ),
    "time": _Advice(
        (
            "Cut the time customers spend buying and waiting (faster ordering, delivery, "
            "service): the lower the time cost, the greater the value they get.",
            "縮短顧客購買和等候的時間(更快的下單、交貨和服務):時間成本越低,顧客價值越大。",
            "缩短顾客购买和等候的时间(更快的下单、交货和服务):时间成本越低,顾客价值越大。",
        ),
        DOC_HOW_TO_ADD,
        "時間成本越低,顧客購買的總成本越小,顧客價值越大",
    ),
    "energy": _Advice(
        (
            "Make buying effortless: give customers complete product information through "
            "their channels so they spend less effort searching and deciding.",
            "讓購買省心省力:透過各種渠道提供完整的產品資訊,減少顧客蒐集資訊和判斷選擇的精力。",
            "让购买省心省力:通过各种渠道提供完整的产品资讯,减少顾客搜集资讯和判断选择的精力。",
        ),
        DOC_HOW_TO_ADD,
        "這樣可以大幅降低顧客購買過程中花費在信息收集及其他需要耗費精力方面的成本",
    ),
}

VALUE_MAP_WORSE = _Advice(
    (
        "{competitor} offers more value for what customers pay: raise perceived benefits "
        "or lower what customers give up, starting with the weakest component.",
        "{competitor} 以同樣付出提供更多價值:提高顧客的感知收益或降低其感知付出,從最弱的一項開始。",
        "{competitor} 以同样付出提供更多价值:提高顾客的感知收益或降低其感知付出,从最弱的一项开始。",
    ),
    DOC_HOW_TO_ADD,
    "提高顧客的感知收益和降低顧客的感知付出",
)
KANO_BASICS = _Advice(
    (
        "Get the basics right at the lowest cost ({features}): customers take them for "
        "granted, so missing them causes dissatisfaction, but investing beyond the minimum "
        "raises no satisfaction.",
        "以最低成本把基本需求做好({features}):顧客視為理所當然,做不到會不滿,"
        "但超出最低要求的投資不會提高滿意度。",
        "以最低成本把基本需求做好({features}):顾客视为理所当然,做不到会不满,"
        "但超出最低要求的投资不会提高满意度。",
    ),
    DOC_CRM,
    "滿足基本需求的原則:一是確保滿足顧客的最低需求,二是避免不必要的投資",
)
KANO_PERFORMANCE = _Advice(
    (
        "Compete on the performance needs ({features}): the more of them you provide, "
        "the more satisfied customers are.",
        "在滿足性需求上競爭({features}):提供得越多,顧客就越滿意。",
        "在满足性需求上竞争({features}):提供得越多,顾客就越满意。",
    ),
    DOC_CRM,
    "與滿意度有正相關:企業提供越多顧客就越滿意",
)
KANO_ATTRACTIVE = _Advice(
    (
        "Innovate with the attractive features ({features}): customers do not expect them, "
        "so offering them raises satisfaction fastest.",
        "以吸引性需求創新({features}):顧客沒有預期,提供後滿意度提升最快。",
        "以吸引性需求创新({features}):顾客没有预期,提供后满意度提升最快。",
    ),
    DOC_CRM,
    "滿足吸引性需求是提高滿意度的最佳途徑",
)
EQUITY_FOCUS = _Advice(
    (
        "Put resources where they return most: {drivers} {weigh} more than the average "
        "driver in what customers do and {perform} below the average.",
        "把資源投向回報最高的地方:{drivers} 對顧客行為的影響高於平均,表現卻低於平均。",
        "把资源投向回报最高的地方:{drivers} 对顾客行为的影响高于平均,表现却低于平均。",
    ),
    DOC_EQUITY,
    "选择对企业客户资产有最高回报的资产领域投资",
)
EQUITY_GROUP: dict[str, _Advice] = {
    "value": _Advice(
        (
            "Value equity weighs most for your customers: better quality, lower prices or "
            "more convenience, and less time, risk and search cost for them.",
            "對您的顧客而言價值資產最重要:提供更好的品質、更低的價格或更便利的體驗,並減少顧客的時間、風險和尋找成本。",
            "对您的顾客而言价值资产最重要:提供更好的品质、更低的价格或更便利的体验,并减少顾客的时间、风险和寻找成本。",
        ),
        DOC_EQUITY,
        "价值资产来源于客户就质量、价格和便利性等情况对品牌价值的客观评价",
    ),
    "brand": _Advice(
        (
            "Brand equity weighs most for your customers: work on its three drivers, "
            "brand awareness, attitude towards the brand and brand ethics.",
            "對您的顧客而言品牌資產最重要:從品牌知曉度、品牌態度和品牌道德三個驅動要素著手。",
            "对您的顾客而言品牌资产最重要:从品牌知晓度、品牌态度和品牌道德三个驱动要素着手。",
        ),
        DOC_EQUITY,
        "品牌资产有三个特有的驱动要素:品牌知晓度、品牌态度、品牌道德",
    ),
    "retention": _Advice(
        (
            "Retention equity weighs most for your customers: the real experience of "
            "dealing with you, loyalty programmes and relationship building.",
            "對您的顧客而言維繫資產最重要:重視顧客與企業交易的真實體驗、忠誠計劃和關係培養。",
            "对您的顾客而言维系资产最重要:重视顾客与企业交易的真实体验、忠诚计划和关系培养。",
        ),
        DOC_EQUITY,
        "维系资产来源于客户和企业交易的真实体验",
    ),
}


def _names(names: list[str]) -> tuple[str, str, str]:
    shown = names[:MAX_NAMED]
    more = len(names) - len(shown)
    return (
        ", ".join(shown) + (f" and {more} more" if more else ""),
        "、".join(shown) + (f" 等 {len(names)} 項" if more else ""),
        "、".join(shown) + (f" 等 {len(names)} 项" if more else ""),
    )


def _spaced(lang: str, text: str) -> str:
    """Chinese: no space between a Chinese name and the Chinese text around it."""
    return text if lang == LANGS[0] else cjk.tighten(text)


def _make(
    strategy: str,
    advice: _Advice,
    reason: tuple[str, str, str],
    lookup: PassageLookup,
    fill: tuple[dict[str, str], dict[str, str], dict[str, str]] | None = None,
) -> Recommendation:
    fills = fill or ({}, {}, {})
    return Recommendation(
        strategy=strategy,
        action={
            lang: _spaced(lang, text.format(**values))
            for lang, text, values in zip(LANGS, advice.action, fills, strict=True)
        },
        reason={lang: _spaced(lang, text) for lang, text in zip(LANGS, reason, strict=True)},
        citation=lookup.find(advice.doc, advice.quote),
    )


def delivered_advice(report: DeliveredReport, lookup: PassageLookup) -> list[Recommendation]:
    overall = report.overall
    found: list[Recommendation] = []
    if not overall.sufficient:
        return found
    name = COMPONENT_NAMES[overall.weakest]
    if overall.weakest_clear:
        found.append(
            _make(
                f"weakest_{overall.weakest}",
                WEAKEST[overall.weakest],
                (
                    f"Weakest component: {name[0]}.",
                    f"最弱的一項:{name[1]}。",
                    f"最弱的一项:{name[2]}。",
                ),
                lookup,
            )
        )
    if overall.map_position == "worse" and overall.map_clear and overall.competitor:
        who = overall.competitor
        found.append(
            _make(
                "value_map_behind",
                VALUE_MAP_WORSE,
                (
                    # "Rival Co." ends its own sentence: no second full stop.
                    f"Below the fair-value line against {who}" + ("" if who.endswith(".") else "."),
                    f"相對於 {who} 落在公平價值線之下。",
                    f"相对于 {who} 落在公平价值线之下。",
                ),
                lookup,
                ({"competitor": who}, {"competitor": who}, {"competitor": who}),
            )
        )
    return found


def kano_advice(report: KanoReport, lookup: PassageLookup) -> list[Recommendation]:
    found: list[Recommendation] = []
    if report.doubtful:  # answers this odd say more about the questionnaire than the product
        return found
    plans = (
        (KanoCategory.MUST_BE, KANO_BASICS, "kano_basics", "Q1", lambda f: f.worse),
        (KanoCategory.ONE_DIMENSIONAL, KANO_PERFORMANCE, "kano_performance", "Q2", None),
        (KanoCategory.ATTRACTIVE, KANO_ATTRACTIVE, "kano_attractive", "Q3", None),
    )
    for category, advice, strategy, level, key in plans:
        features = [
            f
            for f in report.features
            if f.category is category and f.significant and not f.doubtful
        ]
        if not features:
            continue
        # Most telling first: basics by how much their absence hurts, others by Better.
        features.sort(key=key or (lambda f: -f.better))
        names = _names([f.feature for f in features])
        found.append(
            _make(
                strategy,
                advice,
                (
                    f"Kano: {len(features)} feature{'s' if len(features) > 1 else ''} in "
                    f"level {level}.",
                    f"Kano 分析:{len(features)} 項屬於 {level} 層次。",
                    f"Kano 分析:{len(features)} 项属于 {level} 层次。",
                ),
                lookup,
                tuple({"features": n} for n in names),  # type: ignore[arg-type]
            )
        )
    return found


def equity_advice(report: EquityReport, lookup: PassageLookup) -> list[Recommendation]:
    found: list[Recommendation] = []
    if not report.significant:
        return found
    fix = report.fix_first
    if fix:
        names = _names([d.driver for d in fix])
        # fix first: a share of R² above the average driver's and a rating below the
        # average (drivers._priorities), so not necessarily the heaviest driver
        one = len(fix) == 1  # "quality weighs more", not "quality weigh more"
        verbs = {"weigh": "weighs" if one else "weigh", "perform": "performs" if one else "perform"}
        found.append(
            _make(
                "equity_focus",
                EQUITY_FOCUS,
                (
                    "An important driver performing below average."
                    if one
                    else "Important drivers performing below average.",
                    "重要但表現低於平均的驅動因素。",
                    "重要但表现低于平均的驱动因素。",
                ),
                lookup,
                tuple({"drivers": n, **verbs} for n in names),  # type: ignore[arg-type]
            )
        )
    shares = report.group_shares
    heaviest = report.group_lead
    hurts = {d.group for d in report.hurting}
    if heaviest in EQUITY_GROUP and heaviest not in hurts:
        group = GROUP_NAMES[heaviest]
        share = f"{shares[heaviest] * 100:.0f}%"
        found.append(
            _make(
                f"equity_{heaviest}",
                EQUITY_GROUP[heaviest],
                (
                    f"{group[0].capitalize()} explains {share} of what the model explains.",
                    f"{group[1]} 佔模型解釋力的 {share}。",
                    f"{group[2]} 占模型解释力的 {share}。",
                ),
                lookup,
            )
        )
    return found
