"""`debate-eval schema`: the JSON report's schema."""

from __future__ import annotations

import json
import sys

from debate_eval.cli.app import app


@app.command()
def schema() -> None:
    """Print the JSON Schema of the report."""
    from debate_eval.core.schemas import Report

    sys.stdout.write(json.dumps(Report.model_json_schema(), indent=2) + "\n")
