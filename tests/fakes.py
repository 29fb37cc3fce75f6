"""Scripted chat models for unit tests of graph logic (never for the real path)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from pydantic import BaseModel

from debate_eval.core.moves import ADVOCATE_MOVES, CONTENT_FREE, MOVE_QUESTIONS, MOVES
from debate_eval.models.chat import RoleModels


def tool_reply(name: str, args: dict | BaseModel, usage: tuple[int, int] = (100, 20)) -> AIMessage:
    """An AIMessage that calls function `name` with `args`, as a server would return it."""
    if isinstance(args, BaseModel):
        args = args.model_dump()
    return AIMessage(
        content="",
        tool_calls=[{"name": name, "args": args, "id": f"call_{name}", "type": "tool_call"}],
        usage_metadata={
            "input_tokens": usage[0],
            "output_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    )


def text_reply(text: str, usage: tuple[int, int] = (80, 30)) -> AIMessage:
    return AIMessage(
        content=text,
        usage_metadata={
            "input_tokens": usage[0],
            "output_tokens": usage[1],
            "total_tokens": sum(usage),
        },
    )


class ScriptedChatModel(GenericFakeChatModel):
    """Replies from a script; records every prompt it was sent, and the call parameters
    (temperature, seed…) bound for it in `sampling`, in the same order.

    `reply` may be a list (consumed in order) or a function of the messages (for concurrent
    callers whose order is not fixed). `gate`, if set, is awaited before each reply, so tests
    can prove several calls are in flight at once.
    """

    messages: Iterator[Any] = iter(())
    reply: Any = None
    prompts: list[list[BaseMessage]] = []  # noqa: RUF012 - a pydantic field
    sampling: list[dict[str, Any]] = []  # noqa: RUF012 - a pydantic field
    gate: Any = None

    def __init__(self, reply: list | Callable[[list[BaseMessage]], AIMessage], **kwargs: Any):
        super().__init__(messages=iter(()), reply=reply, prompts=[], sampling=[], **kwargs)
        if isinstance(reply, list):
            self.messages = iter(reply)

    def bind_tools(self, tools: Any, **kwargs: Any) -> ScriptedChatModel:
        return self

    def _next(self, messages: list[BaseMessage]) -> AIMessage:
        self.prompts.append(list(messages))
        if callable(self.reply):
            return self.reply(messages)
        return next(self.messages)

    def _generate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        from langchain_core.outputs import ChatGeneration

        self.sampling.append(dict(kwargs))
        return ChatResult(generations=[ChatGeneration(message=self._next(messages))])

    async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs) -> ChatResult:
        if self.gate is not None:
            await self.gate()
        return self._generate(messages, stop=stop, **kwargs)


def prompt_text(messages: list[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages)


class Barrier:
    """Lets calls through only once `parties` of them are waiting at the same time."""

    def __init__(self, parties: int, timeout: float = 5.0) -> None:
        self.parties = parties
        self.timeout = timeout
        self.waiting = 0
        self.max_in_flight = 0
        self.event: asyncio.Event | None = None

    async def __call__(self) -> None:
        self.event = self.event or asyncio.Event()
        self.waiting += 1
        self.max_in_flight = max(self.max_in_flight, self.waiting)
        if self.waiting >= self.parties:
            self.event.set()
        try:
            await asyncio.wait_for(self.event.wait(), self.timeout)
        finally:
            self.waiting -= 1


CLAIMS = [
    {"text": "Bike lanes will halve traffic deaths.", "passage": "cut traffic deaths by half"},
    {"text": "Shops will lose business.", "passage": "the lanes will hurt local shops"},
    {"text": "The plan is federally funded.", "passage": "funding comes from a federal grant"},
]

REPORT = {
    "summary": ["The council approved lanes.", "Critics fear for shops.", "A grant pays."],
    "rating": {
        "label": "May be slightly imbalanced",
        "explanation": "It omits data on comparable cities; readers should look for it.",
    },
    "analysis": [
        {
            "text": "The safety claim rests on supporters' word alone [c1, c1-r1-skeptic].",
            "claim_ids": ["c1"],
            "turn_ids": ["c1-r1-skeptic"],
        },
        {
            "text": "The lobbying role of the cycling group is mentioned but not examined [c2].",
            "claim_ids": ["c2"],
            "turn_ids": [],
        },
    ],
    "research_topics": [
        "bike lane safety data",
        "parking removal retail",
        "federal grants",
        "cycling lobby funding",
    ],
}


def article_quote(messages: list[BaseMessage], words: int = 6) -> str:
    """The first words of the fenced article, in double quotes, as a debater would quote them."""
    found = re.search(r"<article>\n(.*?)\n</article>", prompt_text(messages), re.DOTALL)
    return f'"{" ".join(found.group(1).split()[:words])}"' if found else ""


EVIDENCE_ASK = "Sentences from the article, each with a letter:"


def evidence_letters(messages: list[BaseMessage]) -> list[str]:
    """The letters an evidence call offers (empty for any other call)."""
    text = prompt_text(messages)
    if EVIDENCE_ASK not in text:
        return []
    return re.search(r"Answer with exactly one of: ([A-H, ]+)\.", text).group(1).split(", ")


# The moves each role's questions measure, in menu order (the concession has none): written
# out here, not read from the product, so that a test notices a move gained or lost.
QUESTION_MOVES = {
    "advocate": ("direct_evidence", "quoted_expert", "mechanism"),
    "skeptic": (
        "no_source",
        "loaded_wording",
        "figure_without_context",
        "cause_without_evidence",
        "prediction_as_certain",
        "one_case",
    ),
}
MOVE_ASK = "Question about one sentence: "
SIDE_ASK = "Role: side check."


def move_asked(messages: list[BaseMessage]) -> tuple[str, str] | None:
    """(the move kind, the sentence) a move question asks about; None for any other call."""
    text = prompt_text(messages)
    if MOVE_ASK not in text:
        return None
    question = text.split(MOVE_ASK, 1)[1].split("\n", 1)[0]
    kind = next(k for k, q in MOVE_QUESTIONS.items() if q.question == question)
    sentence = re.search(r"<sentence>\n(.*?)\n</sentence>", text, re.DOTALL).group(1)
    return kind, sentence


def move_answer(messages: list[BaseMessage], wanted: str, p: float = 0.7) -> AIMessage:
    """A move question's answer from a debater whose sentences make move `wanted`: P(the
    answer that makes it) `p` for its question, 0.3 for the others, 0.2 for any question about
    the content-free sentence (so the wanted move is chosen, and none would be conceded)."""
    kind, sentence = move_asked(messages)
    makes = MOVE_QUESTIONS[kind].makes
    other = "no" if makes == "yes" else "yes"
    q = 0.2 if sentence == CONTENT_FREE else p if kind == wanted else 0.3
    return option_reply({makes: q, other: 1 - q})


_SIDE_RE = re.compile(r"^([A-Z])\. It argues (that|against) claim", re.MULTILINE)


def checked_sentence(messages: list[BaseMessage]) -> str:
    """The turn's sentence a side check asks about."""
    last = str(messages[-1].content)
    return re.search(r"<sentence>\n(.*?)\n</sentence>", last, re.DOTALL).group(1)


