"""Labelled article datasets and how their labels are scored against the four ratings."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from debate_eval.core.errors import ConfigError, InputError
from debate_eval.core.schemas import RATING_LABELS
from debate_eval.core.toml import read_toml

FORMATS: tuple[str, ...] = ("jsonl", "semeval", "basil", "allsides")

STRONGLY = RATING_LABELS[3]


@dataclass(frozen=True)
class Example:
    """One labelled article."""

    id: str
    title: str
    text: str
    label: str  # the dataset's own label, before mapping
    source: str = ""


@dataclass(frozen=True)
class LabelScheme:
    """How a dataset's labels and a judge's ratings become the classes that are scored.

    kind: "binary" (one rating against the rest), "four_way" (the ratings themselves) or
    "directional" (political lean: a weak check of direction only, never a balance label).
    """

    name: str
    kind: Literal["binary", "four_way", "directional"]
    gold: dict[str, str]  # dataset label -> class
    classes: tuple[str, ...]
    predicted: dict[str, str]  # rating label -> class

    def gold_class(self, label: str) -> str:
        key = label.strip().lower()
        for raw, cls in self.gold.items():
            if raw.lower() == key:
                return cls
        raise InputError(
            f"label {label!r} is not in the {self.name} label mapping; "
            f"expected one of {', '.join(self.gold)}"
        )

    def predicted_class(self, rating: str) -> str:
        return self.predicted[rating]

    @property
    def weak(self) -> bool:
        return self.kind == "directional"


_NOT_STRONG = "not strongly imbalanced"
_STRONG = "strongly imbalanced"
_binary_pred = {r: (_STRONG if r == STRONGLY else _NOT_STRONG) for r in RATING_LABELS}
# A lean (left or right) is read as "the rating leans towards imbalance": moderately or strongly.
_directional_pred = {r: ("leans" if i >= 2 else "center") for i, r in enumerate(RATING_LABELS)}
_LEANS = {
    "left": "leans",
    "right": "leans",
    "center": "center",
    "liberal": "leans",
    "conservative": "leans",
    "0": "leans",
    "1": "center",
    "2": "leans",
}

SCHEMES: dict[str, LabelScheme] = {
    # SemEval-2019 Task 4: hyperpartisan = "Appears strongly imbalanced"; the rest is NOT "well
    # balanced", only "not strongly imbalanced" (see the dataset's README): a binary task.
    "semeval": LabelScheme(
        "semeval",
        "binary",
        {
            "hyperpartisan": _STRONG,
            "true": _STRONG,
            "not_hyperpartisan": _NOT_STRONG,
            "false": _NOT_STRONG,
        },
        (_STRONG, _NOT_STRONG),
        _binary_pred,
    ),
    "four_way": LabelScheme(
        "four_way",
        "four_way",
        {r: r for r in RATING_LABELS},
        tuple(RATING_LABELS),
        {r: r for r in RATING_LABELS},
    ),
    "allsides": LabelScheme(
        "allsides", "directional", _LEANS, ("leans", "center"), _directional_pred
    ),
    "basil": LabelScheme("basil", "directional", _LEANS, ("leans", "center"), _directional_pred),
}

DEFAULT_SCHEME = {
    "jsonl": "semeval",
    "semeval": "semeval",
    "basil": "basil",
    "allsides": "allsides",
}


def get_scheme(name: str) -> LabelScheme:
    """A built-in label mapping by name, or one read from a TOML file (see read_scheme)."""
    if name.endswith(".toml"):
        return read_scheme(Path(name))
    if name not in SCHEMES:
        raise InputError(
            f"unknown label mapping {name!r}; expected one of {', '.join(SCHEMES)} or a .toml file"
        )
    return SCHEMES[name]


def read_scheme(path: Path) -> LabelScheme:
    """A dataset's own label mapping:

    kind = "binary"                 # binary | four_way | directional
    [gold]                          # dataset label -> class
    biased = "imbalanced"
    fair = "balanced"
    [predicted]                     # each of the four ratings -> class
    "Appears well balanced" = "balanced"
    ...
    """
    try:
        data = read_toml(path, "label mapping")
    except ConfigError as exc:
        raise InputError(str(exc)) from exc
    kind = data.get("kind")
    gold, predicted = data.get("gold"), data.get("predicted")
    if kind not in ("binary", "four_way", "directional"):
        raise InputError(f"{path}: kind must be binary, four_way or directional, not {kind!r}")
    if not isinstance(gold, dict) or not gold or not isinstance(predicted, dict):
        raise InputError(f"{path}: needs a [gold] and a [predicted] table")
    missing = [r for r in RATING_LABELS if r not in predicted]
    if missing:
        raise InputError(f"{path}: [predicted] must map every rating; missing {missing}")
    classes = tuple(dict.fromkeys(str(v) for v in gold.values()))
    strays = sorted({str(v) for v in predicted.values()} - set(classes))
    if strays:
        raise InputError(f"{path}: [predicted] classes {strays} are not among the gold classes")
    return LabelScheme(
        str(data.get("name", path.stem)),
        kind,
        {str(k): str(v) for k, v in gold.items()},
        classes,
        {r: str(predicted[r]) for r in RATING_LABELS},
    )


def _read_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not readable JSON: {exc}") from exc


def load_jsonl(path: Path) -> list[Example]:
    """Rows {id, title, text, label, source}."""
    examples = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read dataset {path}: {exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            examples.append(
                Example(
                    id=str(row["id"]),
                    title=str(row.get("title", "")),
                    text=str(row["text"]),
                    label=str(row["label"]),
                    source=str(row.get("source", "")),
                )
            )
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise InputError(
                f"{path}:{n}: expected a JSON object with id, text and label ({exc})"
            ) from exc
    return examples


def load_semeval(articles: Path, ground_truth: Path) -> list[Example]:
    """SemEval-2019 Task 4 by-article XML: the articles file and its ground-truth file."""
    try:
        truth = {a.get("id"): a for a in ET.parse(ground_truth).getroot().iter("article")}
        root = ET.parse(articles).getroot()
    except (OSError, ET.ParseError) as exc:
        raise InputError(f"cannot read SemEval XML: {exc}") from exc
    examples = []
    for art in root.iter("article"):
        gold = truth.get(art.get("id"))
        if gold is None:
            continue
        paragraphs = ["".join(p.itertext()).strip() for p in art.iter("p")]
        examples.append(
            Example(
                id=f"semeval19:{art.get('id')}",
                title=art.get("title", ""),
                text="\n\n".join(p for p in paragraphs if p),
                label=gold.get("hyperpartisan", ""),
                source=gold.get("url", ""),
            )
        )
    return examples


def _json_files(folder: Path, pattern: str) -> Iterable[Path]:
    return sorted(p for p in folder.rglob(pattern) if p.is_file())


def load_basil(folder: Path) -> list[Example]:
    """BASIL: articles/**/*.json with annotations/**/*_ann.json, matched by uuid; the label is
    the article-level relative stance (a political lean: scored as a directional check)."""
    stances = {}
    for path in _json_files(folder / "annotations", "*.json"):
        data = _read_json(path)
        if isinstance(data, dict):
            level = data.get("article-level-annotations") or {}
            stances[data.get("uuid")] = str(level.get("relative_stance", "")).lower()
    examples = []
    for path in _json_files(folder / "articles", "*.json"):
        data = _read_json(path)
        if not isinstance(data, dict) or data.get("uuid") not in stances:
            continue
        paragraphs = [
            " ".join(p) if isinstance(p, list) else str(p) for p in data["body-paragraphs"]
        ]
        examples.append(
            Example(
                id=f"basil:{data['uuid']}",
                title=str(data.get("title", "")),
                text="\n\n".join(paragraphs),
                label=stances[data["uuid"]],
                source=str(data.get("source", "")),
            )
        )
    return examples


def load_allsides(folder: Path) -> list[Example]:
    """Article-Bias-Prediction (AllSides) JSON files; the label is the outlet's political lean
    (bias_text left/center/right): a directional check, not a balance label."""
    examples = []
    for path in _json_files(folder, "*.json"):
        data = _read_json(path)
        if not isinstance(data, dict) or "content" not in data:
            continue
        examples.append(
            Example(
                id=f"allsides:{data.get('ID', path.stem)}",
                title=str(data.get("title", "")),
                text=str(data["content"]),
                label=str(data.get("bias_text", data.get("bias", ""))),
                source=str(data.get("url") or data.get("source", "")),
            )
        )
    return examples


def detect_format(path: Path) -> str:
    if path.is_dir():
        if (path / "articles").is_dir() and (path / "annotations").is_dir():
            return "basil"
        if any(path.glob("*.xml")):
            return "semeval"
        return "allsides"
    if path.suffix == ".xml":
        return "semeval"
    return "jsonl"


def _semeval_pair(path: Path, ground_truth: Path | None) -> tuple[Path, Path]:
    if path.is_dir():
        xmls = sorted(path.glob("*.xml"))
        truth = [p for p in xmls if "ground-truth" in p.name]
        arts = [p for p in xmls if "ground-truth" not in p.name]
        if len(truth) != 1 or len(arts) != 1:
            raise InputError(
                f"{path}: expected one articles XML and one ground-truth XML "
                "(a file whose name contains 'ground-truth')"
            )
        return arts[0], truth[0]
    if ground_truth is None:
        raise InputError(f"{path}: SemEval XML needs its ground truth: pass --ground-truth FILE")
    return path, ground_truth


def load_dataset(
    path: Path, fmt: str | None = None, ground_truth: Path | None = None
) -> tuple[list[Example], str]:
    """The dataset's examples and its format (detected when `fmt` is None)."""
    if not path.exists():
        raise InputError(f"dataset {path} does not exist")
    fmt = fmt or detect_format(path)
    if fmt not in FORMATS:
        raise InputError(f"unknown dataset format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "jsonl":
        examples = load_jsonl(path)
    elif fmt == "semeval":
        examples = load_semeval(*_semeval_pair(path, ground_truth))
    elif fmt == "basil":
        examples = load_basil(path)
    else:
        examples = load_allsides(path)
    if not examples:
        raise InputError(f"dataset {path} ({fmt}) holds no labelled articles")
    ids = [e.id for e in examples]
    if len(set(ids)) != len(ids):
        raise InputError(f"dataset {path} has duplicate article ids")
    return examples, fmt
