"""Texts of the survey features (/survey, survey imports), in English and Traditional
Chinese; Simplified Chinese is derived with OpenCC like the other modules."""

from __future__ import annotations

from knowledge.models import Lang
from knowledge.script import to_simplified

_EN_ZH: dict[str, tuple[str, str]] = {
    "cmd_survey": ("Customer survey results (managers)", "顧客調查結果(經理)"),
    "survey_none": (
        "No customer survey has been imported yet. Send me a survey CSV here (delivered "
        "value, Kano or customer-equity drivers; the README shows the layouts), or run "
        "<code>cvm import survey FILE.csv</code>.",
        "尚未匯入任何顧客調查。請在這裡傳送調查 CSV 檔(讓渡價值、Kano 或顧客資產驅動因素;"
        "格式見 README),或執行 <code>cvm import survey FILE.csv</code>。",
    ),
    "survey_not_imported": (
        "The {instrument} survey has not been imported yet.",
        "尚未匯入{instrument}調查。",
    ),
    "survey_usage": (
        "Usage: /survey, or /survey kano | equity | delivered",
        "用法:/survey,或 /survey kano | equity | delivered",
    ),
    "inst_delivered-value": ("delivered value", "顧客讓渡價值"),
    "inst_kano": ("Kano", "Kano 需求分類"),
    "inst_equity": ("customer-equity drivers", "顧客資產驅動因素"),
    "kind_survey": ("survey answers", "調查回覆"),
    "import_survey_done": (
        "Imported the {instrument} survey from <b>{file}</b> ({details}): "
        "{rows}, {inserted}, {updated} updated, {skipped} skipped. "
        "Send /survey to see the results.",
        "已匯入 <b>{file}</b> 的{instrument}調查({details}):共 {rows},"
        "{inserted},更新 {updated},略過 {skipped}。傳送 /survey 查看結果。",
    ),
    "import_survey_scale": ("scale 1–{scale}", "量表 1–{scale}"),
    "n_new_respondents": ("{n} new respondents", "新增受訪者 {n} 位"),
    "n_new_respondents_one": ("{n} new respondent", "新增受訪者 {n} 位"),
    "import_scale_inferred": (
        "The file does not declare its rating scale, so it was read as 1–{scale}. If the "
        "survey used another scale, add a scale column or use --scale.",
        "檔案沒有註明評分量表,因此以 1–{scale} 讀取。"
        "如調查使用其他量表,請加上 scale 欄位或使用 --scale。",
    ),
    "import_survey_wave": ("Wave: {wave}.", "調查波次:{wave}。"),
    "import_survey_own_wave": (
        "Wave: {wave}. It asks other questions than wave {other}, so it is a wave of its own "
        "(reports show one wave at a time, and the trend between waves).",
        "調查波次:{wave}。其題目與波次 {other} 不同,因此自成一個波次"
        "(報告一次顯示一個波次,以及各波次間的趨勢)。",
    ),
    "survey_wave": ("wave {wave}", "波次 {wave}"),
    "survey_waves_title": ("Waves (oldest first)", "各調查波次(由舊到新)"),
    "survey_wave_row": ("{wave}: {n}", "{wave}:{n}"),
    "survey_wave_row_dv": ("{wave}: {n}, mean Vc {mean}", "{wave}:{n},平均 Vc {mean}"),
    "survey_wave_row_eq": ("{wave}: {n}, mean outcome {mean}", "{wave}:{n},平均結果 {mean}"),
    "survey_wave_change": (
        " ({change} from the wave before, {p}: {verdict})",
        "(較前一波次 {change},{p}:{verdict})",
    ),
    "survey_wave_real": ("a real change", "確實有變化"),
    "survey_wave_noise": ("could be chance", "可能只是隨機波動"),
    "survey_wave_untested": (
        " ({change} from the wave before; too few answers to test)",
        "(較前一波次 {change};回覆太少,無法檢定)",
    ),
    "survey_respondents": ("{n} respondents", "{n} 位受訪者"),
    "survey_respondents_one": ("{n} respondent", "{n} 位受訪者"),
    "survey_segment": ("segment: {segment}", "分群:{segment}"),
    "survey_scale": ("scale 1–{high}", "量表 1–{high}"),
    # delivered value
    "dv_title": ("Customer delivered value", "顧客讓渡價值"),
    "dv_formula": (
        "Delivered value Vc = total value Rc − total cost Cc (article 001).",
        "顧客讓渡價值 Vc = 顧客購買總價值 Rc − 顧客購買總成本 Cc(見第 001 篇)。",
    ),
    "dv_totals": (
        "Total value Rc <b>{rc}</b> · total cost Cc <b>{cc}</b> · delivered value Vc "
        "<b>{vc}</b> · Rc/Cc {ratio}",
        "總價值 Rc <b>{rc}</b> · 總成本 Cc <b>{cc}</b> · 讓渡價值 Vc <b>{vc}</b> · Rc/Cc {ratio}",
    ),
    "dv_values": ("Value components (higher is better):", "價值構成(越高越好):"),
    "dv_costs": ("Cost components (lower is better):", "成本構成(越低越好):"),
    "dv_component": ("{name}: {mean} (importance {weight})", "{name}:{mean}(重要性 {weight})"),
    "dv_component_vs": (
        "{name}: {mean} vs {theirs} (importance {weight})",
        "{name}:{mean} 對 {theirs}(重要性 {weight})",
    ),
    "dv_weakest": ("Weakest component: <b>{name}</b>", "最弱的一項:<b>{name}</b>"),
    "dv_map": (
        "Against {competitor}: relative value {rv}, relative cost {rcost}: {position}",
        "相對於 {competitor}:相對價值 {rv},相對成本 {rcost}:{position}",
    ),
    "dv_map_better": (
        "above the fair-value line (more value for what customers give)",
        "位於公平價值線之上(顧客付出相同,得到更多價值)",
    ),
    "dv_map_fair": ("on the fair-value line", "位於公平價值線上"),
    "dv_map_worse": (
        "below the fair-value line (the competitor gives more for the same)",
        "位於公平價值線之下(競爭者以相同付出提供更多價值)",
    ),
    "dv_link_title": ("Perceived value and retention", "感知價值與顧客保留"),
    "dv_link_rho": (
        "{n} respondents are customers. Rank correlation of delivered value with P(alive): "
        "{rho_alive} ({p_alive}); with CLV: {rho_clv}.",
        "{n} 位受訪者是現有客戶。讓渡價值與存活機率的等級相關:{rho_alive}({p_alive});"
        "與顧客終身價值:{rho_clv}。",
    ),
    "dv_link_yes": (
        "In your data, customers who perceive more value are more likely to still be buying.",
        "在您的資料中,感知價值越高的客戶越可能仍在購買。",
    ),
    "dv_link_no": (
        "In your data, perceived value shows no clear link with retention.",
        "在您的資料中,感知價值與顧客保留沒有明顯關係。",
    ),
    "dv_link_row": (
        "Quintile {q} (Vc {vc}): P(alive) {alive}, CLV {clv}, high churn risk {risk}",
        "第 {q} 五分位(Vc {vc}):存活機率 {alive},終身價值 {clv},高流失風險 {risk}",
    ),
    "dv_link_none": (
        "Too few respondents are known customers with a value score to link perceived value "
        "with retention.",
        "可對應到已評分客戶的受訪者太少,無法分析感知價值與顧客保留的關係。",
    ),
    "dv_customer": (
        "Delivered value (survey): Vc {vc} on the 1–{high} scale (value {rc}, cost {cc}); "
        "weakest: {weakest}",
        "讓渡價值(調查):Vc {vc}(量表 1–{high};價值 {rc},成本 {cc});最弱的一項:{weakest}",
    ),
    # Kano
    "kano_title": ("Kano: which features matter how", "Kano 需求分類"),
    "kano_levels": (
        "M = must-be (article 001's Q1, basic needs), O = one-dimensional (Q2, performance "
        "needs), A = attractive (Q3), I = indifferent, R = reverse, Q = questionable answers.",
        "M = 必備(第 001 篇的 Q1 基本需求),O = 一維(Q2 滿足性需求),A = 魅力(Q3 吸引性需求),"
        "I = 無差異,R = 反向,Q = 可疑回答。",
    ),
    "kano_explain": (
        "Better: how much providing the feature raises satisfaction (0 to 1). Worse: how much "
        "leaving it out lowers it (0 to −1).",
        "Better:提供此功能可提升滿意度的程度(0 到 1);Worse:缺少時滿意度下降的程度(0 到 −1)。",
    ),
    "kano_cat_A": ("attractive", "魅力"),
    "kano_cat_O": ("one-dimensional", "一維"),
    "kano_cat_M": ("must-be", "必備"),
    "kano_cat_I": ("indifferent", "無差異"),
    "kano_cat_R": ("reverse", "反向"),
    "kano_cat_Q": ("questionable", "可疑"),
    # equity
    "eq_title": ("Customer-equity drivers", "顧客資產驅動因素"),
    "eq_model": (
        "The drivers explain <b>{r2}</b> of the differences in {outcome} (R², {n} respondents, "
        "{method}).",
        "驅動因素解釋了{outcome}差異的 <b>{r2}</b>(R²,{n} 位受訪者,{method})。",
    ),
    "eq_outcome_intention": ("repurchase intention", "再購意願"),
    "eq_outcome_clv": ("customer lifetime value", "顧客終身價值"),
    "eq_method_shapley": ("exact Shapley decomposition", "精確 Shapley 分解"),
    "eq_method_relative_weights": ("Johnson's relative weights", "Johnson 相對權重"),
    "eq_groups": (
        "By part of customer equity (article 004): {shares}",
        "按顧客資產的組成(第 004 篇):{shares}",
    ),
    "eq_fix_first": ("Fix first: <b>{drivers}</b>", "優先改善:<b>{drivers}</b>"),
    "eq_constant": (
        "Everyone gave the same rating to {drivers}, so they explain nothing here.",
        "所有人對 {drivers} 的評分相同,因此在此無法解釋任何差異。",
    ),
    "prio_fix_first": ("fix first", "優先改善"),
    "prio_keep_up": ("keep up", "保持"),
    "prio_low_priority": ("low priority", "次要"),
    "prio_possible_overkill": ("possible overkill", "可能過度投入"),
    # comparison, advice, buttons
    "survey_compare_title": ("{instrument} by segment", "各分群的{instrument}"),
    "survey_compare_none": (
        "The respondents have no segments to compare.",
        "受訪者沒有可比較的分群。",
    ),
    "survey_compare_dv": (
        "{segment} ({n}): Vc {vc}, Rc {rc}, Cc {cc}; weakest: {weakest}",
        "{segment}({n}):Vc {vc},Rc {rc},Cc {cc};最弱:{weakest}",
    ),
    "survey_compare_eq": (
        "{segment} ({n}): R² {r2}; heaviest: {drivers}",
        "{segment}({n}):R² {r2};最重要:{drivers}",
    ),
    "survey_compare_failed": ("{segment}: {reason}", "{segment}:{reason}"),
    "survey_advice_title": (
        "What the articles suggest ({instrument})",
        "文章的建議({instrument})",
    ),
    "survey_no_advice": (
        "No finding here calls for a strategy from the articles.",
        "這些結果沒有對應到文章中的策略。",
    ),
    "btn_survey_delivered-value": ("📊 Delivered value", "📊 讓渡價值"),
    "btn_survey_kano": ("📊 Kano", "📊 Kano"),
    "btn_survey_equity": ("📊 Equity drivers", "📊 資產驅動因素"),
    "btn_survey_segments": ("👥 Compare segments", "👥 分群比較"),
    "btn_survey_advice": ("💡 Recommendations", "💡 建議"),
    # chart labels
    "chart_dv_title": ("Value and cost components", "價值與成本構成"),
    "chart_dv_ours": ("our customers' ratings", "我們的評分"),
    "chart_dv_theirs": ("{competitor}", "{competitor}"),
    "chart_dv_values": ("Value (higher is better)", "價值(越高越好)"),
    "chart_dv_costs": ("Cost (lower is better)", "成本(越低越好)"),
    "chart_map_title": ("Customer value map", "顧客價值圖"),
    "chart_map_x": (
        "Relative cost (ours / theirs; lower is better)",
        "相對成本(我們 / 對手;越低越好)",
    ),
    "chart_map_y": (
        "Relative value (ours / theirs; higher is better)",
        "相對價值(我們 / 對手;越高越好)",
    ),
    "chart_map_fair": ("fair-value line", "公平價值線"),
    "chart_map_all": ("all", "全部"),
    "chart_kano_title": ("Kano: Better vs Worse", "Kano:Better 與 Worse"),
    "chart_kano_x": ("|Worse|: dissatisfaction when missing", "|Worse|:缺少時的不滿"),
    "chart_kano_y": ("Better: satisfaction when provided", "Better:提供時的滿意"),
    "chart_kano_A": ("Attractive (Q3)", "魅力(Q3)"),
    "chart_kano_O": ("One-dimensional (Q2)", "一維(Q2)"),
    "chart_kano_M": ("Must-be (Q1)", "必備(Q1)"),
    "chart_kano_I": ("Indifferent", "無差異"),
    "chart_ipa_title": ("Importance × performance", "重要性 × 表現"),
    "chart_ipa_x": ("Performance (mean rating)", "表現(平均評分)"),
    "chart_ipa_y": ("Importance (share of R²)", "重要性(佔 R² 比例)"),
    "chart_ipa_fix_first": ("Fix first", "優先改善"),
    "chart_ipa_keep_up": ("Keep up", "保持"),
    "chart_ipa_low_priority": ("Low priority", "次要"),
    "chart_ipa_possible_overkill": ("Possible overkill", "可能過度"),
    "chart_numbers": ("Numbers on the chart match the list below.", "圖中編號對應下方清單。"),
    # errors of the analyses
    "survey_err_too_few_respondents": (
        "Too few respondents to analyse ({n}; at least {need} needed).",
        "受訪者太少,無法分析(目前 {n} 位,至少需要 {need} 位)。",
    ),
    "survey_err_unknown_wave": (
        "There is no survey wave “{wave}”. Waves: {waves}.",
        "沒有名為「{wave}」的調查波次。現有波次:{waves}。",
    ),
    "survey_err_constant_outcome": (
        "Every respondent gave the same outcome, so nothing can explain it.",
        "所有受訪者的結果相同,因此無法分析驅動因素。",
    ),
    "survey_err_unknown_segment": (
        "No respondent is in the segment “{segment}”.",
        "沒有受訪者屬於分群「{segment}」。",
    ),
    "survey_err_no_drivers": (
        "The survey has no drivers to analyse.",
        "調查中沒有可分析的驅動因素。",
    ),
    "survey_err_no_answers": ("The survey has no answers to analyse.", "調查中沒有可分析的回覆。"),
    "survey_err_delivered_needs_both": (
        "Delivered value needs ratings of at least one value and one cost component.",
        "讓渡價值需要至少一項價值構成和一項成本構成的評分。",
    ),
    "survey_err_unknown_outcome": (
        "Unknown outcome “{outcome}” (use intention or clv).",
        "未知的結果變數「{outcome}」(請用 intention 或 clv)。",
    ),
    "survey_err_not_finite": ("Some answers are not numbers.", "部分回覆不是數字。"),
    "survey_err_kano_bad_code": (
        "A Kano answer is not coded 1–5.",
        "有 Kano 回覆不是 1–5 的代碼。",
    ),
    # import errors (codes as in bot/surveys/csv_import.py)
    "err_unknown_survey": (
        "the header matches no survey layout (Kano: respondent_id, feature, functional, "
        "dysfunctional; delivered value: value:… and cost:… columns; equity: outcome and "
        "value:/brand:/retention: columns)",
        "表頭不符合任何調查格式(Kano:respondent_id、feature、functional、dysfunctional;"
        "讓渡價值:value:… 與 cost:… 欄位;顧客資產:outcome 與 value:/brand:/retention: 欄位)",
    ),
    "err_unknown_columns": ("columns I do not know: {value}", "無法辨識的欄位:{value}"),
    "err_bad_respondent_id": ("invalid respondent ID “{value}”", "受訪者編號「{value}」無效"),
    "err_missing_feature": ("the feature is empty", "功能名稱是空的"),
    "err_bad_feature": ("invalid feature name “{value}”", "功能名稱「{value}」無效"),
    "err_missing_answer": ("missing answer ({value})", "缺少回覆({value})"),
    "err_bad_kano_answer": (
        "unknown Kano answer “{value}” (use 1–5 or like, must-be, neutral, live with, dislike)",
        "無法辨識的 Kano 回覆「{value}」(請用 1–5 或 喜歡、理所當然、無所謂、能忍受、不喜歡)",
    ),
    "err_respondent_conflict": (
        "respondent {value} appears with a different customer or segment",
        "受訪者 {value} 的客戶編號或分群前後不一致",
    ),
    "err_duplicate_answer": (
        "a second, different answer for {value}",
        "{value} 有第二個不同的回覆",
    ),
    "err_bad_rating": ("invalid rating ({value})", "評分無效({value})"),
    "err_bad_weight": ("invalid importance weight ({value})", "重要性權重無效({value})"),
    "err_bad_outcome": ("invalid outcome “{value}”", "結果「{value}」無效"),
    "err_missing_outcome": (
        "no outcome (it may be left blank only for respondents who are customers)",
        "缺少結果(只有身為客戶的受訪者可以留空)",
    ),
    "err_duplicate_respondent": (
        "respondent {value} appears twice with different answers",
        "受訪者 {value} 出現兩次且回覆不同",
    ),
    "err_bad_scale": ("invalid scale “{value}” (2 to 100)", "量表「{value}」無效(2 到 100)"),
    "err_scale_conflict": (
        "a second, different scale “{value}”",
        "出現第二個不同的量表「{value}」",
    ),
    "err_competitor_conflict": (
        "a second competitor “{value}” (one competitor per file)",
        "出現第二個競爭者「{value}」(每個檔案一個競爭者)",
    ),
    "err_scale_changed": (
        "the survey was imported on another scale ({value}); use the same scale",
        "此調查先前以不同量表匯入({value});請使用相同量表",
    ),
    "err_scale_not_declared": (
        "rating {value} is above 5 and the file declares no scale: correct the typo, or "
        "declare the scale (a scale column, or --scale)",
        "評分 {value} 超過 5,而檔案沒有註明量表:請修正輸入錯誤,或註明量表(scale 欄位或 --scale)",
    ),
    "err_not_whole": (
        "not a whole point of the scale ({value})",
        "不是量表上的整數分數({value})",
    ),
    "err_wave_items_differ": (
        "wave “{value}” asked other questions than this file; import the file as a new wave "
        "(another --wave name, or another caption on the upload)",
        "調查波次「{value}」的題目與此檔案不同;"
        "請以新的波次匯入(另一個 --wave 名稱,或上傳時用另一個說明文字)",
    ),
    "err_bad_wave": (
        "invalid wave name “{value}” (1 to 64 characters, no control characters)",
        "波次名稱「{value}」無效(1 到 64 個字元,不可含控制字元)",
    ),
    "err_no_answers": (
        "the file has a header but no answers; nothing was created",
        "檔案只有表頭,沒有任何回覆;未建立任何資料",
    ),
    "err_out_of_scale": ("rating off the scale ({value})", "評分超出量表({value})"),
}

SURVEY_TEXTS: dict[str, dict[Lang, str]] = {
    key: {Lang.EN: en, Lang.ZH_HANT: zh, Lang.ZH_HANS: to_simplified(zh)}
    for key, (en, zh) in _EN_ZH.items()
}
