"""Which survey a CSV file holds, and which column is which, from its header.

Three layouts, headers in English or Chinese:
- Kano, long: respondent_id, feature, functional, dysfunctional (+ customer_id, segment);
- delivered value, wide: respondent_id, then one column per component rated, e.g.
  value:product, cost:time (or 產品價值, 時間成本), optional weight:<component> and
  competitor:<component> columns and a competitor name column;
- customer-equity drivers, wide: respondent_id, outcome, then <group>:<driver> columns with
  group value, brand or retention (or 價值, 品牌, 維系).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from value_engine.survey.models import COST_COMPONENTS, VALUE_COMPONENTS, Instrument

ALIASES: dict[str, tuple[str, ...]] = {
    "respondent_id": (
        "respondent_id",
        "respondent",
        "respondent id",
        "受訪者編號",
        "受访者编号",
        "受訪者",
        "受访者",
        "問卷編號",
        "问卷编号",
    ),
    "customer_id": ("customer_id", "customer id", "customer", "客戶編號", "客户编号"),
    "segment": ("segment", "分群", "客群", "類別", "类别"),
    "feature": ("feature", "功能", "特性", "屬性", "属性"),
    "functional": ("functional", "正向", "正向問題", "正向问题", "具備時", "具备时"),
    "dysfunctional": ("dysfunctional", "反向", "反向問題", "反向问题", "不具備時", "不具备时"),
    "outcome": (
        "outcome",
        "intention",
        "repurchase_intention",
        "再購意願",
        "再购意愿",
        "結果",
        "结果",
    ),
    "scale": ("scale", "量表", "量表分數", "量表分数"),
    "competitor": ("competitor", "競爭者", "竞争者", "競爭對手", "竞争对手"),
}

COMPONENT_ALIASES: dict[str, tuple[str, ...]] = {
    "product": ("product", "product_value", "產品價值", "产品价值"),
    "service": ("service", "service_value", "服務價值", "服务价值"),
    "personnel": ("personnel", "personnel_value", "人員價值", "人员价值"),
    "image": ("image", "image_value", "形象價值", "形象价值"),
    "monetary": (
        "monetary",
        "monetary_cost",
        "price",
        "price_cost",
        "貨幣成本",
        "货币成本",
        "價格成本",
        "价格成本",
    ),
    "usage": ("usage", "usage_cost", "使用成本"),
    "time": ("time", "time_cost", "時間成本", "时间成本"),
    "energy": ("energy", "energy_cost", "effort", "精力成本"),
}
KIND_PREFIXES = {
    "value": ("value", "價值", "价值"),
    "cost": ("cost", "成本"),
    "weight": ("weight", "importance", "權重", "权重", "重要性"),
    "competitor": ("competitor", "競爭者", "竞争者", "競爭對手", "竞争对手"),
}
GROUP_PREFIXES = {
    "value": ("value", "價值", "价值", "價值資產", "价值资产"),
    "brand": ("brand", "品牌", "品牌資產", "品牌资产"),
    "retention": ("retention", "維系", "维系", "維繫", "維系資產", "维系资产", "維繫資產"),
}
SEPARATORS = (":", ":")


@dataclass(slots=True)
class Layout:
    instrument: Instrument
    columns: dict[str, int] = field(default_factory=dict)  # respondent_id, customer_id, ...
    # Delivered value: component -> column of the rating / importance / competitor rating.
    ratings: dict[str, int] = field(default_factory=dict)
    weights: dict[str, int] = field(default_factory=dict)
    competitor: dict[str, int] = field(default_factory=dict)
    # Equity: (group, driver) -> column.
    drivers: dict[tuple[str, str], int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # columns this layout cannot use


def _split(name: str) -> tuple[str, str] | None:
    for sep in SEPARATORS:
        if sep in name:
            head, _, tail = name.partition(sep)
            return head.strip(), tail.strip()
    return None


def _component(name: str) -> str | None:
    for component, aliases in COMPONENT_ALIASES.items():
        if name in aliases:
            return component
    return None


def _prefixed(name: str, table: dict[str, tuple[str, ...]]) -> tuple[str, str] | None:
    parts = _split(name)
    if parts is None:
        return None
    head, tail = parts
    for key, aliases in table.items():
        if head in aliases and tail:
            return key, tail
    return None


def _plain_columns(names: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, aliases in ALIASES.items():
        for i, name in enumerate(names):
            if name in aliases and key not in found:
                found[key] = i
    return found


def detect(header: list[str]) -> Instrument | None:
    names = [h.strip().lower() for h in header]
    plain = _plain_columns(names)
    if "functional" in plain and "dysfunctional" in plain:
        return Instrument.KANO
    groups = [_prefixed(n, GROUP_PREFIXES) for n in names]
    if "outcome" in plain or any(g is not None and g[0] != "value" for g in groups):
        return Instrument.EQUITY
    for name in names:
        kind = _prefixed(name, KIND_PREFIXES)
        if kind is not None and _component(kind[1]) is not None:
            return Instrument.DELIVERED
        if _component(name) is not None and name not in ("time", "price"):
            return Instrument.DELIVERED
    return None


def layout(header: list[str], instrument: Instrument) -> Layout:
    names = [h.strip().lower() for h in header]
    result = Layout(instrument, columns=_plain_columns(names))
    used = set(result.columns.values())
    if instrument is Instrument.KANO:
        required = ["respondent_id", "feature", "functional", "dysfunctional"]
    elif instrument is Instrument.DELIVERED:
        required = ["respondent_id"]
        for i, name in enumerate(names):
            if i in used:
                continue
            kind = _prefixed(name, KIND_PREFIXES)
            component = _component(kind[1]) if kind else _component(name)
            if component is None:
                result.unknown.append(header[i].strip())
                continue
            target = {
                "weight": result.weights,
                "competitor": result.competitor,
            }.get(kind[0] if kind else "", result.ratings)
            expected_kind = "value" if component in VALUE_COMPONENTS else "cost"
            if kind and kind[0] in ("value", "cost") and kind[0] != expected_kind:
                result.unknown.append(header[i].strip())
                continue
            target[component] = i
        if not any(c in result.ratings for c in VALUE_COMPONENTS):
            result.missing.append("value:<component>")
        if not any(c in result.ratings for c in COST_COMPONENTS):
            result.missing.append("cost:<component>")
    else:
        required = ["respondent_id"]
        for i, name in enumerate(names):
            if i in used:
                continue
            grouped = _prefixed(name, GROUP_PREFIXES)
            if grouped is None:
                result.unknown.append(header[i].strip())
                continue
            original = _split(header[i].strip())
            result.drivers[(grouped[0], original[1] if original else grouped[1])] = i
        if not result.drivers:
            result.missing.append("<group>:<driver>")
    result.missing[:0] = [key for key in required if key not in result.columns]
    return result
