"""From a customer's measures to the corpus's strategies, by one readable rule table.

Each rule names the conditions it needs (any field left out matches anything),
the action in three languages, and the passage of the source articles it comes
from (article id plus a quote that must occur in that article's passage). The
quote is resolved through a `PassageLookup`, which the knowledge layer provides,
so a recommendation can only ever cite a passage that really is in the index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from value_engine.models import (
    Citation,
    CustomerScore,
    Recommendation,
    RfmSegment,
    Risk,
    Tier,
    Trend,
)

LOW_MARGIN_BELOW = 0.15  # profit below 15% of revenue: costly to serve


class PassageLookup(Protocol):
    def find(self, doc_prefix: str, quote: str) -> Citation | None: ...


@dataclass(frozen=True, slots=True)
class Rule:
    strategy: str
    tiers: frozenset[Tier] | None = None
    risks: frozenset[Risk] | None = None
    trends: frozenset[Trend] | None = None
    segments: frozenset[RfmSegment] | None = None
    extra: Callable[[CustomerScore], bool] | None = None
    extra_label: str = ""
    action: tuple[str, str, str] = ("", "", "")  # en, zh-Hant, zh-Hans
    reason: tuple[str, str, str] = ("", "", "")
    doc: str = ""
    quote: str = ""

    def matches(self, score: CustomerScore) -> bool:
        return (
            (self.tiers is None or score.tier in self.tiers)
            and (self.risks is None or score.risk in self.risks)
            and (self.trends is None or score.trend in self.trends)
            and (self.segments is None or score.segment in self.segments)
            and (self.extra is None or self.extra(score))
        )


def _low_margin(score: CustomerScore) -> bool:
    return score.revenue > 0 and score.margin_rate < LOW_MARGIN_BELOW


def _refers_others(score: CustomerScore) -> bool:
    return score.referrals > 0


def _high_potential(score: CustomerScore) -> bool:
    return score.potential_value > max(score.realized_value, 0.0) * 0.5


A, B, C = Tier.A, Tier.B, Tier.C
DOC_HOW_TO_ADD = "000"  # 如何增加顧客價值 (several questions on customer value)
DOC_CRM = "001"  # 顧客關系管理從創造顧客價值開始
DOC_CVM = "002"  # 客戶價值管理之道
DOC_EQUITY = "004"  # 客户资产 (customer equity)

# Order is priority: a customer gets at most MAX_RECOMMENDATIONS, the first that match.
RULES: tuple[Rule, ...] = (
    Rule(
        strategy="retention_equity",
        tiers=frozenset({A, B}),
        risks=frozenset({Risk.HIGH, Risk.MEDIUM}),
        action=(
            "Protect retention equity now: a personal call from the account manager, "
            "a loyalty offer that raises the chance of the next purchase, and a review of "
            "recent service problems.",
            "立即鞏固維繫資產:由客戶經理親自聯繫,提供提高再次購買可能性的忠誠方案,"
            "並檢視最近的服務問題。",
            "立即巩固维系资产:由客户经理亲自联系,提供提高再次购买可能性的忠诚方案,"
            "并检视最近的服务问题。",
        ),
        reason=(
            "High value, and the model sees a real chance this customer is slipping away.",
            "價值高,而模型顯示這位客戶有流失的可能。",
            "价值高,而模型显示这位客户有流失的可能。",
        ),
        doc=DOC_EQUITY,
        quote="提升维系资产:维系资产来源于客户和企业交易的真实体验",
    ),
    Rule(
        strategy="premium_service",
        tiers=frozenset({A}),
        risks=frozenset({Risk.LOW}),
        action=(
            "Serve as a key account: better products and service than the standard offer, "
            "matched to this customer's needs.",
            "以重點客戶對待:提供比標準方案更優質、貼合其需求的產品和服務。",
            "以重点客户对待:提供比标准方案更优质、贴合其需求的产品和服务。",
        ),
        reason=(
            "One of the customers who together make 80% of profit, and still active.",
            "屬於貢獻八成利潤的客戶之一,而且仍然活躍。",
            "属于贡献八成利润的客户之一,而且仍然活跃。",
        ),
        doc=DOC_CVM,
        quote="為高價值客戶提供更優質的產品和服務",
    ),
    Rule(
        strategy="low_cost_channel",
        tiers=frozenset({C}),
        extra=_low_margin,
        action=(
            "Move service to lower-cost channels (online ordering, self-service); "
            "do not aim for 100% retention at any cost.",
            "把服務轉到成本較低的渠道(網上下單、自助服務);不必不惜成本追求百分之百保留。",
            "把服务转到成本较低的渠道(网上下单、自助服务);不必不惜成本追求百分之百保留。",
        ),
        reason=(
            "Low value and a thin margin: serving this customer costs much of what they bring.",
            "價值低且利潤率薄:服務成本吃掉了大部分收益。",
            "价值低且利润率薄:服务成本吃掉了大部分收益。",
        ),
        doc=DOC_CRM,
        quote="增加顧客對低成本流程、服務或渠道的使用",
    ),
    Rule(
        strategy="limit_spend",
        tiers=frozenset({C}),
        risks=frozenset({Risk.HIGH}),
        action=(
            "Keep spending on this customer low: at most a low-cost reactivation message; "
            "put the budget where the value is.",
            "控制在這位客戶身上的投入:最多發一次低成本的喚回訊息,把預算放在高價值客戶上。",
            "控制在这位客户身上的投入:最多发一次低成本的唤回信息,把预算放在高价值客户上。",
        ),
        reason=(
            "Low value and probably gone: spreading investment evenly wastes it.",
            "價值低且很可能已流失:平均分配投資只會浪費資源。",
            "价值低且很可能已流失:平均分配投资只会浪费资源。",
        ),
        doc=DOC_EQUITY,
        quote="平均分配它的投资",
    ),
    Rule(
        strategy="advocate",
        extra=_refers_others,
        extra_label="referrals",
        action=(
            "Thank and involve this customer as an advocate (referral programme, references): "
            "their recommendations bring in other customers.",
            "把這位客戶當作推薦者來感謝與經營(推薦計劃、參考客戶):他的推薦會帶來其他客戶。",
            "把这位客户当作推荐者来感谢与经营(推荐计划、参考客户):他的推荐会带来其他客户。",
        ),
        reason=(
            "Has referred other customers: influence value.",
            "曾推薦其他客戶:具有影響價值。",
            "曾推荐其他客户:具有影响价值。",
        ),
        doc=DOC_CVM,
        quote="影響其他客戶前來進行購買所產生的價值稱為影響價值",
    ),
    Rule(
        strategy="onboarding",
        trends=frozenset({Trend.NEW}),
        action=(
            "Onboard well: product introduction, training and trials so the customer gets "
            "value early and buys again.",
            "做好新客戶引導:產品介紹、技術培訓和試用,讓客戶及早感受到價值並再次購買。",
            "做好新客户引导:产品介绍、技术培训和试用,让客户及早感受到价值并再次购买。",
        ),
        reason=("A new customer.", "新客戶。", "新客户。"),
        doc=DOC_HOW_TO_ADD,
        quote="提供技術培訓、產品介紹和試用等服務",
    ),
    Rule(
        strategy="diagnose_decline",
        trends=frozenset({Trend.DOWN}),
        action=(
            "Find out why purchases are falling: a satisfied customer can still buy less and "
            "leave; ask about unmet basic needs.",
            "找出購買減少的原因:滿意的客戶也可能逐漸減少購買而流失;詢問尚未滿足的基本需求。",
            "找出购买减少的原因:满意的客户也可能逐渐减少购买而流失;询问尚未满足的基本需求。",
        ),
        reason=(
            "Profit in the last quarter fell against the quarter before.",
            "最近一季的利潤比前一季下降。",
            "最近一季的利润比前一季下降。",
        ),
        doc=DOC_CRM,
        quote="顧客滿意不等于顧客不會流失",
    ),
    Rule(
        strategy="cross_sell",
        tiers=frozenset({B, C}),
        risks=frozenset({Risk.LOW, Risk.MEDIUM}),
        extra=_high_potential,
        action=(
            "Grow the relationship: offer related or complementary products.",
            "擴大合作:提供關聯或互補的產品。",
            "扩大合作:提供关联或互补的产品。",
        ),
        reason=(
            "Expected future profit is large compared with what this customer has brought so far.",
            "預期未來利潤相對於目前已實現的價值相當可觀。",
            "预期未来利润相对于目前已实现的价值相当可观。",
        ),
        doc=DOC_HOW_TO_ADD,
        quote="為顧客提供關聯或互補產品",
    ),
    Rule(
        strategy="reward_loyalty",
        segments=frozenset({RfmSegment.CHAMPIONS, RfmSegment.LOYAL}),
        action=(
            "Reward loyalty by sharing value back (points that turn into benefits), "
            "which raises perceived value.",
            "以回饋分享獎勵忠誠(累積點數轉為權益),提高顧客感知價值。",
            "以回馈分享奖励忠诚(累积点数转为权益),提高顾客感知价值。",
        ),
        reason=(
            "Buys often, recently and for large amounts.",
            "購買頻繁、近期有購買而且金額高。",
            "购买频繁、近期有购买而且金额高。",
        ),
        doc=DOC_HOW_TO_ADD,
        quote="通過利潤直接分享使產品增值",
    ),
)
MAX_RECOMMENDATIONS = 3
LANGS = ("en", "zh-Hant", "zh-Hans")


def recommend(score: CustomerScore, lookup: PassageLookup) -> list[Recommendation]:
    chosen: list[Recommendation] = []
    for rule in RULES:
        if not rule.matches(score):
            continue
        chosen.append(
            Recommendation(
                strategy=rule.strategy,
                action=dict(zip(LANGS, rule.action, strict=True)),
                reason=dict(zip(LANGS, rule.reason, strict=True)),
                citation=lookup.find(rule.doc, rule.quote),
            )
        )
        if len(chosen) == MAX_RECOMMENDATIONS:
            break
    return chosen


def drivers(score: CustomerScore) -> list[str]:
    """Keys of the facts that explain this customer's value, most telling first."""
    found: list[str] = []
    if score.tier is Tier.A:
        found.append("top_profit")
    if score.frequency == 0:
        found.append("one_time_buyer")
    elif score.f_score >= 4:
        found.append("frequent")
    if score.r_score >= 4:
        found.append("recent")
    elif score.r_score <= 2:
        found.append("long_inactive")
    if score.m_score >= 4:
        found.append("big_spender")
    if score.risk is Risk.HIGH:
        found.append("likely_churned")
    if score.referrals:
        found.append("referrer")
    if _low_margin(score):
        found.append("low_margin")
    if score.trend is Trend.DOWN:
        found.append("declining")
    elif score.trend is Trend.UP:
        found.append("growing")
    return found
