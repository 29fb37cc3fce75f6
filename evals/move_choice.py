"""Do the debaters pick a move for what their sentence is, or for the menu label they prefer?

python evals/move_choice.py ARTICLE [--claims N] [--sentences K] [--json OUT]

The article's claims are extracted as a run does; for each claim, each role's move pick (the
letter from its menu, asked in both orders, as debate/agents/debater.py asks it) is asked of
the first K candidate sentences the role could argue from. The same pick is asked once with a
content-free turn (claim and sentence "N/A"): what the model gives each label whatever the
sentence (its prior; Zhao et al. 2021, "Calibrate before use"). Prints, per role, how often
each move is chosen as asked (raw) and with the prior divided out (calibrated), and beside
each sentence a few surface marks a move should follow (a figure, "will", a quotation). Calls
the model the settings select (the embedded one by default), one pick at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

from langchain_core.messages import HumanMessage

from debate_eval.core.evidence import candidate_sentences
from debate_eval.core.moves import ANSWERED, MOVES
from debate_eval.debate.agents.extractor import extract_claims
from debate_eval.debate.evidence import most_probable, option_probabilities
from debate_eval.debate.prompts import build_messages, context_message, fence
from debate_eval.debate.scoring.options import ask_option
from debate_eval.debate.scoring.paragraphs import YES_NO
from debate_eval.debate.state import DebateContext
from debate_eval.debate.transcript import format_claim
from debate_eval.inputs.article import load_article
from debate_eval.models.backend import open_models, select_backend
from debate_eval.models.settings import load_settings

ROLES = ("advocate", "skeptic")
# One yes/no question per move about the sentence (move -> (question, the answer that makes
# the move)); asked after the claim and the sentence, so only the question differs per call.
MOVE_QUESTIONS = {
    "skeptic": {
        "no_source": ("Does this sentence name a source or give evidence for what it says?", "no"),
        "loaded_wording": ("Does this sentence use loaded or emotional words?", "yes"),
        "figure_without_context": (
            "Does this sentence give a number without saying what it is compared with?",
            "yes",
        ),
        "cause_without_evidence": (
            "Does this sentence say that one thing causes another without showing how?",
            "yes",
        ),
        "prediction_as_certain": (
            "Does this sentence state a prediction about the future as certain?",
            "yes",
        ),
        "one_case": ("Does this sentence draw a general rule from a single example?", "yes"),
    },
    "advocate": {
        "direct_evidence": (
            "Does this sentence give data, a document or a named source?",
            "yes",
        ),
        "quoted_expert": (
            "Does this sentence quote or report what a participant or an expert said?",
            "yes",
        ),
        "mechanism": ("Does this sentence explain how or why something happens?", "yes"),
    },
}
# Sentences whose move is plain, on made-up topics (none from the development data, none from
# a prompt's worked examples): (role, claim, sentence, the move it makes).
MOVE_CASES = [
    (
        "skeptic",
        "The park renovation was worth it.",
        "Visitor numbers hit 3,400 last weekend.",
        "figure_without_context",
    ),
    (
        "skeptic",
        "The tax cut helped workers.",
        "Wages rose by 2.1% the following year.",
        "figure_without_context",
    ),
    (
        "skeptic",
        "The new coach turned the team around.",
        "This disgraceful, cowardly board betrayed the fans for years.",
        "loaded_wording",
    ),
    (
        "skeptic",
        "The landlord group opposes tenants.",
        "These greedy parasites would evict their own mothers.",
        "loaded_wording",
    ),
    (
        "skeptic",
        "The rail link will transform the north.",
        "By 2030 every northern town will have doubled its jobs.",
        "prediction_as_certain",
    ),
    (
        "skeptic",
        "The app will replace banks.",
        "Within three years nobody will use a bank branch again.",
        "prediction_as_certain",
    ),
    (
        "skeptic",
        "The school meals programme raised grades.",
        "Grades went up the year the meals started, so the meals did it.",
        "cause_without_evidence",
    ),
    (
        "skeptic",
        "The new speed cameras saved lives.",
        "Deaths dropped once the cameras went up, which shows they work.",
        "cause_without_evidence",
    ),
    (
        "skeptic",
        "Electric cars are unreliable.",
        "My neighbour's electric car broke down twice in one winter.",
        "one_case",
    ),
    (
        "skeptic",
        "Homeschooled children do better.",
        "One homeschooled girl from our street won the national spelling bee.",
        "one_case",
    ),
    (
        "skeptic",
        "The merger will lower prices.",
        "Industry insiders all agree prices are set to fall.",
        "no_source",
    ),
    (
        "skeptic",
        "The river is now clean.",
        "It is widely known that the river is clean again.",
        "no_source",
    ),
    (
        "advocate",
        "Hospital waiting times fell.",
        "The health department's annual report shows median waits fell from 18 to 11 weeks.",
        "direct_evidence",
    ),
    (
        "advocate",
        "The harvest was poor.",
        "Ministry of Agriculture data show wheat output fell 22% in 2022.",
        "direct_evidence",
    ),
    (
        "advocate",
        "The strike was peaceful.",
        "'Nobody was hurt and no arrests were made,' said police chief Omar Haddad.",
        "quoted_expert",
    ),
    (
        "advocate",
        "The new drug works.",
        "'Tumours shrank in most patients,' said Professor Anne Berg, who ran the study.",
        "quoted_expert",
    ),
    (
        "advocate",
        "Insulation cuts heating bills.",
        "Because less heat escapes through the walls, the boiler runs for fewer hours.",
        "mechanism",
    ),
    (
        "advocate",
        "Cycle lanes ease congestion.",
        "When cyclists leave the road lanes, cars queue less at each junction.",
        "mechanism",
    ),
]
# The same questions with worked examples (made up; two yes, two no), asked after them.
WORKED = {
    "no_source": (
        "Does this sentence say who or what its information comes from?",
        [
            ("The city's 2023 budget report lists the road spending.", "yes"),
            ("Everybody knows the road spending was wasted.", "no"),
            ("'Prices rose,' the central bank governor told reporters.", "yes"),
            ("Prices are clearly rising fast.", "no"),
        ],
        "no",
    ),
    "loaded_wording": (
        "Does this sentence use loaded, emotional or insulting words?",
        [
            ("These shameless crooks robbed the taxpayer blind.", "yes"),
            ("The council approved the budget on Monday.", "no"),
            ("It was a disgusting betrayal of every worker.", "yes"),
            ("The company reported lower profits.", "no"),
        ],
        "yes",
    ),
    "figure_without_context": (
        "Does this sentence give a number without a comparison (no earlier year, no total, "
        "no other place)?",
        [
            ("The charity raised 40,000 dollars.", "yes"),
            ("Sales rose from 7 to 9 million units over last year.", "no"),
            ("Sales reached 9 million units.", "yes"),
            ("The mayor spoke to residents.", "no"),
        ],
        "yes",
    ),
    "cause_without_evidence": (
        "Does this sentence say one thing caused another without showing it?",
        [
            ("Sales fell after the new logo, so the logo drove customers away.", "yes"),
            (
                "A trial of 2,000 patients found the drug lowered blood pressure against a "
                "placebo.",
                "no",
            ),
            ("The rain cost the mayor the election.", "yes"),
            ("The store opens at nine.", "no"),
        ],
        "yes",
    ),
    "prediction_as_certain": (
        "Does this sentence state a prediction about the future as certain?",
        [
            ("Next year the company will double its profits.", "yes"),
            ("The company expects profits to grow, its chief said.", "no"),
            ("This law will end poverty.", "yes"),
            ("Profits doubled last year.", "no"),
        ],
        "yes",
    ),
    "one_case": (
        "Does this sentence draw a general rule from a single example?",
        [
            ("My uncle smoked and lived to 95, so smoking is harmless.", "yes"),
            ("A survey of 3,000 students found one in ten admitted cheating.", "no"),
            ("One student cheated, which shows the whole school is dishonest.", "yes"),
            ("The museum closed for repairs.", "no"),
        ],
        "yes",
    ),
    "direct_evidence": (
        "Does this sentence give data, a document or a named source?",
        [
            ("Census data show the population grew 4% since 2010.", "yes"),
            ("Many people feel the town is growing.", "no"),
            ("The court ruling, published on Friday, orders a new vote.", "yes"),
            ("It is a great time for the town.", "no"),
        ],
        "yes",
    ),
    "quoted_expert": (
        "Does this sentence quote or report what a named participant or expert said?",
        [
            ("'The bridge is safe,' said chief engineer Maria Lopez.", "yes"),
            ("The bridge is safe.", "no"),
            ("Economist Ian Park told the inquiry that rents would fall.", "yes"),
            ("Rents are expected to fall.", "no"),
        ],
        "yes",
    ),
    "mechanism": (
        "Does this sentence explain how or why something happens?",
        [
            ("Because warm air rises, the upper floors heat up first.", "yes"),
            ("The upper floors are warmer.", "no"),
            ("The filter traps dust, so the air that comes out is cleaner.", "yes"),
            ("The air is cleaner now.", "no"),
        ],
        "yes",
    ),
}
QUESTION = """Claim {claim_id} under debate:
{claim}

