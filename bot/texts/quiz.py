"""Texts of the quiz features, in English and Traditional Chinese (Simplified via OpenCC)."""

from __future__ import annotations

from knowledge.models import Lang
from knowledge.script import to_simplified

_EN_ZH: dict[str, tuple[str, str]] = {
    "cmd_quiz": ("Quiz on customer value theory", "顧客價值理論測驗"),
    "quiz_not_trainer": (
        "Only trainers can run a quiz in a group. In a private chat with me anyone can "
        "practise: send /quiz start.",
        "只有培訓師可以在群組中開始測驗。私訊我的話任何人都可以練習:傳送 /quiz start。",
    ),
    "quiz_setup": (
        "<b>Quiz setup</b>\nTopic: {topic} · Questions: {count} · Seconds: {seconds} · "
        "Difficulty: {difficulty} · Leaderboard each question: {board}\n"
        "Choose, then press ▶️ Start.",
        "<b>測驗設定</b>\n主題:{topic} · 題數:{count} · 每題秒數:{seconds} · 難度:{difficulty} · "
        "每題排行榜:{board}\n"
        "選好後按 ▶️ 開始。",
    ),
    "quiz_any": ("any", "不限"),
    "quiz_on": ("on", "開"),
    "quiz_off": ("off", "關"),
    "quiz_board_button": (
        "📊 Leaderboard after each question: {state}",
        "📊 每題後顯示排行榜:{state}",
    ),
    "quiz_all_topics": ("all topics", "全部主題"),
    "quiz_start_button": ("▶️ Start", "▶️ 開始"),
    "quiz_already_running": (
        "A quiz is already running here. Use /quiz stop to end it first.",
        "這裡已經有測驗在進行。請先用 /quiz stop 結束。",
    ),
    "quiz_no_questions": (
        "No questions match these settings. Try another topic or difficulty.",
        "沒有符合這些設定的題目,請換一個主題或難度。",
    ),
    "quiz_started": (
        "🎯 Quiz started: {count} questions, {seconds} seconds each. Answer in the polls!",
        "🎯 測驗開始:共 {count} 題,每題 {seconds} 秒。請在投票中作答!",
    ),
    "quiz_none": ("There is no quiz running here.", "這裡沒有進行中的測驗。"),
    "quiz_paused": (
        "⏸ The quiz will pause after this question. /quiz resume continues.",
        "⏸ 測驗會在這題之後暫停。/quiz resume 繼續。",
    ),
    "quiz_resumed": ("▶️ Quiz resumed.", "▶️ 測驗繼續。"),
    "quiz_skipped": ("⏭ Skipping this question.", "⏭ 跳過這一題。"),
    "quiz_stopping": ("⏹ Stopping the quiz.", "⏹ 正在結束測驗。"),
    "quiz_only_host": (
        "Only the trainer who started this quiz (or an admin) can do that.",
        "只有開始這個測驗的培訓師(或管理員)可以這樣做。",
    ),
    "quiz_round_result": ("✅ Answer: {answer}", "✅ 答案:{answer}"),
    "quiz_leaderboard": ("Leaderboard", "排行榜"),
    "quiz_no_answers": ("No answers yet.", "還沒有人作答。"),
    "quiz_finished": ("🏁 <b>Quiz finished</b>", "🏁 <b>測驗結束</b>"),
    "quiz_stopped": ("⏹ <b>Quiz stopped</b>", "⏹ <b>測驗已結束</b>"),
    "quiz_points": (
        "{points} pts · {correct}/{answered} correct",
        "{points} 分 · 答對 {correct}/{answered}",
    ),
    "quiz_by_topic": ("By topic", "各主題結果"),
    "quiz_read_more": ("📖 Read more", "📖 閱讀原文"),
    "quiz_source": ("Source", "出處"),
    "quiz_stats": (
        "<b>Your quiz history</b>\nSessions: {sessions}\n{topics}",
        "<b>你的測驗紀錄</b>\n參加場次:{sessions}\n{topics}",
    ),
    "quiz_stats_none": ("You have not answered any quiz yet.", "你還沒有參加過測驗。"),
    "quiz_weak": ("Worth revising: {topics}", "建議複習:{topics}"),
    "quiz_report_none": ("No quiz has been run in this chat yet.", "這個聊天還沒有進行過測驗。"),
    "quiz_report_title": (
        "<b>Quiz report</b> (session {session}, {state})",
        "<b>測驗報告</b>(第 {session} 場,{state})",
    ),
    "quiz_usage": (
        "/quiz — setup · /quiz start · /quiz pause · /quiz resume · /quiz skip · /quiz stop · "
        "/quiz stats · /quiz report",
        "/quiz 設定 · /quiz start 開始 · /quiz pause 暫停 · /quiz resume 繼續 · "
        "/quiz skip 跳過 · /quiz stop 結束 · /quiz stats 我的紀錄 · /quiz report 報告",
    ),
    "quiz_state_running": ("running", "進行中"),
    "quiz_state_paused": ("paused", "暫停中"),
    "quiz_state_stopping": ("stopping", "結束中"),
    "quiz_state_finished": ("finished", "已完成"),
    "quiz_state_stopped": ("stopped early", "提前結束"),
    "topic_perceived_value": ("perceived value", "顧客感知價值"),
    "topic_delivered_value": ("delivered value", "顧客讓渡價值"),
    "topic_kano": ("Kano's need levels", "狩野需求層次"),
    "topic_clv": ("customer lifetime value", "顧客終身價值"),
    "topic_customer_equity": ("customer equity", "客戶資產"),
    "topic_pareto": ("the 80/20 rule", "二八法則"),
    "topic_customer_value": ("customer value", "顧客價值"),
    "topic_raise_value": ("raising customer value", "提升顧客價值"),
    "topic_cases": ("cases", "案例"),
}

QUIZ_TEXTS: dict[str, dict[Lang, str]] = {
    key: {Lang.EN: en, Lang.ZH_HANT: zh, Lang.ZH_HANS: to_simplified(zh)}
    for key, (en, zh) in _EN_ZH.items()
}
