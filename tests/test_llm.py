"""The LLM composer over real HTTP against a local OpenAI-compatible stub, and its checks.

The stub returns whatever the test wants the "model" to say, so every branch of
the checks and the fallback is exercised without a model. The real-model test
(llama-cpp-python with SmolLM2) is marked `llm`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web

from knowledge.llm import LLMComposer, check_answer
from knowledge.service import KnowledgeService

pytestmark = pytest.mark.asyncio(loop_scope="session")


class FakeModel:
    def __init__(self) -> None:
        self.reply = ""
        self.delay = 0.0
        self.status = 200
        self.prompts: list[str] = []

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.prompts.append(json.dumps(body["messages"], ensure_ascii=False))
        await asyncio.sleep(self.delay)
        if self.status != 200:
            return web.json_response({"error": {"message": "boom"}}, status=self.status)
        return web.json_response(
            {
                "id": "x", "object": "chat.completion", "created": 0, "model": "fake",
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": self.reply}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }
        )  # fmt: skip


@pytest_asyncio.fixture(loop_scope="session")
async def fake_model() -> AsyncIterator[tuple[FakeModel, str]]:
    model = FakeModel()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", model.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield model, f"http://127.0.0.1:{port}/v1"
    await runner.cleanup()


def _service(knowledge: KnowledgeService, url: str, timeout: float = 5.0) -> KnowledgeService:
    composer = LLMComposer(base_url=url, model="fake", api_key="x", timeout=timeout)
    return knowledge.with_composer(composer)


async def test_grounded_answer_is_used(
    knowledge: KnowledgeService, fake_model: tuple[FakeModel, str]
) -> None:
    model, url = fake_model
    model.reply = "服務價值是指企業伴隨實體產品的出售或單獨地向顧客提供的各種服務所體現的價值 [1]。"
    answer = await _service(knowledge, url).ask("什麼是服務價值?")
    assert answer.composer == "llm"
    assert answer.text == model.reply
    assert len(answer.sources) == 1
    assert "[1]" in model.prompts[-1] and "Traditional Chinese" in model.prompts[-1]


@pytest.mark.parametrize(
    "reply",
    [
        "",  # empty
        "NOT COVERED",
        "服務價值很重要 [7]。",  # cites a passage it was not given
        "服務價值是指企業伴隨實體產品的出售所體現的價值。",  # no citation
        "Bananas are yellow and grow in bunches [1].",  # off-topic
    ],
)
async def test_bad_answers_fall_back_to_extractive(
    knowledge: KnowledgeService, fake_model: tuple[FakeModel, str], reply: str
) -> None:
    model, url = fake_model
    model.reply = reply
    answer = await _service(knowledge, url).ask("什麼是服務價值?")
    assert answer.composer == "extractive" and answer.answered
    assert answer.text == knowledge.ask_sync("什麼是服務價值?").text


async def test_model_errors_and_timeouts_fall_back(
    knowledge: KnowledgeService, fake_model: tuple[FakeModel, str]
) -> None:
    model, url = fake_model
    model.status = 500
    assert (await _service(knowledge, url).ask("什麼是服務價值?")).composer == "extractive"
    model.status, model.delay, model.reply = 200, 2.0, "服務價值 [1]"
    answer = await _service(knowledge, url, timeout=0.5).ask("什麼是服務價值?")
    assert answer.composer == "extractive"


async def test_off_topic_never_reaches_the_model(
    knowledge: KnowledgeService, fake_model: tuple[FakeModel, str]
) -> None:
    model, url = fake_model
    calls = len(model.prompts)
    answer = await _service(knowledge, url).ask("明天會下雨嗎?")
    assert not answer.answered and len(model.prompts) == calls


async def test_citations_are_renumbered_to_the_sources_used(knowledge: KnowledgeService) -> None:
    passages = knowledge.retrieve("客戶資產由哪三個部分組成?").passages[:3]
    text = f"客户资产是由价值资产、品牌资产、维系资产三个部分组成 [{len(passages)}]。"
    checked = check_answer(text, passages)
    assert checked is not None
    new_text, used = checked
    assert new_text.endswith("[1]。") and used == (passages[-1],)
