"""Texts of the gate (who gets in), throttling, groups, /status and outages."""

from __future__ import annotations

from knowledge.models import Lang
from knowledge.script import to_simplified

_EN_ZH: dict[str, tuple[str, str]] = {
    "ask_admin": (
        "Hello! This bot is open to invited staff only. Please ask your admin to give you "
        "access, and tell them your Telegram ID: <code>{user}</code>.",
        "你好!這個機器人只開放給受邀的同事使用。請聯絡你的管理員開通權限,並告訴他你的 "
        "Telegram ID:<code>{user}</code>。",
    ),
    "temporarily_limited": (
        "Sorry, the service is temporarily limited and I cannot check your access right now. "
        "Please try again in a few minutes.",
        "抱歉,服務暫時受限,我現在無法確認你的權限。請幾分鐘後再試。",
    ),
    "ask_admin_short": (
        "Please ask your admin for access first.",
        "請先聯絡管理員開通權限。",
    ),
    "group_not_allowed": (
        "I am not enabled in this group yet. An admin can enable me here with /allowgroup.",
        "這個群組還沒有啟用我。管理員可以在這裡傳送 /allowgroup 啟用。",
    ),
    "throttled": (
        "You are sending messages faster than I can answer them well. Please wait about "
        "{seconds} seconds, then try again.",
        "你傳訊息的速度比我回答得還快。請等大約 {seconds} 秒後再試。",
    ),
    "group_allowed": (
        "This group is enabled: members can now ask me questions and run quizzes here.",
        "已啟用這個群組:成員現在可以在這裡問我問題和進行測驗。",
    ),
    "group_already": ("This group was already enabled.", "這個群組早已啟用。"),
    "group_denied": (
        "This group is disabled; I will stay silent here.",
        "已停用這個群組,我在這裡將不再回應。",
    ),
    "group_not_listed": ("This group was not enabled.", "這個群組原本就沒有啟用。"),
    "group_configured": (
        "This group is enabled by configuration (ALLOWED_GROUP_IDS); change it there.",
        "這個群組是在設定檔(ALLOWED_GROUP_IDS)中啟用的,請在設定中變更。",
    ),
    "group_usage": (
        "Send <code>/allowgroup</code> or <code>/denygroup</code> in the group itself, or "
        "<code>/allowgroup CHAT_ID</code> in a private chat with me.",
        "請在群組中傳送 <code>/allowgroup</code> 或 <code>/denygroup</code>,或在與我的私訊中"
        "傳送 <code>/allowgroup 群組ID</code>。",
    ),
    "groups_title": ("<b>Enabled groups</b>", "<b>已啟用的群組</b>"),
    "groups_empty": ("No group is enabled yet.", "尚未啟用任何群組。"),
    "groups_admin_only": (
        "Only admins can enable or disable groups.",
        "只有管理員可以啟用或停用群組。",
    ),
    "status_admin_only": ("Only admins can see the status.", "只有管理員可以查看狀態。"),
}

OPS_TEXTS: dict[str, dict[Lang, str]] = {
    key: {Lang.EN: en, Lang.ZH_HANT: zh, Lang.ZH_HANS: to_simplified(zh)}
    for key, (en, zh) in _EN_ZH.items()
}
