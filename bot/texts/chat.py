"""The chat's own sentences: start, help, answers, feedback, errors."""

from __future__ import annotations

from knowledge.models import Lang

CHAT_TEXTS: dict[str, dict[Lang, str]] = {
    "start": {
        Lang.ZH_HANT: (
            "<b>你好!我是 cvm-bot,客戶價值管理助手。</b>\n\n"
            "• <b>理論問答</b>:直接問我顧客價值理論的問題(例如「什麼是顧客感知價值?」),"
            "我會根據知識庫回答並附上出處。\n"
            "• <b>客戶價值分析</b>(經理):/customer 客戶編號(或「客戶 C-1042 的價值」),"
            "/top 最有價值的客戶,/segments 客戶分群,/survey 顧客調查結果;"
            "也可以直接傳送 CSV 檔匯入資料或調查回覆。\n"
            "• <b>培訓測驗</b>:/quiz 開始測驗(群組中需培訓師;私訊可自我練習),"
            "/quiz stats 查看自己的紀錄。\n\n"
            "在群組中,請用 /ask 問題、提及我,或回覆我的訊息。"
        ),
        Lang.ZH_HANS: (
            "<b>你好!我是 cvm-bot,客户价值管理助手。</b>\n\n"
            "• <b>理论问答</b>:直接问我顾客价值理论的问题(例如「什么是顾客感知价值?」),"
            "我会根据知识库回答并附上出处。\n"
            "• <b>客户价值分析</b>(经理):/customer 客户编号(或「客户 C-1042 的价值」),"
            "/top 最有价值的客户,/segments 客户分群,/survey 顾客调查结果;"
            "也可以直接发送 CSV 文件导入数据或调查回复。\n"
            "• <b>培训测验</b>:/quiz 开始测验(群组中需培训师;私信可自我练习),"
            "/quiz stats 查看自己的记录。\n\n"
            "在群组中,请用 /ask 问题、提及我,或回复我的消息。"
        ),
        Lang.EN: (
            "<b>Hello! I am cvm-bot, your customer value management assistant.</b>\n\n"
            '• <b>Theory Q&amp;A</b>: ask me about customer value theory (e.g. "What is '
            'perceived value?") and I answer from our knowledge base, with sources.\n'
            "• <b>Customer value breakdowns</b> (managers): /customer ID (or 'value of customer "
            "C-1042'), /top for the most valuable customers, /segments for segments, /survey "
            "for customer survey results; send a CSV file to import data or survey answers.\n"
            "• <b>Training quizzes</b>: /quiz (trainers in groups; anyone in a private chat), "
            "/quiz stats for your own results.\n\n"
            "In groups, use /ask QUESTION, mention me, or reply to my message."
        ),
    },
    "sources_button": {Lang.ZH_HANT: "📚 出處", Lang.ZH_HANS: "📚 出处", Lang.EN: "📚 Sources"},
    "sources_header": {Lang.ZH_HANT: "出處", Lang.ZH_HANS: "出处", Lang.EN: "Sources"},
    "passages_header": {
        Lang.ZH_HANT: "引用的原文段落",
        Lang.ZH_HANS: "引用的原文段落",
        Lang.EN: "Cited passages",
    },
    "thanks_feedback": {
        Lang.ZH_HANT: "謝謝你的回饋!",
        Lang.ZH_HANS: "谢谢你的反馈!",
        Lang.EN: "Thanks for your feedback!",
    },
    "answer_gone": {
        Lang.ZH_HANT: "找不到這個回答了,請重新提問。",
        Lang.ZH_HANS: "找不到这个回答了,请重新提问。",
        Lang.EN: "That answer is no longer available; please ask again.",
    },
    "too_long": {
        Lang.ZH_HANT: "問題太長了(上限 {limit} 字)。請縮短後再問一次。",
        Lang.ZH_HANS: "问题太长了(上限 {limit} 字)。请缩短后再问一次。",
        Lang.EN: "That question is too long (limit: {limit} characters). Please shorten it.",
    },
    "empty_question": {
        Lang.ZH_HANT: "請在 /ask 後面寫下你的問題,例如:/ask 什麼是顧客讓渡價值?",
        Lang.ZH_HANS: "请在 /ask 后面写下你的问题,例如:/ask 什么是顾客让渡价值?",
        Lang.EN: "Please put your question after /ask, e.g. /ask What is delivered value?",
    },
    "text_only": {
        Lang.ZH_HANT: "我只看得懂文字訊息,請用文字提問。",
        Lang.ZH_HANS: "我只看得懂文字消息,请用文字提问。",
        Lang.EN: "I can only read text messages; please type your question.",
    },
    "error": {
        Lang.ZH_HANT: "抱歉,處理時出了問題。請稍後再試一次。",
        Lang.ZH_HANS: "抱歉,处理时出了问题。请稍后再试一次。",
        Lang.EN: "Sorry, something went wrong on my side. Please try again in a moment.",
    },
    "cmd_start": {Lang.ZH_HANT: "開始使用", Lang.ZH_HANS: "开始使用", Lang.EN: "Start"},
    "cmd_help": {Lang.ZH_HANT: "說明", Lang.ZH_HANS: "说明", Lang.EN: "What I can do"},
    "cmd_ask": {
        Lang.ZH_HANT: "問顧客價值理論的問題",
        Lang.ZH_HANS: "问顾客价值理论的问题",
        Lang.EN: "Ask about customer value theory",
    },
}
