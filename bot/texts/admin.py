"""Texts of the admin commands, in English and Traditional Chinese (Simplified via OpenCC)."""

from __future__ import annotations

from knowledge.models import Lang
from knowledge.script import to_simplified

_EN_ZH: dict[str, tuple[str, str]] = {
    "admin_only": (
        "Only admins can change roles.",
        "只有管理員可以變更角色。",
    ),
    "admin_private_only": (
        "Please manage roles in a private chat with me.",
        "請在與我的私訊中管理角色。",
    ),
    "grant_usage": (
        "Usage: <code>/grant USER_ID ROLE</code> (roles: manager, trainer, staff), or reply "
        "to someone's message with <code>/grant ROLE</code>.",
        "用法:<code>/grant 使用者ID 角色</code>(角色:manager、trainer、staff),或回覆某人的"
        "訊息並傳送 <code>/grant 角色</code>。",
    ),
    "revoke_usage": (
        "Usage: <code>/revoke USER_ID</code>, or reply to someone's message with "
        "<code>/revoke</code>.",
        "用法:<code>/revoke 使用者ID</code>,或回覆某人的訊息並傳送 <code>/revoke</code>。",
    ),
    "granted": ("User {user} is now {role}.", "使用者 {user} 的角色已設為 {role}。"),
    "revoked": ("User {user} no longer has a role.", "已移除使用者 {user} 的角色。"),
    "revoke_none": ("User {user} had no role.", "使用者 {user} 原本就沒有角色。"),
    "role_of_admin": (
        "User {user} is an admin by configuration (ADMIN_IDS); change it there.",
        "使用者 {user} 是設定檔(ADMIN_IDS)中的管理員,請在設定中變更。",
    ),
    "users_title": ("<b>Roles</b>", "<b>角色</b>"),
    "users_empty": ("No roles granted yet.", "尚未授予任何角色。"),
    "users_admins": ("Admins (configuration): {ids}", "管理員(設定檔):{ids}"),
    "roles_unavailable": (
        "Roles are temporarily unavailable (the database did not answer). Please try again "
        "shortly.",
        "角色資料暫時無法使用(資料庫沒有回應),請稍後再試。",
    ),
}

ADMIN_TEXTS: dict[str, dict[Lang, str]] = {
    key: {Lang.EN: en, Lang.ZH_HANT: zh, Lang.ZH_HANS: to_simplified(zh)}
    for key, (en, zh) in _EN_ZH.items()
}
