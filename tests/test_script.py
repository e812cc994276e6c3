import pytest

from knowledge.models import Lang
from knowledge.script import detect_lang, lang_from_code, to_script, to_simplified


@pytest.mark.parametrize(
    ("text", "code", "expected"),
    [
        ("什麼是服務價值?", None, Lang.ZH_HANT),
        ("什么是货币成本?", None, Lang.ZH_HANS),
        ("What is influence value?", None, Lang.EN),
        ("What is 影響價值?", None, Lang.EN),
        ("CRM后期分析的重点是什么?", "en", Lang.ZH_HANS),
        ("價值", "zh-cn", Lang.ZH_HANT),  # the script written wins over the client
        ("中", "zh-hant", Lang.ZH_HANT),  # shared character: the client decides
        ("中", "zh-cn", Lang.ZH_HANS),
        ("/start", "zh-hk", Lang.ZH_HANT),
        ("", None, Lang.EN),
    ],
)
def test_detect_lang(text: str, code: str | None, expected: Lang) -> None:
    assert detect_lang(text, code) is expected


def test_conversion_both_ways() -> None:
    assert to_simplified("顧客關系") == "顾客关系"
    assert to_script("顾客价值", Lang.ZH_HANT) == "顧客價值"
    assert to_script("顧客價值", Lang.ZH_HANS) == "顾客价值"
    assert to_script("顧客價值", Lang.EN) == "顧客價值"


def test_language_codes() -> None:
    assert lang_from_code("zh-TW") is Lang.ZH_HANT
    assert lang_from_code("zh") is Lang.ZH_HANS
    assert lang_from_code("en-US") is Lang.EN
    assert lang_from_code("de") is None