def side_answer(messages: list[BaseMessage], argues_for: float) -> AIMessage:
    """A side check's letter, P `argues_for` on the side "argues that the claim holds" whichever
    letter it has in this order."""
    letters = {m.group(2): m.group(1) for m in _SIDE_RE.finditer(str(messages[-1].content))}
    return option_reply({letters["that"]: argues_for, letters["against"]: 1 - argues_for})


def side_reply(messages: list[BaseMessage]) -> AIMessage:
    """The side check of a debater that keeps its side. The check sees the sentence alone, and
    the scripted turns name their speaker: a skeptic's sentence argues against the claim."""
    sentence = checked_sentence(messages)
    if sentence == CONTENT_FREE:  # the claim's baseline: no side
        return side_answer(messages, 0.5)
    return side_answer(messages, 0.1 if "skeptic" in sentence.lower() else 0.9)


def picks_evidence(
    reply: Callable[[list[BaseMessage]], AIMessage],
) -> Callable[[list[BaseMessage]], AIMessage]:
    """A debater's `reply` that also answers evidence calls (the last sentence offered), move
    questions (its role's first move: never a concession), side checks (own side) and the
    read of the debate's shared prefix (an empty question: one token)."""

    def answer(messages: list[BaseMessage]) -> AIMessage:
        if messages[-1].content == "":
            return text_reply(".", usage=(1500, 1))
        if letters := evidence_letters(messages):
            return option_reply({x: 0.6 if x == letters[-1] else 0.1 for x in letters})
        if asked := move_asked(messages):
            role = "advocate" if asked[0] in ADVOCATE_MOVES else "skeptic"
            return move_answer(messages, next(iter(MOVES[role])))
        if SIDE_ASK in prompt_text(messages):
            return side_reply(messages)
        return reply(messages)

    return answer


