"""Texts of what a survey finding can and cannot tell (issue 25): sample-size and
significance guardrails, intervals, driver direction, Kano answer quality, segment tests.
English and Traditional Chinese; Simplified Chinese is derived with OpenCC."""

from __future__ import annotations

from knowledge.models import Lang
from knowledge.script import to_simplified

_EN_ZH: dict[str, tuple[str, str]] = {
    "interval": ("{low} to {high}", "{low} 至 {high}"),
    # an interval after a figure; left out where the guardrails' minimum of answers is not met
    # or no resample could give one
    "interval_bracket": (" ({low} to {high})", "({low} 至 {high})"),
    "interval_95": (" (95% interval {low} to {high})", "(95% 區間 {low} 至 {high})"),
    "interval_note": (
        "Ranges in brackets are 95% intervals ({resamples} bootstrap resamples of the "
        "respondents): with other customers answering, the figure would very likely fall "
        "inside.",
        "括號中的範圍是 95% 區間(對受訪者做 {resamples} 次自助重抽):換一批顧客回答,"
        "數字很可能落在這個範圍內。",
    ),
    # equity drivers
    "eq_fit": (
        "Adjusted R² {adj} · F-test {p}",
        "調整後 R² {adj} · F 檢定 {p}",
    ),
    "eq_not_enough": (
        "<b>Not enough answers</b> to rank the drivers: {respondents}, and with {drivers} "
        "at least {need} are needed (Green's rule: 50 + 8 per driver for the model, 104 + 1 "
        "per driver for each driver), so {more} more. No driver is advised on until then.",
        "<b>回覆不足</b>,無法排列驅動因素:目前 {n} 位受訪者,{k} 個驅動因素至少需要 {need} 位"
        "(Green 準則:整體模型 50 + 每個因素 8 位,個別因素 104 + 每個因素 1 位),"
        "還需 {more} 位。在此之前不對任何驅動因素提出建議。",
    ),
    "eq_not_significant": (
        "The drivers <b>do not explain</b> {outcome} beyond chance (F-test {p}), so no driver "
        "is advised on.",
        "這些驅動因素對{outcome}的解釋<b>未超出隨機程度</b>(F 檢定 {p}),因此不對任何驅動因素"
        "提出建議。",
    ),
    "eq_more_for_f": (
        "If the link is as strong as the adjusted R² says, about {need} answers would show "
        "it ({more} more).",
        "若關係的強度如調整後 R² 所示,約需 {need} 份回覆才能確認(還需 {more} 份)。",
    ),
    "eq_no_link": (
        "There is no sign of a link: more answers of the same kind are unlikely to change that.",
        "看不出任何關係:再多同類回覆也不太可能改變這個結論。",
    ),
    "eq_driver_row": (
        "{n}. {group} · {driver}: {share} of R²{interval} · {direction} · performance "
        "{performance} · {priority}",
        "{n}. {group} · {driver}:佔 R² 的 {share}{interval} · {direction} · 表現 "
        "{performance} · {priority}",
    ),
    "n_drivers": ("{n} drivers", "{n} 個驅動因素"),
    "n_drivers_one": ("{n} driver", "{n} 個驅動因素"),
    "dir_helps": ("↑ raises {outcome}", "↑ 提高{outcome}"),
    "dir_hurts": ("↓ lowers {outcome}", "↓ 降低{outcome}"),
    "dir_unclear": ("direction unclear (β {beta})", "方向不明(β {beta})"),
    "prio_hurts": ("hurts: do not invest in more of it", "有負面影響:不要加碼投入"),
    "prio_unclear": ("no clear effect", "影響不明確"),
    # a driver with a clear direction in a model that fails the guardrails (too few answers)
    "prio_not_ranked": ("not ranked yet", "尚未排序"),
    "eq_hurts": (
        "<b>{drivers}</b> hurts: the higher customers rate it, the lower their {outcome}, "
        "with the other drivers held constant. Do not invest in more of it; find out why.",
        "<b>{drivers}</b> 有負面影響:在其他因素不變下,顧客評分越高,{outcome}越低。"
        "不要加碼投入,先找出原因。",
    ),
    "eq_hurts_many": (
        "<b>{drivers}</b> hurt: the higher customers rate them, the lower their {outcome}, "
        "with the other drivers held constant. Do not invest in more of them; find out why.",
        "<b>{drivers}</b> 有負面影響:在其他因素不變下,顧客評分越高,{outcome}越低。"
        "不要加碼投入,先找出原因。",
    ),
    "eq_no_lead": (
        "No part of customer equity weighs clearly more than the others.",
        "顧客資產的各組成之間沒有明顯的輕重差別。",
    ),
    # delivered value
    "dv_interval": (
        "Delivered value Vc {vc}{interval}; {negative} of respondents "
        "get less value than they give up (Vc &lt; 0).",
        "讓渡價值 Vc {vc}{interval};{negative} 的受訪者得到的價值少於付出(Vc &lt; 0)。",
    ),
    "dv_weakest_tied": (
        "Weakest components, <b>tied</b>: {names}",
        "最弱的幾項<b>並列</b>:{names}",
    ),
    "dv_weakest_unclear": (
        "{name} is not clearly weaker than {runner} (the difference is within chance).",
        "{name} 並未明顯弱於 {runner}(差距在隨機範圍內)。",
    ),
    "dv_weakest_more": (
        "About {need} answers would tell ({more} more), if the difference stays as it is.",
        "若差距維持不變,約需 {need} 份回覆才能判斷(還需 {more} 份)。",
    ),
    "dv_not_enough": (
        "<b>Not enough answers</b> to advise: {respondents}, at least {need} needed ({more} more).",
        "<b>回覆不足</b>,無法提出建議:目前 {n} 位受訪者,至少需要 {need} 位(還需 {more} 位)。",
    ),
    "dv_map_unclear": (
        "The value map's verdict is within chance: the 95% interval reaches the fair-value line.",
        "價值圖的結論在隨機範圍內:95% 區間觸及公平價值線。",
    ),
    # Kano
    "kano_feature_row": (
        "{n}. {feature}: <b>{category}</b>{level} · Better {better}{binterval} · "
        "Worse {worse}{winterval}",
        "{n}. {feature}:<b>{category}</b>{level} · Better {better}{binterval} · "
        "Worse {worse}{winterval}",
    ),
    "kano_counts": (
        "   {counts} · category strength {strength} · total strength {total}",
        "   {counts} · 類別強度 {strength} · 總強度 {total}",
    ),
    "kano_mixed": ("mixed", "混合"),
    "kano_feature_more": (
        "   not settled yet: about {need} answers would tell ({more} more)",
        "   尚無定論:約需 {need} 份回覆才能判斷(還需 {more} 份)",
    ),
    "kano_feature_tie": (
        "   a tie between {a} and {b}: more answers like these would not settle it",
        "   {a} 與 {b} 並列:再多同類回覆也無法判斷",
    ),
    "kano_feature_doubtful": (
        "   many reverse or questionable answers: check how the question was read",
        "   反向或可疑回答偏多:請檢查題目是否被誤解",
    ),
    "kano_not_enough": (
        "<b>Not enough answers</b> for {count} of {total} features: a category is advised on "
        "only with at least {need} answers and a clear winner (Fong's test).",
        "<b>回覆不足</b>:{total} 項功能中有 {count} 項無法下結論;每項至少需要 {need} 份回覆,"
        "且最多的類別須明顯勝出(Fong 檢定)才會提出建議。",
    ),
    "kano_doubtful": (
        "<b>Check the questionnaire</b>: {reverse} of the answers are reverse and {questionable} "
        "questionable (answers given at random come out 28% and 8%). The questions may have "
        "been misread, so no Kano advice is given.",
        "<b>請檢查問卷</b>:{reverse} 的回答為反向、{questionable} 為可疑"
        "(隨機作答約為 28% 與 8%)。題目可能被誤解,因此不提供 Kano 建議。",
    ),
    "kano_quality_note": (
        "Category strength: the top category's share minus the runner-up's (M/O: no clear "
        "winner). Total strength: the share of A, O and M answers, how much the feature "
        "matters at all.",
        "類別強度:最多類別的比例減去次多類別的比例(M/O:沒有明顯勝出者)。"
        "總強度:A、O、M 回答所佔比例,即此功能是否重要。",
    ),
    # segment comparison
    "cmp_kano_segment": ("{segment}: {respondents}", "{segment}:{respondents}"),
    "cmp_kano_row": ("{feature}: {categories}: {verdict}", "{feature}:{categories}:{verdict}"),
    "cmp_differ": ("segments differ ({p})", "分群之間有差異({p})"),
    "cmp_same": ("no clear difference ({p})", "沒有明顯差異({p})"),
    "cmp_untestable": ("too few answers to compare", "回覆太少,無法比較"),
    "wave_kano_since": (
        "Since {wave}, per feature (chi-square test, Holm-adjusted over the features):",
        "與 {wave} 相比,各功能(卡方檢定,對多項功能做 Holm 校正):",
    ),
    "wave_kano_changed": ("changed ({p})", "有變化({p})"),
    "wave_kano_same": ("no clear change ({p})", "沒有明顯變化({p})"),
    "cmp_kano_note": (
        "Chi-square test of the category counts between segments, Holm-adjusted over the features.",
        "以卡方檢定比較各分群的類別次數,並對多項功能做 Holm 校正。",
    ),
    "cmp_dv": (
        "Delivered value by segment: {verdict} (Kruskal–Wallis test).",
        "各分群的讓渡價值:{verdict}(Kruskal–Wallis 檢定)。",
    ),
    "cmp_eq_status_ok": ("significant", "顯著"),
    "cmp_eq_status_not": ("not enough to advise", "不足以提出建議"),
    "survey_err_outcome_off_scale": (
        "The outcome must be on the survey's {low}–{high} scale; off the scale: {rows}. "
        "Correct these answers and import the file again.",
        "結果必須在調查的 {low}–{high} 量表內;超出量表:{rows}。請更正後重新匯入。",
    ),
    "survey_cannot_tell": (
        "What these answers cannot tell yet:",
        "這些回覆目前還無法說明的:",
    ),
}

SURVEY_FINDING_TEXTS: dict[str, dict[Lang, str]] = {
    key: {Lang.EN: en, Lang.ZH_HANT: zh, Lang.ZH_HANS: to_simplified(zh)}
    for key, (en, zh) in _EN_ZH.items()
}
