"""Quiz questions as the bot, the validator and `cvm quiz list --json` see them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QuizSource:
    doc: str
    section: str
    text: str


@dataclass(frozen=True, slots=True)
class QuizQuestion:
    id: str  # stable across runs: "<bank id>.<lang>"
    lang: str  # "zh-Hant", "zh-Hans" or "en"
    topic: str
    difficulty: int  # 1 (recall) to 3 (application)
    question: str
    options: tuple[str, ...]
    correct: int
    explanation: str
    source: QuizSource

    def as_json_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "lang": self.lang,
            "topic": self.topic,
            "difficulty": self.difficulty,
            "question": self.question,
            "options": list(self.options),
            "correct": self.correct,
            "explanation": self.explanation,
            "source": {
                "doc": self.source.doc,
                "section": self.source.section,
                "text": self.source.text,
            },
        }