def debater_reply(messages: list[BaseMessage]) -> AIMessage:
    """A turn whose words differ by role, claim and round (so no early stop), quoting the
    article."""
    text = prompt_text(messages)
    role = "advocate" if "Role: advocate" in text else "skeptic"
    round_ = re.search(r"Role: \w+, round (\d+) of", text).group(1)
    claim_id = re.search(r"Claim (c\d+) under debate", text).group(1)
    points = " ".join(f"{role}{claim_id}round{round_}point{i}" for i in range(6))
    return text_reply(f"{role} on {claim_id}, round {round_}: {points} {article_quote(messages)}")


# The claim judge's calls, told apart by their last message.
VERDICT_ASK = "Which verdict fits claim"
DECISIVE_ASK = "Which one of these moves decided it"
PROBE_ASK = "Question about claim"
# P(yes) of each claim probe (core.claim_probes.CLAIM_PROBES ids) unless a test says otherwise.
CLAIM_PROBE_YES = {"evidence": 0.3, "view_against": 0.2, "opinion_as_fact": 0.7}
_MOVE_OPTION_RE = re.compile(r"^([A-H])\. \[(c\d+-r(\d+)-\w+)\]", re.MULTILINE)


def move_options(messages: list[BaseMessage]) -> dict[str, str]:
    """The turns a decisive-move call offers: turn id -> letter (empty for any other call)."""
    last = str(messages[-1].content)
    if DECISIVE_ASK not in last:
        return {}
    return {m.group(2): m.group(1) for m in _MOVE_OPTION_RE.finditer(last)}


def decisive_reply(messages: list[BaseMessage], turn: str | None = None) -> AIMessage:
    """A decisive-move pick that follows the turn, not the letter: `turn` when offered, else the
    latest skeptic turn (else the latest turn)."""
    offered = move_options(messages)
    if turn not in offered:
        by_round = sorted(offered, key=lambda t: int(re.search(r"-r(\d+)-", t).group(1)))
        skeptics = [t for t in by_round if t.endswith("-skeptic")]
        turn = (skeptics or by_round)[-1]
    rest = 0.3 / (len(offered) - 1)
    return option_reply({x: 0.7 if t == turn else rest for t, x in offered.items()})


def offered(verdict_ask: str) -> list[tuple[str, str]]:
    """(letter, verdict) as a verdict call offers them, in its order."""
    return re.findall(r"^([A-C])\. (supported|contested|unsupported):", verdict_ask, re.MULTILINE)


