"""A reader's install (no `eval` extra): `run` works, `eval` says what to install."""

from __future__ import annotations

import subprocess
import sys

EVAL_EXTRA = ("sklearn", "scipy", "krippendorff", "matplotlib")
# Python refuses to import a module whose sys.modules entry is None: as if not installed.
WITHOUT_EXTRA = f"import sys\nfor m in {EVAL_EXTRA!r}: sys.modules[m] = None\n"


def python(code: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_EXTRA + code, *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_run_path_imports_nothing_from_the_eval_extra():
    done = python(
        "import debate_eval.cli._run, debate_eval.debate.runner, debate_eval.report\n"
        "import debate_eval.debate.scoring.calibration as c\n"
        "assert c.shipped_calibrations()\n"
        "print('ok')"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_eval_without_the_extra_fails_with_the_install_command(tmp_path):
    data = tmp_path / "d.jsonl"
    data.write_text("")
    for command in ("eval", "calibrate"):
        extra = ["--judge", "checklist"] if command == "calibrate" else []
        done = python(
            "from debate_eval.cli import main\nsys.argv = sys.argv[:1] + sys.argv[1:]\nmain()",
            command,
            str(data),
            "--out",
            str(tmp_path / "out"),
            *extra,
        )
        assert done.returncode == 2, done.stderr
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1
        assert f"`debate-eval {command}` needs the eval extra" in lines[0]
        assert "pip install 'debate-eval[eval]'" in lines[0]
        assert "Traceback" not in done.stderr
