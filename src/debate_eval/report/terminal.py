"""The live transcript: claims, each turn in a role-coloured panel, a progress line per claim."""

from __future__ import annotations

from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table
from rich.text import Text

from debate_eval.core.schemas import Claim, RatingMeasurement
from debate_eval.debate.runner import (
    ClaimRuled,
    ClaimsExtracted,
    Event,
    JudgeStarted,
    RatingKnown,
    RatingMeasured,
    TurnTaken,
)
from debate_eval.debate.scoring.checklist import problem_p, ranked_findings
from debate_eval.report.markdown import VERDICT_STYLES, probes_text, turn_panel

# How many of the findings that apply the rating panel lists.
SHOWN_FINDINGS = 5


def rating_panel(rating: RatingMeasurement, *, findings_follow: bool = False) -> Panel:
    """The measured rating, shown as soon as it is known: label, confidence and the findings
    that apply (`findings_follow`: not asked yet, they come in their own panel); for the
    debate judge, that its label follows the debate."""
    if rating.label is not None:
        head = Text.assemble(
            (rating.label, "bold"),
            f" · confidence {rating.confidence:.0%}" if rating.confidence is not None else "",
            f" · judge: {rating.judge}" + (" (calibrated)" if rating.calibration else ""),
        )
    else:
        head = Text(
            f"The {rating.judge} judge rates after the debate: the label follows it.", "italic"
        )
    body = (
        Text("The checklist's findings follow.", "italic") if findings_follow else _findings(rating)
    )
    return Panel(
        Text.assemble(head, "\n", body),
        title="[bold]Balance rating (measured before the debate)",
        title_align="left",
        border_style="bold blue",
    )


def findings_panel(rating: RatingMeasurement) -> Panel:
    """The findings that apply, after a rating panel that showed the label before them."""
    return Panel(
        _findings(rating),
        title="[bold]Checklist findings",
        title_align="left",
        border_style="blue",
    )


def _findings(rating: RatingMeasurement) -> Text:
    findings = [i for i in ranked_findings(rating.checklist) if i.applies][:SHOWN_FINDINGS]
    lines = [f"• {i.item} ({problem_p(i):.2f})" for i in findings]
    return Text("\n".join(lines or ["• None of the checklist weaknesses was found likely."]))


class LiveView:
    """Prints run events as they arrive; use as a context manager around the run."""

    def __init__(self, console: Console, rounds: int) -> None:
        self.console = console
        self.rounds = rounds
        self.claims: dict[str, Claim] = {}
        self.rating_shown = False
        self.tasks: dict[str, TaskID] = {}
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        )

    def __enter__(self) -> LiveView:
        self.console.print("[dim]Reading the article and measuring the rating…")
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def __call__(self, event: Event) -> None:
        match event:
            case RatingKnown(rating=rating):
                self.console.print(rating_panel(rating, findings_follow=True))
                self.console.print("[dim]Asking the checklist's questions about the article…")
                self.rating_shown = True
            case RatingMeasured(rating=rating):
                shown = self.rating_shown
                self.console.print(findings_panel(rating) if shown else rating_panel(rating))
                self.console.print("[dim]Extracting the article's claims for the debate…")
            case ClaimsExtracted(claims=claims):
                self._claims(claims)
            case TurnTaken(turn=turn):
                self.console.print(turn_panel(turn, self.claims[turn.claim_id].text))
                self._advance(turn.claim_id, f"round {turn.round}/{self.rounds} · {turn.role}")
            case ClaimRuled(claim_id=claim_id, ruling=ruling):
                style = VERDICT_STYLES[ruling.verdict]
                line = Text.assemble(
                    ("Claim judge", "bold magenta"),
                    f" · {claim_id}: ",
                    (ruling.verdict, f"bold {style}"),
                    f" — {ruling.decisive_point}",
                )
                if ruling.decisive_turn:
                    line.append(f" (decisive turn {ruling.decisive_turn})", "dim")
                if ruling.probes:
                    line.append(f"\n  probes, P(yes): {probes_text(ruling.probes)}", "dim")
                self.console.print(line)
                self._advance(claim_id, f"[{style}]{ruling.verdict}", done=True)
            case JudgeStarted():
                self.progress.stop()
                self.console.print("[dim]All claims debated; the judge is writing the report…")

    def _claims(self, claims: list[Claim]) -> None:
        self.claims = {c.id: c for c in claims}
        table = Table(title="Claims under debate", show_header=True, expand=True)
        table.add_column("id", no_wrap=True)
        table.add_column("claim")
        for c in claims:
            table.add_row(c.id, c.text)
        self.console.print(table)
        steps = 2 * self.rounds + 1
        for c in claims:
            self.tasks[c.id] = self.progress.add_task(f"{c.id} waiting", total=steps)
        self.progress.start()

    def _advance(self, claim_id: str, status: str, *, done: bool = False) -> None:
        task = self.tasks.get(claim_id)
        if task is None:
            return
        if done:
            self.progress.update(task, completed=self.progress.tasks[task].total)
        else:
            self.progress.advance(task)
        self.progress.update(task, description=f"{claim_id} {status}")
