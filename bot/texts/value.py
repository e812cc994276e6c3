"""Texts of the customer value features, in English and Traditional Chinese.

Simplified Chinese is derived with OpenCC (Taiwan phrases to Mainland ones), so
the two Chinese scripts can never drift apart.
"""

from __future__ import annotations

from knowledge.models import Lang
from knowledge.script import to_simplified

_EN_ZH: dict[str, tuple[str, str]] = {
    "cmd_customer": ("Customer value breakdown (managers)", "客戶價值分析(經理)"),
    "cmd_top": ("Most valuable customers (managers)", "最有價值的客戶(經理)"),
    "cmd_segments": ("Customer segments (managers)", "客戶分群(經理)"),
    "not_manager": (
        "Sorry, customer data is only available to managers. Ask your admin if you need access.",
        "抱歉,客戶資料只開放給經理。如需權限,請聯絡管理員。",
    ),
    "private_only": (
        "Customer data is never shown in group chats. Please message me privately.",
        "客戶資料不會在群組中顯示,請私訊我查詢。",
    ),
    "customer_usage": (
        "Please give a customer ID, e.g. /customer C-1042",
        "請提供客戶編號,例如:/customer C-1042",
    ),
    "unknown_customer": (
        "I can't find a customer with ID <code>{customer_id}</code>. Please check the ID.",
        "找不到編號為 <code>{customer_id}</code> 的客戶,請確認編號。",
    ),
    "no_value_data": (
        "There is no transaction data yet. Upload a transactions CSV here, or run "
        "<code>cvm demo-data</code> to try the features.",
        "目前還沒有交易資料。請在這裡上傳交易 CSV 檔,或執行 <code>cvm demo-data</code> 試用。",
    ),
    "data_unavailable": (
        "Customer data is temporarily unavailable (the database is not answering). Questions "
        "about customer value theory still work. Please try again in a few minutes.",
        "客戶資料暫時無法使用(資料庫沒有回應)。顧客價值理論的問答仍可正常使用,請幾分鐘後再試。",
    ),
    "value_model_failed": (
        "The value model cannot give sound numbers on the current data, so none are shown. "
        "Your admin can see why with <code>cvm value fit</code>.",
        "以目前的資料,價值模型無法算出可靠的數字,因此不予顯示。管理員可執行 "
        "<code>cvm value fit</code> 查看原因。",
    ),
    "card_title": ("Customer {customer_id} · {name}", "客戶 {customer_id} · {name}"),
    "tier": ("Tier", "等級"),
    "tier_A": ("A (top 80% of profit)", "A(貢獻前八成利潤)"),
    "tier_B": ("B (next 15% of profit)", "B(其後一成半利潤)"),
    "tier_C": ("C (last 5% of profit)", "C(最後半成利潤)"),
    "clv": ("CLV, next {months} months", "未來 {months} 個月顧客終身價值"),
    "realized": ("Realized value (profit to date)", "既成價值(至今利潤)"),
    "potential": ("Potential value (expected profit)", "潛在價值(預期利潤)"),
    "influence": ("Influence value (referrals)", "影響價值(推薦)"),
    "short_realized": ("Realized value", "既成價值"),
    "short_potential": ("Potential value", "潛在價值"),
    "short_influence": ("Influence value", "影響價值"),
    "p_alive": ("Probability still active", "仍為活躍客戶的機率"),
    "expected_purchases": (
        "Expected purchases, next {months} months",
        "未來 {months} 個月預期購買次數",
    ),
    "rfm": ("RFM segment", "RFM 分群"),
    "risk": ("Churn risk", "流失風險"),
    "trend": ("Trend (last quarter)", "趨勢(最近一季)"),
    "as_of": ("Data as of {date}", "資料截至 {date}"),
    "margin_assumed": (
        "Some transactions have no margin or cost: their profit is taken as revenue × {rate}.",
        "部分交易沒有毛利或成本資料:其利潤以營收 × {rate} 計算。",
    ),
    "risk_low": ("low", "低"),
    "risk_medium": ("medium", "中"),
    "risk_high": ("high", "高"),
    "trend_up": ("rising ↑", "上升 ↑"),
    "trend_flat": ("flat →", "持平 →"),
    "trend_down": ("falling ↓", "下降 ↓"),
    "trend_new": ("new customer", "新客戶"),
    "seg_champions": ("Champions", "冠軍客戶"),
    "seg_loyal": ("Loyal", "忠誠客戶"),
    "seg_potential_loyalist": ("Potential loyalists", "潛力忠誠客戶"),
    "seg_new": ("New", "新客戶"),
    "seg_promising": ("Promising", "有潛力客戶"),
    "seg_needs_attention": ("Needs attention", "需要關注"),
    "seg_at_risk": ("At risk", "有流失風險"),
    "seg_cannot_lose": ("Cannot lose", "不能失去"),
    "seg_hibernating": ("Hibernating", "休眠客戶"),
    "seg_lost": ("Lost", "已流失"),
    "drivers": ("Why", "原因"),
    "drv_top_profit": ("among the customers who make 80% of profit", "屬於貢獻八成利潤的客戶"),
    "drv_one_time_buyer": (
        "bought only once: the model cannot yet tell whether they left",
        "只購買過一次:模型尚無法判斷是否流失",
    ),
    "drv_frequent": ("buys often", "購買頻繁"),
    "drv_recent": ("bought recently", "近期有購買"),
    "drv_long_inactive": ("no purchase for a long time", "很久沒有購買"),
    "drv_big_spender": ("high total spend", "消費金額高"),
    "drv_likely_churned": ("probably no longer active", "很可能已不再活躍"),
    "drv_referrer": ("has referred other customers", "曾推薦其他客戶"),
    "drv_low_margin": ("thin margin (costly to serve)", "利潤率低(服務成本高)"),
    "drv_declining": ("profit falling", "利潤下降"),
    "drv_growing": ("profit rising", "利潤上升"),
    "btn_recommendations": ("💡 Recommendations", "💡 建議"),
    "btn_transactions": ("🧾 Transactions", "🧾 交易紀錄"),
    "btn_compare": ("📊 Compare with segment", "📊 與分群比較"),
    "recommendations_title": ("Recommendations for {customer_id}", "{customer_id} 的建議"),
    "no_recommendations": (
        "No specific action: keep serving this customer as usual.",
        "沒有特別建議:照常服務即可。",
    ),
    "source": ("Source", "出處"),
    "transactions_title": (
        "Latest transactions of {customer_id} ({count} in all)",
        "{customer_id} 的最近交易(共 {count} 筆)",
    ),
    "no_transactions": ("No transactions.", "沒有交易紀錄。"),
    "transactions_in_warehouse": (
        "This customer's transactions stay where the company's data lives; the scores and "
        "the quarterly history on the card were computed there.",
        "這位客戶的交易紀錄留在公司存放資料的地方;卡片上的分數與各季歷史都在那裡計算。",
    ),
    "compare_title": (
        "{customer_id} compared with the segment “{segment}” ({count} customers)",
        "{customer_id} 與「{segment}」分群({count} 位客戶)比較",
    ),
    "this_customer": ("this customer", "此客戶"),
    "segment_avg": ("segment average", "分群平均"),
    "top_title": ("Top {n} customers by profit (Pareto)", "利潤最高的 {n} 位客戶(帕累托)"),
    "top_usage": ("Usage: /top [N], N from 1 to {max}", "用法:/top [N],N 為 1 到 {max}"),
    "cumulative": ("cum.", "累計"),
    "segments_title": ("Customer segments (RFM)", "客戶分群(RFM)"),
    "segments_header": (
        "segment · customers · share of profit · avg CLV · avg P(active)",
        "分群 · 客戶數 · 利潤占比 · 平均 CLV · 平均活躍機率",
    ),
    "chart_composition": ("Value composition", "價值構成"),
    "chart_history": ("Profit per quarter", "每季利潤"),
    "chart_no_history": ("no purchases in these quarters", "這幾季沒有購買"),
    "chart_customers": ("share of customers", "客戶占比"),
    "chart_profit": ("share of profit", "利潤占比"),
    "import_done": (
        "Imported {kind} from <b>{file}</b> ({encoding}): {rows}, {inserted} new, "
        "{updated} updated, {skipped} skipped.",
        "已匯入 <b>{file}</b> 的{kind}({encoding}):共 {rows},新增 {inserted},"
        "更新 {updated},略過 {skipped}。",
    ),
    "n_rows": ("{n} rows", "{n} 列"),
    "n_rows_one": ("{n} row", "{n} 列"),
    "skipped_line": ("{where}{reason} (skipped)", "{where}{reason}(略過)"),
    "skip_duplicate_row": ("the same answers as line {value}", "與第 {value} 行相同"),
    "skip_unchanged": (
        "already imported with the same values",
        "先前已匯入且內容相同",
    ),
    "more_skipped": ("… and {n} more skipped", "……另有 {n} 列略過"),
    "import_failed": (
        "Nothing was imported from <b>{file}</b>: {n} rows have problems. Fix them and "
        "send the file again.",
        "<b>{file}</b> 沒有匯入任何資料:有 {n} 列有問題。請修正後重新傳送。",
    ),
    "import_failed_one": (
        "Nothing was imported from <b>{file}</b>: 1 row has a problem. Fix it and send the "
        "file again.",
        "<b>{file}</b> 沒有匯入任何資料:有 1 列有問題。請修正後重新傳送。",
    ),
    "import_refitted": ("Value models refitted.", "價值模型已重新計算。"),
    "kind_customers": ("customers", "客戶資料"),
    "kind_transactions": ("transactions", "交易資料"),
    "upload_not_csv": (
        "Please send a CSV file (customers, transactions or survey answers).",
        "請傳送 CSV 檔(客戶、交易或調查回覆)。",
    ),
    "upload_too_big": (
        "That file is too big (limit {limit} MB). Please split it or use <code>cvm import</code>.",
        "檔案太大(上限 {limit} MB)。請分割檔案,或改用 <code>cvm import</code>。",
    ),
    "upload_unknown_kind": (
        "I can't tell what this file is. A transactions file needs the columns "
        "customer_id, timestamp, amount; a customers file needs customer_id (or id); a "
        "survey needs the layouts in the README (e.g. respondent_id, feature, functional, "
        "dysfunctional for Kano).",
        "無法判斷檔案類型。交易檔需要 customer_id、timestamp、amount 欄位;"
        "客戶檔需要 customer_id(或 id)欄位;調查檔請依 README 的格式"
        "(例如 Kano 需要 respondent_id、feature、functional、dysfunctional)。",
    ),
    "line": ("line", "第"),
    "err_missing_columns": ("missing columns: {value}", "缺少欄位:{value}"),
    "err_bad_encoding": (
        "this line is not UTF-8, GBK or Big5 text",
        "這一行不是 UTF-8、GBK 或 Big5 編碼",
    ),
    "err_mixed_encoding": (
        "this line is in another encoding than the UTF-8 lines before it; save the whole "
        "file as UTF-8",
        "這一行的編碼與前面的 UTF-8 行不同,請把整個檔案另存為 UTF-8",
    ),
    "err_empty_file": ("the file is empty", "檔案是空的"),
    "err_too_many_rows": ("more than {value} rows", "超過 {value} 列"),
    "err_missing_values": ("missing values", "缺少欄位值"),
    "err_bad_customer_id": ("invalid customer ID “{value}”", "客戶編號「{value}」無效"),
    "err_unknown_customer": ("unknown customer {value}", "未知客戶 {value}"),
    "err_bad_date": ("invalid date “{value}”", "日期「{value}」無效"),
    "err_future_date": ("date in the future “{value}”", "日期「{value}」在未來"),
    "err_bad_amount": ("invalid amount “{value}”", "金額「{value}」無效"),
    "err_zero_amount": ("amount is zero", "金額為零"),
    "err_bad_margin": ("invalid gross margin “{value}”", "毛利「{value}」無效"),
    "err_bad_cost": ("invalid cost “{value}”", "成本「{value}」無效"),
    "err_bad_transaction_id": ("invalid transaction ID", "交易編號無效"),
    "err_conflicting_duplicate": (
        "ID {value} appears twice with different data",
        "編號 {value} 重複出現且內容不同",
    ),
    "err_bad_csv": ("the CSV is malformed ({value})", "CSV 格式錯誤({value})"),
    "err_unclosed_quote": (
        "a quoted cell opens on this line and never closes",
        "這一行的引號欄位沒有結束引號",
    ),
    "err_extra_values": (
        "more cells than the header has (“{value}”)",
        "欄位比標題列多(「{value}」)",
    ),
    "err_garbled_text": (
        "this line does not read as {value} text: the file mixes encodings; save the whole "
        "file as UTF-8",
        "這一行以 {value} 讀出來是亂碼:檔案混用了不同編碼,請把整個檔案另存為 UTF-8",
    ),
    "err_control_characters": ("control characters in the row", "該列含有控制字元"),
    "err_self_referral": ("customer {value} refers to itself", "客戶 {value} 推薦了自己"),
    "err_unknown_referrer": ("unknown referrer {value}", "未知推薦人 {value}"),
    "more_errors": ("… and {n} more", "……另有 {n} 列"),
    "fitq_unreliable": (
        "⚠️ The value model is not reliable on this data: do not act on CLV, potential value "
        "or churn risk alone.",
        "⚠️ 以目前的資料,價值模型並不可靠:請勿單憑顧客終身價值、潛在價值或流失風險做決策。",
    ),
    "fitq_no_dropout": (
        "No customer has visibly stopped buying yet, so the model takes every customer as "
        "still active (100%) and projects each one's own buying rate (the NBD model).",
        "目前還沒有客戶明顯停止購買,因此模型把每位客戶都視為仍然活躍(100%),"
        "並依每位客戶自己的購買頻率推估(NBD 模型)。",
    ),
    "fitq_dropout_alike": (
        "Customers do not differ in how likely they are to stop buying, so the model gives "
        "them all the same chance of stopping after each purchase, {share}.",
        "客戶之間停止購買的可能性沒有差異,因此模型給所有客戶相同的每次購買後流失機率 {share}。",
    ),
    "fitq_dropout_split": (
        "Customers fall into two kinds: {share} stop buying right after their first repeat "
        "purchase, the others keep buying; the model weighs each customer's history to tell "
        "which kind they are.",
        "客戶分為兩類:{share} 的客戶在第一次回購後就停止購買,其餘客戶持續購買;"
        "模型依每位客戶的購買紀錄判斷其屬於哪一類。",
    ),
    "fitq_few_repeat_buyers": (
        "Too few customers have bought again to model each one's spend, so every customer's "
        "spend per purchase is taken as the average, {amount}.",
        "重複購買的客戶太少,無法估計每位客戶自己的消費金額,"
        "因此每次消費一律以平均值 {amount} 計算。",
    ),
    "fitq_spend_alike": (
        "Customers' spend per purchase differs no more than chance would make it, so every "
        "customer's spend per purchase is taken as the average, {amount}.",
        "各客戶每次消費金額的差異不超過隨機波動,因此每次消費一律以平均值 {amount} 計算。",
    ),
    "fitq_spend_heavy_tailed": (
        "A few purchases are so large that a typical customer's spend cannot be estimated; "
        "spend per purchase is taken as the average, {amount}, which those few inflate.",
        "少數消費金額極大,無法估計一般客戶的消費金額;每次消費以平均值 {amount} 計算,"
        "而這個平均值被少數大額消費拉高。",
    ),
    "fitq_not_converged": (
        "The model fit did not converge.",
        "模型擬合沒有收斂。",
    ),
    "fitq_at_bound": (
        "Some model parameters ran to the edge of what can be estimated ({names}).",
        "部分模型參數落在可估計範圍的邊界({names})。",
    ),
    "fitq_holdout": (
        "Holdout check: for the last {days} days the model predicted {predicted} repeat "
        "purchases; {actual} happened ({error}).",
        "保留期檢驗:最後 {days} 天模型預測 {predicted} 次重複購買,實際為 {actual} 次({error})。",
    ),
}

VALUE_TEXTS: dict[str, dict[Lang, str]] = {
    key: {Lang.EN: en, Lang.ZH_HANT: zh, Lang.ZH_HANS: to_simplified(zh)}
    for key, (en, zh) in _EN_ZH.items()
}
