"""Which backend a run uses (an OpenAI-compatible endpoint, or the embedded model) and how."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from dataclasses import dataclass, replace

from debate_eval.embedded.weights import DEFAULT_LOCAL_MODEL, LocalModel, get_local_model
from debate_eval.models.chat import RoleModels, RoleSettings, build_role_models
from debate_eval.models.settings import RunOptions, Settings

# Small local models on 2 CPU cores: fewer claims, shorter turns, tighter caps, as many calls in
# flight as the server has slots (it batches them; more would only queue), generous timeouts.
# The embedded profile's debate: 2 claims, one exchange each (advocate, skeptic, ruling). The
# length the 80-article eval measured (docs/evaluation.md); on 2 cores the report comes in about
# half the time of 3 claims x 2 rounds (docs/performance.md). --rounds/--max-claims ask for more.
EMBEDDED_MAX_CLAIMS = 2
EMBEDDED_ROUNDS = 1
EMBEDDED_WORDS_PER_TURN = 30
# The whole debate of two rounds (at most 3 earlier turns): each prompt then extends the previous
# one, so the server's prefix cache re-reads only the newest turn, not a sliding window.
EMBEDDED_HISTORY_TURNS = 4
EMBEDDED_TIMEOUT_S = 600.0
EMBEDDED_MAX_TOKENS = {
    "extractor": 500,
    # One sentence of at most 30 words (a move's own words); trimmed to a sentence if cut.
    "advocate": 60,
    "skeptic": 60,
    # Room for the decisive point before the verdict (reasoning first): at 150 tokens a long
    # point cut the verdict off, twice, on a development article.
    "claim_judge": 220,
    "judge": 900,
}
REMOTE_MAX_CLAIMS = 5
REMOTE_ROUNDS = 2
# The embedded model reads 8,192 tokens: the article plus the debate, the report's schema and
# its answer must fit. At up to 1.4 tokens per word, 3,500 words leave ~3,300 tokens for the rest.
EMBEDDED_MAX_ARTICLE_WORDS = 3_500
# Remote models usually read 32k-128k tokens; a smaller server's limit goes in the config.
REMOTE_MAX_ARTICLE_WORDS = 20_000
# llama.cpp's grammar-constrained sampling (tool calls, JSON mode) halves generation speed on CPU.
EMBEDDED_STRUCTURED_METHOD = "json_text"
REMOTE_STRUCTURED_METHOD = "function_calling"


@dataclass(frozen=True)
class Backend:
    """A resolved backend: where calls go and the run profile that suits it."""

    kind: str  # "openai" or "embedded"
    settings: Settings
    local_model: LocalModel | None = None

    def describe(self) -> str:
        if self.local_model is not None:
            return f"embedded llama.cpp server, model {self.local_model.description}"
        roles = self.settings.role_settings()
        endpoint = self.settings.base_url or "https://api.openai.com/v1"
        return f"OpenAI-compatible endpoint {endpoint}, model {roles['advocate'].model}"

    @property
    def structured_method(self) -> str:
        if self.settings.structured_method:
            return self.settings.structured_method
        if self.local_model is not None:
            return EMBEDDED_STRUCTURED_METHOD
        return REMOTE_STRUCTURED_METHOD

    @property
    def max_article_words(self) -> int:
        if self.settings.max_article_words:
            return self.settings.max_article_words
        if self.local_model is not None:
            return EMBEDDED_MAX_ARTICLE_WORDS
        return REMOTE_MAX_ARTICLE_WORDS

    @property
    def judge_model(self) -> str:
        """The judge role's model name (what calibrations are keyed by)."""
        return self.role_settings()["judge"].model

    def run_options(self, *, skeptic_first: bool = False) -> RunOptions:
        s = self.settings
        if self.local_model is not None:
            return RunOptions(
                rating_judge=s.rating_judge,
                calibration=self.settings.calibration,
                rounds=s.rounds or EMBEDDED_ROUNDS,
                max_claims=s.max_claims or EMBEDDED_MAX_CLAIMS,
                skeptic_first=skeptic_first,
                words_per_turn=EMBEDDED_WORDS_PER_TURN,
                history_turns=EMBEDDED_HISTORY_TURNS,
                max_concurrency=self.local_model.slots,
            )
        return RunOptions(
            rating_judge=s.rating_judge,
            calibration=self.settings.calibration,
            rounds=s.rounds or REMOTE_ROUNDS,
            max_claims=s.max_claims or REMOTE_MAX_CLAIMS,
            skeptic_first=skeptic_first,
        )

    def role_settings(self, base_url: str | None = None) -> dict[str, RoleSettings]:
        roles = self.settings.role_settings()
        if self.local_model is None:
            return roles
        return {
            role: replace(
                rs,
                model=self.local_model.name,
                base_url=base_url,
                api_key=None,
                max_tokens=min(rs.max_tokens, EMBEDDED_MAX_TOKENS[role]),
                timeout_s=max(rs.timeout_s, EMBEDDED_TIMEOUT_S),
            )
            for role, rs in roles.items()
        }


def embedded_model(settings: Settings) -> LocalModel:
    """The embedded model the settings name (the default one if none), with their slots."""
    local = get_local_model(settings.local_model or DEFAULT_LOCAL_MODEL)
    if settings.embedded_slots:
        local = replace(local, slots=settings.embedded_slots)
    return local


def select_backend(settings: Settings) -> Backend:
    """Explicit settings win; with no key and no endpoint, the embedded model is used."""
    if settings.local_model is not None or (not settings.api_key and not settings.base_url):
        return Backend("embedded", settings, embedded_model(settings))
    return Backend("openai", settings)


@contextlib.contextmanager
def open_endpoint(backend: Backend, *, server_verbose: bool = False) -> Iterator[str | None]:
    """The base URL calls go to (None: the settings' own); for the embedded backend, a running
    server's (server_verbose: a fresh server that logs llama.cpp's timings per call)."""
    if backend.local_model is None:
        yield None
        return
    from debate_eval.embedded.server import embedded_server

    with embedded_server(backend.local_model, verbose=server_verbose) as base_url:
        yield base_url


@contextlib.contextmanager
def open_models(backend: Backend, *, server_verbose: bool = False) -> Iterator[RoleModels]:
    """Chat models for every role; for the embedded backend, with its server running."""
    with open_endpoint(backend, server_verbose=server_verbose) as base_url:
        models = build_role_models(backend.role_settings(base_url), backend.structured_method)
        if backend.local_model is not None:
            models = replace(models, call_slots=backend.local_model.slots)
        yield with_prompt_sharing(backend, models, base_url)


def with_prompt_sharing(backend: Backend, models: RoleModels, base_url: str | None) -> RoleModels:
    """`models`, able to share a cached article between the embedded server's slots."""
    if backend.local_model is None or base_url is None or backend.local_model.slots < 2:
        return models
    from debate_eval.embedded.server import share_cached_prompt

    return replace(models, share_prompt_cache=functools.partial(share_cached_prompt, base_url))
