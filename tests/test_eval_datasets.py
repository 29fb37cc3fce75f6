"""Dataset loaders and label mappings."""

from __future__ import annotations

import json

import pytest

from debate_eval.core.errors import InputError
from debate_eval.evaluation.datasets import get_scheme, load_dataset

SEMEVAL_ARTICLES = """<?xml version="1.0" encoding="utf-8"?>
<articles>
<article id="0000001" published-at="2017-09-10" title="Council votes">
<p>The council voted on Monday.</p><p>Both sides spoke at <a href="x">length</a>.</p></article>
<article id="0000002" title="Outrage">
<p>They are destroying the country.</p></article>
<article id="0000003" title="Unlabelled"><p>Not in the ground truth.</p></article>
</articles>"""
SEMEVAL_TRUTH = """<?xml version="1.0" encoding="utf-8"?>
<articles>
<article id="0000001" hyperpartisan="false" labeled-by="crowd" url="https://a.example/1"/>
<article id="0000002" hyperpartisan="true" labeled-by="crowd" url="https://b.example/2"/>
</articles>"""


def test_jsonl_rows_and_bad_rows(tmp_path):
    good = tmp_path / "d.jsonl"
    row = {"id": 1, "title": "t", "text": "x y", "label": "hyperpartisan"}
    good.write_text(json.dumps(row) + "\n\n")
    (example,), fmt = load_dataset(good)
    assert (fmt, example.id, example.label) == ("jsonl", "1", "hyperpartisan")
    assert get_scheme("semeval").gold_class(example.label) == "strongly imbalanced"
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "text": "no label"}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:1: expected a JSON object with id, text"):
        load_dataset(bad)


def test_semeval_xml_pair_from_a_folder(tmp_path):
    (tmp_path / "articles-training-byarticle.xml").write_text(SEMEVAL_ARTICLES)
    (tmp_path / "ground-truth-training-byarticle.xml").write_text(SEMEVAL_TRUTH)
    examples, fmt = load_dataset(tmp_path)
    assert fmt == "semeval"
    assert [(e.id, e.label) for e in examples] == [
        ("semeval19:0000001", "false"),
        ("semeval19:0000002", "true"),
    ]
    assert examples[0].text == "The council voted on Monday.\n\nBoth sides spoke at length."
    assert examples[1].source == "https://b.example/2"
    scheme = get_scheme("semeval")
    assert [scheme.gold_class(e.label) for e in examples] == [
        "not strongly imbalanced",
        "strongly imbalanced",
    ]
    assert scheme.predicted_class("Appears moderately imbalanced") == "not strongly imbalanced"


def test_semeval_xml_file_needs_its_ground_truth(tmp_path):
    articles = tmp_path / "articles.xml"
    articles.write_text(SEMEVAL_ARTICLES)
    with pytest.raises(InputError, match="pass --ground-truth FILE"):
        load_dataset(articles)
    truth = tmp_path / "truth.xml"
    truth.write_text(SEMEVAL_TRUTH)
    examples, _ = load_dataset(articles, ground_truth=truth)
    assert len(examples) == 2


def test_basil_articles_matched_to_annotations_by_uuid(tmp_path):
    (tmp_path / "articles/2016").mkdir(parents=True)
    (tmp_path / "annotations/2016").mkdir(parents=True)
    article = {
        "uuid": "u1",
        "title": "Senate passes bill",
        "source": "fox",
        "body-paragraphs": [["The Senate passed it.", "Critics objected."], ["Vote was 51-49."]],
    }
    (tmp_path / "articles/2016/t_fox.json").write_text(json.dumps(article))
    annotation = {"uuid": "u1", "article-level-annotations": {"relative_stance": "Right"}}
    (tmp_path / "annotations/2016/t_fox_ann.json").write_text(json.dumps(annotation))
    (example,), fmt = load_dataset(tmp_path)
    assert fmt == "basil"
    assert example.text == "The Senate passed it. Critics objected.\n\nVote was 51-49."
    scheme = get_scheme("basil")
    assert scheme.weak and scheme.gold_class(example.label) == "leans"


def test_allsides_json_folder(tmp_path):
    for i, lean in enumerate(["left", "center"]):
        row = {"ID": f"x{i}", "title": "T", "content": "Body text.", "bias_text": lean}
        (tmp_path / f"x{i}.json").write_text(json.dumps(row))
    examples, fmt = load_dataset(tmp_path)
    assert fmt == "allsides"
    scheme = get_scheme("allsides")
    assert [scheme.gold_class(e.label) for e in examples] == ["leans", "center"]
    assert scheme.predicted_class("Appears strongly imbalanced") == "leans"
    assert scheme.predicted_class("May be slightly imbalanced") == "center"


def test_unknown_labels_and_mappings_are_named(tmp_path):
    with pytest.raises(InputError, match="expected one of semeval, four_way, allsides, basil"):
        get_scheme("politics")
    with pytest.raises(InputError, match="label 'maybe' is not in the semeval label mapping"):
        get_scheme("semeval").gold_class("maybe")
    with pytest.raises(InputError, match="does not exist"):
        load_dataset(tmp_path / "nope.jsonl")


def test_a_label_mapping_of_ones_own_from_toml(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'kind = "binary"\n[gold]\nbiased = "imbalanced"\nfair = "balanced"\n[predicted]\n'
        '"Appears well balanced" = "balanced"\n"May be slightly imbalanced" = "balanced"\n'
        '"Appears moderately imbalanced" = "imbalanced"\n'
        '"Appears strongly imbalanced" = "imbalanced"\n'
    )
    scheme = get_scheme(str(path))
    assert (scheme.name, scheme.kind) == ("mine", "binary")
    assert scheme.classes == ("imbalanced", "balanced")
    assert scheme.gold_class("Biased") == "imbalanced"
    assert scheme.predicted_class("Appears moderately imbalanced") == "imbalanced"
    path.write_text('kind = "binary"\n[gold]\nbiased = "imbalanced"\n[predicted]\n')
    with pytest.raises(InputError, match="must map every rating"):
        get_scheme(str(path))


def test_eval_cuts_overlong_articles_and_says_so():
    from io import StringIO

    from rich.console import Console

    from debate_eval.evaluation.command import _fit
    from debate_eval.evaluation.datasets import Example

    long = Example(id="a1", title="t", text="\n\n".join(["word " * 60] * 5), label="x")
    out = StringIO()
    fitted = _fit(long, 150, Console(file=out, width=200))
    assert len(fitted.text.split()) == 120  # two whole paragraphs of 60 words
    assert "a1: The article has 300 words" in out.getvalue()
    short = Example(id="a2", title="t", text="word " * 50, label="x")
    assert _fit(short, 150, Console(file=out)) is short
