"""The lexical checks behind the echo guard and the early stop."""

from __future__ import annotations

from debate_eval.core.novelty import adds_new_point, echoes

ADVOCATE = (
    "Triton lets researchers write fast GPU kernels in Python, and torch.compile generates "
    "them automatically, so most models no longer need hand-written CUDA kernels at all."
)
REBUTTAL = (
    "Generated Triton kernels still trail hand-tuned CUDA kernels for attention and "
    "communication, and the article cites no benchmark showing that most models avoid CUDA."
)


def test_a_pasted_turn_echoes():
    assert echoes("As the skeptic I say: " + ADVOCATE, ADVOCATE)


def test_a_rebuttal_in_the_same_vocabulary_does_not_echo():
    assert not echoes(REBUTTAL, ADVOCATE)


SENTENCE = (
    '"PyTorch 2.0 makes hand-written CUDA kernels unnecessary for most models, and engineers '
    'who spent weeks on custom C++ extensions now type one function call and move on."'
)


def test_turns_quoting_the_same_article_sentence_do_not_echo():
    advocate = f"The article says {SENTENCE} That is a measured speed-up across many models."
    skeptic = f"Quoting {SENTENCE} overreaches: no benchmark or named model backs it."
    assert not echoes(skeptic, advocate)
    # The same commentary around the quote is still a copy.
    assert echoes(f"Again: {advocate}", advocate)


def test_restating_the_claim_both_argue_about_is_not_an_echo():
    claim = "Memory bandwidth, not compute, is now the bottleneck in modern large models"
    advocate = f"The passage directly supports this by stating that {claim.lower()}."
    skeptic = f"No benchmark shows that {claim.lower()}, only a line of opinion."
    assert echoes(skeptic, advocate)  # most of its 4-grams are the claim's
    assert not echoes(skeptic, advocate, claim)
    # A turn pasted whole still echoes, the claim left out or not.
    assert echoes(f"Again: {advocate}", advocate, claim)


def test_a_turn_too_short_to_compare_never_echoes():
    assert not echoes("CUDA wins.", "CUDA wins.")


def test_new_point_needs_a_quarter_of_new_content_words():
    assert adds_new_point(REBUTTAL, [ADVOCATE])
    assert not adds_new_point(ADVOCATE, [ADVOCATE, REBUTTAL])
