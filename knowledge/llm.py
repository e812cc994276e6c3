"""Optional: an OpenAI-compatible chat model writes the answer from the retrieved passages.

The model is never trusted: its answer must not be empty, must cite only the
passages it was given, and must share vocabulary with them. Anything else (a
failed check, an error, a time-out) returns None, and the service falls back
to the extractive answer, which is always available.
"""

from __future__ import annotations

import asyncio
import logging

from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from knowledge.answer import cited_passages, sources_of
from knowledge.answer_plan import Draft
from knowledge.lexical import tokenize
from knowledge.models import CITATION_MARK, Answer, Lang, Passage

log = logging.getLogger(__name__)

MIN_SHARED_TERMS = 2
_LANGUAGE_NAME = {
    Lang.ZH_HANT: "Traditional Chinese (繁體中文)",
    Lang.ZH_HANS: "Simplified Chinese (简体中文)",
    Lang.EN: "English",
}
SYSTEM = (
    "You answer staff questions about customer value management using ONLY the numbered "
    "passages provided. Cite every statement with the passage number in square brackets, "
    "like [1]. If the passages do not answer the question, reply exactly: NOT COVERED. "
    "Do not use outside knowledge. Answer in {language}, in at most 5 sentences."
)


class LLMComposer:
    name = "llm"

    def __init__(self, base_url: str, model: str, api_key: str, timeout: float) -> None:
        self._timeout = timeout
        self._chat = ChatOpenAI(
            base_url=base_url,
            model=model,
            api_key=SecretStr(api_key),
            temperature=0,
            max_retries=0,
            timeout=timeout,
            max_completion_tokens=400,
        )

    async def acompose(self, draft: Draft) -> Answer | None:
        passages = cited_passages(draft.passages, draft.intent.wants_list)
        try:
            reply = await asyncio.wait_for(self._ask(draft, passages), timeout=self._timeout)
        except Exception as error:  # network, HTTP, time-out: all mean "use the fallback"
            log.warning("LLM composer failed (%s); using the extractive answer", error)
            return None
        checked = check_answer(reply, passages)
        if checked is None:
            log.info("LLM answer rejected by the checks; using the extractive answer")
            return None
        text, used = checked
        return Answer(
            question=draft.question,
            answered=True,
            text=text,
            lang=draft.lang,
            sources=sources_of(used),
            composer=self.name,
        )

    async def _ask(self, draft: Draft, passages: tuple[Passage, ...]) -> str:
        numbered = "\n\n".join(f"[{n}] {p.chunk.text}" for n, p in enumerate(passages, 1))
        messages = [
            SystemMessage(SYSTEM.format(language=_LANGUAGE_NAME[draft.lang])),
            HumanMessage(f"Passages:\n{numbered}\n\nQuestion: {draft.question}"),
        ]
        result = await self._chat.ainvoke(messages)
        return str(result.content)


def check_answer(
    reply: str, passages: tuple[Passage, ...]
) -> tuple[str, tuple[Passage, ...]] | None:
    """Accept only grounded answers; renumber citations to the passages actually cited."""
    text = reply.strip()
    if not text or "NOT COVERED" in text.upper():
        return None
    numbers = [int(n) for n in CITATION_MARK.findall(text)]
    if not numbers or any(n < 1 or n > len(passages) for n in numbers):
        return None
    order: list[int] = []
    for n in numbers:
        if n not in order:
            order.append(n)
    used = tuple(passages[n - 1] for n in order)
    answer_terms = set(tokenize(CITATION_MARK.sub(" ", text)))
    passage_terms = {tok for p in used for tok in tokenize(p.chunk.text)}
    if len(answer_terms & passage_terms) < MIN_SHARED_TERMS:
        return None  # off-topic, or a language the passages do not share
    renumber = {old: new for new, old in enumerate(order, 1)}
    text = CITATION_MARK.sub(lambda m: f"[{renumber[int(m.group(1))]}]", text)
    return text, used