def ruling_reply(
    verdicts: dict[str, str] | None = None,
    *,
    probe_yes: dict[str, float] | None = None,
    decisive: dict[str, str] | None = None,
    point: Callable[[list[BaseMessage]], str] | None = None,
) -> Callable:
    """The claim judge's calls answered by what each asks: the probes (P(yes) by probe id), the
    decisive move (a turn id by claim id), the point as text, the verdict letter (by claim id)."""
    from debate_eval.core.claim_probes import CLAIM_PROBES

    yes = {**CLAIM_PROBE_YES, **(probe_yes or {})}

    def reply(messages: list[BaseMessage]) -> AIMessage:
        claim_id = re.search(r"Claim (c\d+) under debate", prompt_text(messages)).group(1)
        last = str(messages[-1].content)
        if VERDICT_ASK in last:
            verdict = (verdicts or {}).get(claim_id, "contested")
            return option_reply({k: 0.8 if v == verdict else 0.1 for k, v in offered(last)})
        if PROBE_ASK in last:
            probe = next(p for p, question in CLAIM_PROBES.items() if question in last)
            return option_reply({"yes": yes[probe], "no": 1 - yes[probe]})
        if DECISIVE_ASK in last:
            return decisive_reply(messages, (decisive or {}).get(claim_id))
        if point is not None:
            return text_reply(point(messages))
        return text_reply(f"Decisive for {claim_id}: no data given.")

    return reply


def scripted_models(
    *,
    claims: list[dict] | None = None,
    debater: Callable | None = None,
    verdicts: dict[str, str] | None = None,
    report: dict | None = None,
) -> RoleModels:
    """A full cast of scripted models that together produce a valid run."""
    return RoleModels(
        extractor=ScriptedChatModel([tool_reply("ExtractedClaims", {"claims": claims or CLAIMS})]),
        advocate=ScriptedChatModel(picks_evidence(debater or debater_reply)),
        skeptic=ScriptedChatModel(picks_evidence(debater or debater_reply)),
        claim_judge=ScriptedChatModel(checks_sides(ruling_reply(verdicts))),
        judge=ScriptedChatModel(judge_reply(report)),
    )


def checks_sides(
    reply: Callable[[list[BaseMessage]], AIMessage],
) -> Callable[[list[BaseMessage]], AIMessage]:
    """A claim judge's `reply` that also answers the debaters' side checks (each on its side)."""

    def answer(messages: list[BaseMessage]) -> AIMessage:
        return side_reply(messages) if SIDE_ASK in prompt_text(messages) else reply(messages)

    return answer


def option_reply(probabilities: dict[str, float], usage: tuple[int, int] = (90, 1)) -> AIMessage:
    """A one-token answer with OpenAI-format logprobs: each option as two token variants."""
    import math

    alternatives = []
    for option, p in probabilities.items():
        if p > 0:
            alternatives += [
                {"token": option, "logprob": math.log(0.8 * p)},
                {"token": f" {option}", "logprob": math.log(0.2 * p)},
            ]
    alternatives.sort(key=lambda a: -a["logprob"])
    top = alternatives[0]
    message = text_reply(top["token"], usage)
    message.response_metadata = {
        "logprobs": {
            "content": [
                {"token": top["token"], "logprob": top["logprob"], "top_logprobs": alternatives}
            ]
        }
    }
    return message


LETTER_OF = {
    "Appears well balanced": "A",
    "May be slightly imbalanced": "B",
    "Appears moderately imbalanced": "C",
    "Appears strongly imbalanced": "D",
}
# P(yes) per checklist question (by its first words); the rest answer 0.2.
PROBE_YES = {"Is the article written to promote": 0.8, "Does the article present opposing": 0.3}
ANALYST_TEXT = (
    'The article quotes only supporters: "cut traffic deaths by half" is asserted with no '
    "data, and the skeptic's point [c1-r1-skeptic] about which cities went unanswered [c1]."
)
OTHER_ANALYST_TEXT = (
    "Opponents get a single sentence while the group that lobbied for the plan is praised; "
    "no shop owner speaks for themselves [c2]."
)


def analyst_reply(messages: list[BaseMessage]) -> AIMessage:
    """A different paragraph for the first finding (promotion) than for any other."""
    text = prompt_text(messages[1:])
    return text_reply(ANALYST_TEXT if "written to promote" in text else OTHER_ANALYST_TEXT)


