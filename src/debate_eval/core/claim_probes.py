"""The yes/no questions the claim judge asks about each claim before it rules, and the
verdicts it rules with.

They live in code, not in a prompt file (`claim_probe.md` asks any one of them), so a stored
debate's key and the debate judge's calibration key hash them here.
"""

from __future__ import annotations

from collections.abc import Mapping

# The yes/no questions asked about each claim (id -> question); the ids are Claim.probes' keys.
CLAIM_PROBES: Mapping[str, str] = {
    "evidence": "Does the article give evidence for this claim (data, a named source, a document)?",
    "view_against": "Does the article mention a view against this claim?",
    "opinion_as_fact": "Is this claim an opinion or a prediction stated as fact?",
}
# What each verdict (core.schemas.VERDICTS) means, as the verdict question offers it.
VERDICT_MEANINGS: Mapping[str, str] = {
    "supported": "supported: the article gives solid evidence and the skeptic found no serious gap",
    "contested": "contested: there is real evidence on both sides, or important counterarguments "
    "the article ignores",
    "unsupported": "unsupported: the article asserts it with little or no evidence",
}
# How each probe's answer reads in the verdict prompt.
PROBE_FINDINGS: Mapping[str, str] = {
    "evidence": "Evidence in the article",
    "view_against": "A view against it in the article",
    "opinion_as_fact": "An opinion or prediction stated as fact",
}