Question about claim {claim_id}: {question}

Answer with exactly one of: yes, no."""
OPENING = "(nothing yet: you open the debate)"
NEUTRAL = "N/A"


def marks(sentence: str) -> str:
    """Surface marks of a sentence that some moves name (for reading the picks, not scoring)."""
    found = []
    if re.search(r"\d", sentence):
        found.append("figure")
    if re.search(r"\bwill\b|\bgoing to\b", sentence, re.I):
        found.append("will")
    if re.search(r"[\"“”]|\bsaid\b|\bsays\b|\baccording to\b", sentence, re.I):
        found.append("quote")
    if re.search(r"\bbecause\b|\bso that\b|\bwhich means\b|\bby\b", sentence, re.I):
        found.append("how")
    return ",".join(found) or "-"


def menu_for(role: str) -> dict[str, str]:
    # The opening turn's menu, as a debate offers it (no answer before the other side spoke).
    return {k: v for k, v in MOVES[role].items() if k != ANSWERED}


async def pick(
    model, article: str, role: str, claim_id: str, claim: str, evidence: str, template=None
):
    menu = menu_for(role)
    probabilities, _ = await option_probabilities(
        model,
        article,
        f"{role}_move",
        list(menu.values()),
        role=role,
        field="moves",
        round=1,
        rounds=2,
        claim_id=claim_id,
        claim=claim,
        history=OPENING,
        evidence=fence("evidence", evidence),
        words=30,
        speaker=role,
        **({"template": template} if template else {}),
    )
    return dict(zip(menu, probabilities, strict=True))


def calibrated(p: dict[str, float], prior: dict[str, float]) -> dict[str, float]:
    divided = {k: v / max(prior[k], 1e-6) for k, v in p.items()}
    total = sum(divided.values())
    return {k: v / total for k, v in divided.items()}


def argmax(p: dict[str, float]) -> str:
    keys = list(p)
    return keys[most_probable([p[k] for k in keys])]


async def answers(model, article: str, role: str, claim_id: str, claim: str, sentence: str):
    """P(the move's answer) to each of the role's move questions about `sentence`."""
    found = {}
    for move, (question, makes) in MOVE_QUESTIONS[role].items():
        messages = build_messages(
            article,
            "claim_probe",
            template=QUESTION,
            claim_id=claim_id,
            claim=claim,
            question=fence("sentence", sentence) + "\n" + question,
        )
        answer = await ask_option(model, messages, YES_NO, role=role)
        found[move] = round(answer.probabilities[makes], 4)
    return found


async def measure(article: str, models, n_claims: int, k: int, questions_only: bool) -> dict:
    runtime = SimpleNamespace(context=DebateContext(models=models))
    state = await extract_claims({"article": article, "max_claims": n_claims}, runtime)
    claims = state["claims"]
    out = {"claims": [c.text for c in claims], "priors": {}, "picks": []}
    for role in ROLES:
        model = models.for_role(role)
        if not questions_only:
            out["priors"][role] = await pick(model, article, role, "c0", NEUTRAL, NEUTRAL)
        for claim in claims:
            for sentence in candidate_sentences(article, f"{claim.text} {claim.passage}")[:k]:
                p = (
                    None
                    if questions_only
                    else await pick(model, article, role, claim.id, format_claim(claim), sentence)
                )
                q = await answers(model, article, role, claim.id, format_claim(claim), sentence)
                out["picks"].append(
                    {"role": role, "claim": claim.id, "sentence": sentence, "p": p, "q": q}
                )
    return out


def report_questions(out: dict) -> list[str]:
    lines = []
    for role in ROLES:
        picks = [x for x in out["picks"] if x["role"] == role]
        moves = list(MOVE_QUESTIONS[role])
        lines.append(f"\n{role}, P(the move's answer) per question: mean (lowest-highest)")
        for move in moves:
            ps = [x["q"][move] for x in picks]
            lines.append(f"  {move:>24} {sum(ps) / len(ps):.2f} ({min(ps):.2f}-{max(ps):.2f})")
        chosen = Counter(argmax(x["q"]) for x in picks)
        lines.append(f"  most probable: {dict(chosen.most_common())}")
        for x in picks:
            q = "  ".join(f"{x['q'][m]:.2f}" for m in moves)
            lines.append(f"  {x['claim']} [{marks(x['sentence']):>16}] {q} | {x['sentence'][:60]}")
    return lines


def report(out: dict) -> str:
    lines = [f"claims: {out['claims']}", *report_questions(out)]
    for role in out["priors"]:
        prior = out["priors"][role]
        lines.append(f"\n{role}: prior " + ", ".join(f"{k} {v:.2f}" for k, v in prior.items()))
        picks = [x for x in out["picks"] if x["role"] == role]
        raw = Counter(argmax(x["p"]) for x in picks)
        cal = Counter(argmax(calibrated(x["p"], prior)) for x in picks)
        lines.append(f"  raw:        {dict(raw.most_common())}")
        lines.append(f"  calibrated: {dict(cal.most_common())}")
        for x in picks:
            lines.append(
                f"  {x['claim']} [{marks(x['sentence']):>16}] raw {argmax(x['p']):>24} "
                f"cal {argmax(calibrated(x['p'], prior)):>24} | {x['sentence'][:70]}"
            )
    return "\n".join(lines)


async def measure_cases(article: str, models, templates: dict[str, str]) -> list[dict]:
    """Each case's pick with the shipped move prompt and with `templates` (role -> prompt)."""
    found = []
    for role, claim, sentence, expected in MOVE_CASES:
        model = models.for_role(role)
        row = {"role": role, "sentence": sentence, "expected": expected}
        for variant, template in (("shipped", None), ("candidate", templates.get(role))):
            if variant == "candidate" and template is None:
                continue
            p = await pick(model, article, role, "c1", claim, sentence, template=template)
            row[variant] = argmax(p)
        found.append(row)
    return found


def worked_prompt(move: str, sentence: str) -> str:
    question, examples, _ = WORKED[move]
    shown = "\n".join(f'Sentence: "{text}"\nAnswer: {answer}' for text, answer in examples)
    return (
        f"Question about one sentence: {question}\n\nWorked examples (made up):\n{shown}\n\n"
        f"The sentence:\n{fence('sentence', sentence)}\n\n{question}\n\n"
        "Answer with exactly one of: yes, no."
    )


async def measure_worked(article: str, models) -> list[dict]:
    """P(the move's answer) to each move's worked-examples question, per case; asked question
    by question, so each question's examples are read once."""
    rows = [
        {"role": role, "sentence": sentence, "expected": expected, "q": {}}
        for role, _, sentence, expected in MOVE_CASES
    ]
    for role in ROLES:
        model = models.for_role(role)
        for move in MOVE_QUESTIONS[role]:
            makes = WORKED[move][2]
            for row in rows:
                if row["role"] != role:
                    continue
                messages = [
                    context_message(article),
                    HumanMessage(worked_prompt(move, row["sentence"])),
                ]
                answer = await ask_option(model, messages, YES_NO, role=role)
                row["q"][move] = round(answer.probabilities[makes], 4)
    for row in rows:
        row["worked"] = argmax(row["q"])
    return rows


def report_cases(found: list[dict]) -> list[str]:
    lines = [f"{len(found)} sentences whose move is plain (MOVE_CASES)"]
    for variant in ("shipped", "candidate", "worked"):
        scored = [r for r in found if variant in r]
        if scored:
            right = sum(r[variant] == r["expected"] for r in scored)
            chosen = Counter(r[variant] for r in scored)
            lines.append(
                f"  {variant}: {right} of {len(scored)} right; chosen {dict(chosen.most_common())}"
            )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("article", type=Path)
    parser.add_argument("--claims", type=int, default=3)
    parser.add_argument("--sentences", type=int, default=4)
    parser.add_argument("--json", type=Path, help="write the probabilities here")
    parser.add_argument("--questions-only", action="store_true", help="leave the menu picks out")
    parser.add_argument(
        "--cases",
        type=Path,
        metavar="DIR",
        help="score MOVE_CASES instead, with the shipped move prompts and those in DIR "
        "(advocate_move.md, skeptic_move.md)",
    )
    parser.add_argument(
        "--worked", action="store_true", help="with --cases: the worked-examples questions"
    )
    args = parser.parse_args()
    if args.cases:
        templates = {
            role: (args.cases / f"{role}_move.md").read_text()
            for role in ROLES
            if (args.cases / f"{role}_move.md").exists()
        }
        article = load_article(str(args.article)).text
        with open_models(select_backend(load_settings({}))) as models:
            if args.worked:
                found = asyncio.run(measure_worked(article, models))
            else:
                found = asyncio.run(measure_cases(article, models, templates))
        if args.json:
            args.json.write_text(json.dumps(found, indent=2))
        print("\n".join(report_cases(found)))
        return
    article = load_article(str(args.article)).text
    backend = select_backend(load_settings({}))
    with open_models(backend) as models:
        out = asyncio.run(
            measure(article, models, args.claims, args.sentences, args.questions_only)
        )
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
    print(report(out))


if __name__ == "__main__":
    main()