def judge_reply(
    report: dict | None = None,
    *,
    letters: dict[str, float] | None = None,
    probe_yes: dict[str, float] | None = None,
    analyst: Callable[[list[BaseMessage]], AIMessage] | None = None,
) -> Callable[[list[BaseMessage]], AIMessage]:
    """The report judge's calls answered by what each asks: option questions with logprobs
    (letters: the four label probabilities; probe_yes: P(yes) by question start), the summary
    and topics as tool calls, explanation and analysis paragraphs as text."""
    report = report or REPORT
    label = report["rating"]["label"]
    letters = letters or {k: (0.7 if k == LETTER_OF[label] else 0.1) for k in "ABCD"}
    probe_yes = {**PROBE_YES, **(probe_yes or {})}

    def reply(messages: list[BaseMessage]) -> AIMessage:
        # The role's prompt (and any repair request); of a paragraph call, its worked examples
        # and the paragraph (probe_yes can key on "<paragraph>" or the paragraph's words).
        text = prompt_text(messages[1:] or messages)
        if offered := evidence_letters(messages):  # the analyst picks its sentence: the first
            return option_reply({x: 0.6 if x == offered[0] else 0.1 for x in offered})
        if "Answer with exactly one of: A, B, C, D." in text:
            return option_reply(letters)
        if "Answer with exactly one of: yes, no." in text:
            p = next((v for k, v in probe_yes.items() if k in text), 0.2)
            return option_reply({"yes": p, "no": 1 - p})
        if "Role: summariser" in text:
            return tool_reply("SummaryDraft", {"points": report["summary"]})
        if "Role: research guide" in text:
            return tool_reply("TopicsDraft", {"topics": report["research_topics"]})
        if "Role: analyst" in text:
            return (analyst or analyst_reply)(messages)
        if "Role: chief judge" in text:
            return text_reply(report["rating"]["explanation"])
        raise AssertionError(f"the judge fake got an unexpected call: {text[:200]}")

    return reply


PARAGRAPH_ANSWER = "Answer with exactly one of: yes, no."


def asked_paragraph(paragraph: str) -> str:
    """The last message of a paragraph call, written out: the paragraph fenced, then the form
    of the answer."""
    return f"<paragraph>\n{paragraph}\n</paragraph>\n\n{PARAGRAPH_ANSWER}"


def worked_example_turns(prompt: str) -> list[tuple[str, str]]:
    """The prefix a paragraph question's calls share, as (type, content) pairs read straight
    from prompt file `prompt` (not with the package's parsing): its instructions as the system
    message, then each "answer: paragraph" line after "Examples:" as the paragraph asked and the
    answer given."""
    from importlib import resources

    text = (resources.files("debate_eval") / "prompts" / f"{prompt}.md").read_text("utf-8")
    instructions, examples = text.split("\n\nExamples:\n")
    turns = [("system", instructions.strip())]
    for line in examples.strip().split("\n"):
        answer, paragraph = line.split(": ", 1)
        assert answer in ("yes", "no"), line
        turns += [("human", asked_paragraph(paragraph)), ("ai", answer)]
    return turns


def paragraph_calls(text: str) -> int:
    """How many paragraph questions the screener asks of `text`: both questions of each unit
    long enough to ask about. Counted here, not with the package's splitting: blank-line
    paragraphs (lines where fewer than three), four words or more."""
    units = text.split("\n\n")
    if len([u for u in units if u.strip()]) < 3:
        units = text.split("\n")
    return 2 * sum(len(unit.split()) >= 4 for unit in units)


def paragraph_calls_for_file(path) -> int:
    """paragraph_calls for an article file as `run` reads it."""
    from debate_eval.inputs.article import load_article

    return paragraph_calls(load_article(str(path)).text)


def stub_debate_choices(requests: list[dict]) -> tuple[int, int, int]:
    """What the stub server's hash-based answers decided in a logged run, read from the
    prompts' own words: the conceding turns (no side check), the side retries (one more
    sentence and one more check each) and the echo retries of a turn or a decisive point (one
    more text call each)."""

    def asking(words: str) -> int:
        return sum(words in r["messages"][-1]["content"] for r in requests)

    conceded = asking("You concede this point on claim")
    side_retries = asking("Your first draft argued the other side.")
    retries = asking("Your first draft repeated an earlier turn.") + asking(
        "Write in your own words, in one or two sentences, why the move"
    )
    return conceded, side_retries, retries
