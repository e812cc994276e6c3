"""How far an answer reads: to the full stop, and on through its paragraph within a budget.

On held-out questions the key fact was often one clause or one sentence past where the
answer stopped ("自帶一瓶水" after "鞋套" and "抹布"; the effect after the example). The
made-up article is not one of the five, so the tests show the rule, not the corpus.
"""

from __future__ import annotations

import pytest

from knowledge.answer_plan import THOUGHT_CHARS
from knowledge.embedding import Embedder
from knowledge.models import Lang
from knowledge.service import KnowledgeService
from tests.one_article import service_on

FILLER = "門市每季檢討一次會員名冊,並把結果交給區域經理。"
RUN_ON = (
    "門市也會記錄會員的生日與偏好,作為日後推薦商品的參考。"
    "店長在週會上說明本月的促銷檔期與陳列調整。"
    "倉庫人員每天清點庫存,避免熱門商品缺貨。"
    "收銀台旁放著新品試用包,讓來店的客人自由取用。"
    "區域經理不定期走訪門市,聽取第一線同仁的意見。"
    "年底時總部會彙整各店的營業額,公布在內部網站上。"
    "新進同仁要先在資深同仁身邊見習兩個星期。"
    "每逢週末,門市會在入口處安排同仁迎賓,並引導客人到新品展示區試用商品。"
    "清潔公司每週兩次到門市打掃,包括玻璃門、試衣間與倉庫的地板。"
    "總部的採購部門每個月與供應商開會,討論下一季的商品組合、價格與到貨時間。"
    "門市的冷氣、照明與收銀設備由總務部門統一維護,故障時可以撥打內線報修。"
    "每年春天,各店輪流派同仁參加總部舉辦的商品知識研習,回店後再分享給其他同仁。"
    "門市的營業時間在節慶期間會延長到晚上十點。"
)
ARTICLE = f"""門市服務手冊
一、上門服務的細節
細節最能讓會員感到被重視。服務人員上門時自帶一雙鞋套,以免弄髒會員家的地面;自帶一塊抹布,把維修時的髒物清乾淨;自帶一瓶水,不給會員增添麻煩。這些周到的細節讓會員徹底信服門市,即使價格比別家高也願意回購。
二、會員名冊
{FILLER * 12}
三、會員分級的理由
會員分級讓門市把有限的人力放在最有價值的會員身上。分級的依據是會員過去一年的消費金額。{RUN_ON}
"""


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> KnowledgeService:
    return service_on(tmp_path_factory, embedder, "901_shop.txt", ARTICLE)


def quoted(text: str) -> str:
    """The answer's quoted sentences, without the lead line and the passage numbers."""
    lines = [line.lstrip("• ").split(" [")[0] for line in text.splitlines()[1:]]
    return "".join(lines)


def test_a_sentence_ending_in_a_semicolon_is_read_to_its_full_stop(
    shop: KnowledgeService,
) -> None:
    answer = shop.ask_sync("服務人員上門時會自帶哪些東西?", Lang.ZH_HANT)
    assert answer.answered
    for item in ("鞋套", "抹布", "一瓶水"):  # on main the answer stopped after 抹布
        assert item in answer.text


def test_the_paragraph_rounds_out_the_thought(shop: KnowledgeService) -> None:
    answer = shop.ask_sync("服務人員上門自帶鞋套這些細節,對會員有什麼效果?", Lang.ZH_HANT)
    assert answer.answered
    assert "徹底信服" in answer.text  # the sentence after the example, same paragraph
    assert "細節最能讓會員感到被重視" in answer.text  # and the one before it


def test_a_long_paragraph_is_not_quoted_whole(shop: KnowledgeService) -> None:
    answer = shop.ask_sync("會員分級的依據是什麼?", Lang.ZH_HANT)
    assert answer.answered
    assert "消費金額" in answer.text
    said = quoted(answer.text)
    assert "營業時間在節慶期間" not in said  # the paragraph runs on; the answer does not
    assert len(said) <= THOUGHT_CHARS + 60  # one sentence may be what it leans on
