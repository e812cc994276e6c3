"""`cvm ask --json` is a contract other tools read; the terminal chat is a newcomer's first run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

KEYS = {"question", "answered", "answer", "lang", "sources"}
SOURCE_KEYS = {"doc", "title", "section", "text", "score"}


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory, index_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(DATA_DIR=str(tmp_path_factory.mktemp("cli")), INDEX_DIR=str(index_dir))
    return env


def _cvm(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=env, input=stdin, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip


def test_ask_json_contract(cli_env: dict[str, str]) -> None:
    out = _cvm(cli_env, "ask", "什麼是滿足性需求?", "--json").stdout
    (line,) = out.splitlines()
    answer = json.loads(line)
    assert set(answer) == KEYS
    assert answer["answered"] is True and answer["lang"] == "zh-Hant"
    assert answer["sources"] and set(answer["sources"][0]) == SOURCE_KEYS
    scores = [s["score"] for s in answer["sources"]]
    assert scores == sorted(scores, reverse=True)
    assert "滿足性需求" in answer["sources"][0]["text"]


def test_ask_file_prints_json_lines(cli_env: dict[str, str], tmp_path: Path) -> None:
    questions = tmp_path / "q.txt"
    questions.write_text(
        "\ufeff什么是潜在价值?\n\nWhat is brand equity?\n明天會下雨嗎?\n", encoding="utf-8"
    )
    out = _cvm(cli_env, "ask", "--json", "--file", str(questions)).stdout
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["question"] for r in rows] == [
        "什么是潜在价值?",
        "What is brand equity?",
        "明天會下雨嗎?",
    ]
    assert [r["answered"] for r in rows] == [True, True, False]
    assert [r["lang"] for r in rows] == ["zh-Hans", "en", "zh-Hant"]
    assert rows[2]["sources"] == []


def test_terminal_chat_runs_the_real_handlers(cli_env: dict[str, str]) -> None:
    script = "/start\n什麼是影響價值?\n1\n2\n明天會下雨嗎?\n"
    out = _cvm(cli_env, "run", "--lang", "zh-hant", stdin=script).stdout
    assert "客戶價值管理助手" in out  # /start
    assert "根據知識庫:" in out and "[1] 📚 出處" in out  # answer with numbered buttons
    assert "引用的原文段落" in out  # pressed 1: sources
    assert "謝謝你的回饋!" in out  # pressed 2 (👍 after the keyboard lost its sources button)
    assert "知識庫沒有涵蓋" in out


def test_the_terminal_chat_shows_only_the_conversation(tmp_path: Path, index_dir: Path) -> None:
    """Issue 15: alembic's and aiogram's INFO lines were mixed into the chat. With a fresh
    data directory, /help and a question show the conversation; the logs go to a file."""
    env = {k: v for k, v in os.environ.items() if k not in ("TELEGRAM_BOT_TOKEN", "LOG_LEVEL")}
    env.update(DATA_DIR=str(tmp_path), INDEX_DIR=str(index_dir))
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--lang", "en"],
        env=env, input="/help\nWhat is customer perceived value?\n",
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    # Libraries' INFO lines must stay off the screen; progress lines are meant for it (a
    # first start on a busy machine takes over a second to fit the demo's models).
    log_line = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\S* +(DEBUG|INFO) (?!cvm\.progress:)")
    screen = done.stdout.splitlines() + done.stderr.splitlines()
    assert not [line for line in screen if log_line.search(line) or "alembic" in line]
    assert "Ask about customer value theory" in done.stdout or "/help" in done.stdout
    assert "[1] 📚 Sources" in done.stdout
    log_file = tmp_path / "logs" / "cvm.log"
    assert done.stderr.splitlines()[0] == f"(logs: {log_file})"
    kept = log_file.read_text(encoding="utf-8")
    assert "aiogram.event" in kept and "is handled" in kept


def test_run_modes_and_version(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(DATA_DIR=str(tmp_path))

    def cvm(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bot.cli", *args],
            env=env, input="", capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    assert re.fullmatch(r"cvm-bot \d+\.\d+\.\d+\n", cvm("--version").stdout)
    usage = cvm("run", "--help").stdout
    for mode in ("terminal =", "polling =", "webhook ="):
        assert mode in " ".join(usage.split())
    refused = cvm("run", "--mode", "polling")
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "cvm run: RUN_MODE=polling needs TELEGRAM_BOT_TOKEN (from @BotFather); "
        "use RUN_MODE=terminal (cvm run --mode terminal) for the terminal chat"
    )
