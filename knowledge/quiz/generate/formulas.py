"""Formula and figure questions, from the corpus's equations and quantified rules.

An equation such as "Vc(顾客价值)=Rc(顾客购买总价值)-Cc(顾客购买总成本)" gives "what does Vc
equal?", with the same terms combined the wrong way as the other options; its symbol
list ("p为价格成本,w为使用成本,…") gives "what does t stand for?", with the other symbols'
meanings as options. A named rule with two shares ("二八法则,即80%以上的利润由20%的顾客
创造") gives a question on the second share.
"""

from __future__ import annotations

import re

from knowledge.models import Chunk
from knowledge.quiz.entry import BankEntry, seeded
from knowledge.quiz.generate.common import entry, passages, short_id, topic_for
from knowledge.script import to_simplified

_TERM = r"(?P<{0}>[A-Za-z]{{1,3}})[((](?P<{0}n>[^()()]{{2,12}})[))]"
_EQUATION = re.compile(
    _TERM.format("l") + r"=" + _TERM.format("a") + r"(?P<op>[-+×÷*/])" + _TERM.format("b")
)
_WRONG_OPS = {
    "-": ("+", "×", "÷"),
    "+": ("-", "×", "÷"),
    "×": ("÷", "+", "-"),
    "÷": ("×", "-", "+"),
}
_SYMBOL = re.compile(r"(?:^|(?<=[,,]))(?P<s>[a-zA-Z])为(?P<name>[\u4e00-\u9fff]{2,8}?)(?=[,。;,])")
_FUNCTION = re.compile(r"(?P<f>[A-Za-z]{1,3})=f\((?P<args>[^)]*)\)")
_RULE = re.compile(r"(?P<rule>[\u4e00-\u9fff]{2,4}(?:法则|定律|原则))")
_SHARE = re.compile(r"\d{1,3}%")
_SHARES = ("5%", "10%", "20%", "30%", "50%", "80%")


def formula_entries(chunks: list[Chunk]) -> list[BankEntry]:
    entries = []
    for chunk in passages(chunks):
        text = to_simplified(chunk.text)
        entries += _equations(chunk, text) + _symbols(chunk, text) + _rules(chunk, text)
    return entries


def _equations(chunk: Chunk, text: str) -> list[BankEntry]:
    out = []
    for n, m in enumerate(_EQUATION.finditer(text)):
        a = f"{m['a']}({m['an']})"
        b = f"{m['b']}({m['bn']})"
        op = m["op"] if m["op"] not in "*/" else {"*": "×", "/": "÷"}[m["op"]]
        wrong = [f"{b}{op}{a}"] if op in "-÷" else []
        wrong += [f"{a}{other}{b}" for other in _WRONG_OPS[op]]
        lhs = f"{m['l']}({m['ln']})"
        out.append(
            entry(
                id=f"formula-{short_id(chunk)}-{n + 1}",
                topic=topic_for(m.group(0), "delivered_value"),
                difficulty=3,
                passage=chunk,
                cue=m.group(0)[: len(lhs) + 1],
                question=f"按文中的公式,{lhs}等于什么?",
                answer=f"{a}{m['op']}{b}",
                distractors=wrong[:3],
                explanation=f"文中公式:{m.group(0)}。",
                window=0,
                window_after=len(m.group(0)) - len(lhs) - 1,
            )
        )
    return out


def _symbols(chunk: Chunk, text: str) -> list[BankEntry]:
    found = list(_SYMBOL.finditer(text))
    if len(found) < 4:
        return []
    out = []
    for m in found:
        function = next(
            (f for f in _FUNCTION.finditer(text, 0, m.start()) if m["s"] in f["args"]), None
        )
        cue = f"{m['s']}为"
        if function is None or text.find(cue) != m.start():  # the validator finds the first
            continue
        others = [o["name"] for o in found if o["name"] != m["name"]]
        out.append(
            entry(
                id=f"symbol-{short_id(chunk)}-{m['s']}",
                topic=topic_for(m["name"], "delivered_value"),
                difficulty=2,
                passage=chunk,
                cue=cue,
                question=f"文中公式 {function.group(0)} 里,{m['s']} 代表什么?",
                answer=m["name"],
                distractors=seeded(chunk.chunk_id + m["s"]).sample(others, 3),
                explanation="文中:" + ",".join(f"{o['s']}为{o['name']}" for o in found) + "。",
                window=0,
                window_after=len(m["name"]),
            )
        )
    return out


def _rules(chunk: Chunk, text: str) -> list[BankEntry]:
    out = []
    for sentence in re.findall(r"[^。]*[。]", text):
        rule = _RULE.search(sentence)
        shares = list(_SHARE.finditer(sentence))
        if rule is None or len(shares) < 2 or shares[0].start() < rule.end():
            continue
        last = shares[1]
        name = re.split(r"[的据]", rule["rule"])[-1]  # "著名的二八法则" -> "二八法则"
        start = rule.end() - len(name)
        before = sentence[start : last.start()]
        shown = before + "____" + sentence[last.end() :]
        wrong = [s for s in _SHARES if s not in sentence]
        out.append(
            entry(
                id=f"rule-{short_id(chunk)}-{start}",
                topic=topic_for(sentence, "pareto"),
                difficulty=1,
                passage=chunk,
                cue=before[-12:],
                question=f"按文中的说法填空:「{shown.rstrip('。')}」",
                answer=last.group(0),
                distractors=seeded(chunk.chunk_id).sample(wrong, 3),
                explanation=sentence[start:],
                window=0,
                window_after=len(last.group(0)),
            )
        )
    return out
