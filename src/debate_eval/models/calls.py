"""Calling a chat model for one role: text or structured output, with one repair retry."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from contextvars import ContextVar
from typing import TypeVar

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import Runnable
from langchain_core.utils.json import parse_json_markdown
from pydantic import BaseModel, ValidationError

from debate_eval.core.errors import ModelCallError, StructuredOutputError
from debate_eval.core.schemas import TokenUsage
from debate_eval.core.sentences import trim_to_sentence
from debate_eval.models import keys
from debate_eval.models.chat import endpoint
from debate_eval.models.roles import check_structured_method

T = TypeVar("T", bound=BaseModel)
R = TypeVar("R")

logger = logging.getLogger(__name__)

_MAX_ERROR_CHARS = 300


def usage_of(message: BaseMessage | None) -> TokenUsage:
    """Token usage the server reported for one reply (zeros when it reported none)."""
    meta = getattr(message, "usage_metadata", None) or {}
    return TokenUsage(
        calls=1,
        input_tokens=int(meta.get("input_tokens", 0)),
        output_tokens=int(meta.get("output_tokens", 0)),
        # OpenAI's usage.prompt_tokens_details.cached_tokens (llama.cpp's server sends it too).
        cached_tokens=int((meta.get("input_token_details") or {}).get("cache_read") or 0),
    )


def add_usage(a: TokenUsage, b: TokenUsage) -> TokenUsage:
    return TokenUsage(
        calls=a.calls + b.calls,
        input_tokens=a.input_tokens + b.input_tokens,
        output_tokens=a.output_tokens + b.output_tokens,
        cached_tokens=a.cached_tokens + b.cached_tokens,
    )


def sum_usage(usages: Iterable[TokenUsage]) -> TokenUsage:
    """The usage of several calls together (none: zero)."""
    total = TokenUsage()
    for usage in usages:
        total = add_usage(total, usage)
    return total


def _one_line(text: object) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= _MAX_ERROR_CHARS else flat[: _MAX_ERROR_CHARS - 1] + "…"


def _attempts(model: BaseChatModel) -> str:
    retries = getattr(model, "max_retries", None)
    return f" after {retries + 1} attempts" if isinstance(retries, int) and retries > 0 else ""


def _timeout_s(model: BaseChatModel) -> str:
    timeout = getattr(model, "request_timeout", None)
    seconds = getattr(timeout, "read", timeout)
    return f" within {seconds:g} s" if isinstance(seconds, int | float) else ""


def _api_failure(role: str, model: BaseChatModel, exc: openai.APIError) -> ModelCallError:
    """One line for a call that failed for good: where, what happened, how often it was tried.

    The SDK has already retried what is worth retrying (timeouts, dropped connections, 408, 409,
    429 and 5xx, with exponential backoff that honours Retry-After)."""
    where = endpoint(model) or "the model"
    if isinstance(exc, openai.APITimeoutError):
        what = f"no reply from {where}{_timeout_s(model)}{_attempts(model)}"
    elif isinstance(exc, openai.APIConnectionError):
        cause = _root_cause(exc)
        detail = f" ({type(cause).__name__}: {_one_line(cause)})" if cause is not exc else ""
        what = f"connection to {where} failed{detail}{_attempts(model)}"
    elif isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retried = status in (408, 409, 429) or status >= 500
        hint = {
            401: " (check the API key)",
            403: " (the key may lack access to this model)",
            404: " (check the model name and the base URL)",
            429: " (rate limited)",
        }.get(status, "")
        what = (
            f"{where} answered HTTP {status}{hint}{_attempts(model) if retried else ''}: "
            f"{_one_line(_error_message(exc))}"
        )
    else:
        what = f"call to {where} failed: {type(exc).__name__}: {_one_line(exc)}"
    return ModelCallError(role, redact(what, model))


def _root_cause(exc: BaseException) -> BaseException:
    """The innermost exception (e.g. httpx's ConnectError under the SDK's wrappers)."""
    seen = {id(exc)}
    while (inner := exc.__cause__ or exc.__context__) is not None and id(inner) not in seen:
        seen.add(id(inner))
        exc = inner
    return exc


def _error_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and inner.get("message"):
            return str(inner["message"])
    return exc.message


def redact(text: str, model: BaseChatModel) -> str:
    """`text` without the model's API key (a server may echo the key back in an error)."""
    key = getattr(model, "openai_api_key", None)
    keys.remember(key.get_secret_value() if key is not None else None)
    return keys.redact_keys(text)


def run_config(role: str, trace: Mapping[str, object] | None = None) -> dict:
    """LangChain run config for one call: named after the role, tagged and with metadata (claim
    id, round) that tracing backends such as LangSmith show and filter on."""
    return {
        "run_name": role,
        "tags": ["debate-eval", f"role:{role}"],
        "metadata": {"role": role, **(trace or {})},
    }


# The bound on calls in flight for the run under way (calls_in_order), every call waiting for it
# in the order asked. A context variable: the graph's nodes and their calls inherit it.
_IN_FLIGHT: ContextVar[AbstractAsyncContextManager | None] = ContextVar(
    "calls_in_flight", default=None
)


@contextlib.contextmanager
def calls_in_order(slots: int | None) -> Iterator[None]:
    """Within it, at most `slots` calls are in flight and the rest go out in the order asked
    (None: no bound). On a server with one slot (the embedded default), the calls then reach
    it in the same order on every run, so each finds the same prompt cached and every measured
    probability comes out the same (with more slots, which of the calls in flight a slot takes,
    and what it is batched with, still vary): left to themselves, calls asked together reach
    it in whatever order their clients get ready (openai's client finds its platform in a
    worker thread on its first request), and a rating probe read differently cached moved by
    0.017 (docs/performance.md). Inside an outer one (an eval's debate), the outer bound
    stands."""
    if _IN_FLIGHT.get() is not None:
        yield
        return
    token = _IN_FLIGHT.set(call_gate(slots) if slots else None)
    try:
        yield
    finally:
        _IN_FLIGHT.reset(token)


async def invoke(
    model: Runnable,
    messages: Sequence[BaseMessage],
    role: str,
    config: dict | None = None,
    origin: BaseChatModel | None = None,
):
    """One call, in its turn (calls_in_order); a failed one becomes a one-line ModelCallError
    naming the role and endpoint (`origin`: the chat model behind `model` when `model` is a
    binding of it)."""
    async with _IN_FLIGHT.get() or contextlib.nullcontext():
        try:
            return await model.ainvoke(list(messages), config=config)
        except openai.APIError as exc:
            raise _api_failure(role, origin or model, exc) from exc


async def read_prefix(model: BaseChatModel, opening: BaseMessage, *, role: str) -> TokenUsage:
    """One call that only reads `opening` (the shared system message) into the server's prompt
    cache, its one generated token dropped: what calls that open with it then find cached."""
    reply = await invoke(
        model.bind(max_tokens=1),
        [opening, HumanMessage(content="")],
        role,
        run_config(role, {"part": "prefix"}),
        model,
    )
    return usage_of(reply)


def call_gate(slots: int | None) -> AbstractAsyncContextManager:
    """What calls wait on so that at most `slots` are in flight, in the order asked (asyncio's
    semaphore wakes its waiters first come, first served); None: no wait."""
    return asyncio.Semaphore(slots) if slots else contextlib.nullcontext()


async def gather_calls(*calls: Awaitable[R]) -> list[R]:
    """Await model calls concurrently; when one fails for good the others are cancelled (not
    left retrying behind the error) and its own one-line error is raised."""
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_as_coroutine(c)) for c in calls]
    except BaseExceptionGroup as failed:
        # The first failure as itself (a DebateEvalError keeps its one line; anything else
        # keeps its type and traceback), not wrapped in a group; its own cause (the client's
        # error, shown by --debug) stays chained.
        first = failed.exceptions[0]
        raise first from first.__cause__
    return [t.result() for t in tasks]


async def _as_coroutine(awaitable: Awaitable[R]) -> R:
    return await awaitable


def reply_text(reply: BaseMessage) -> str:
    return reply.text if isinstance(reply, AIMessage) else str(reply.content)


async def ask_text(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    *,
    role: str,
    trace: Mapping[str, object] | None = None,
    sampling: Mapping[str, float | int] | None = None,
) -> tuple[str, TokenUsage]:
    """A plain-text reply; an empty reply is retried once, then fails.

    trace: metadata for tracing (e.g. claim_id, round), next to the role's name and tag.
    sampling: call parameters (temperature, seed) that replace the model's own for this call."""
    usage = TokenUsage()
    config = run_config(role, trace)
    asked = model.bind(**sampling) if sampling else model
    for _ in range(2):
        reply = await invoke(asked, messages, role, config, origin=model)
        usage = add_usage(usage, usage_of(reply))
        text = reply_text(reply).strip()
        if text and reply.response_metadata.get("finish_reason") == "length":
            text = trim_to_sentence(text)
        if text:
            return text, usage
    raise ModelCallError(role, "the model returned an empty reply twice")


def _without_titles(node: object) -> object:
    # Pydantic's generated titles repeat the field names: prompt tokens for nothing.
    if isinstance(node, dict):
        return {
            k: _without_titles(v)
            for k, v in node.items()
            if not (k == "title" and isinstance(v, str))
        }
    if isinstance(node, list):
        return [_without_titles(v) for v in node]
    return node


def json_mode_instruction(schema: type[BaseModel]) -> str:
    """The instruction that carries `schema` in the prompt (compact JSON, no titles)."""
    compact = json.dumps(_without_titles(schema.model_json_schema()), separators=(",", ":"))
    return (
        "Reply with a single JSON object, and nothing else, that validates against this "
        f"JSON Schema:\n{compact}"
    )


def describe_error(error: object) -> str:
    """A validation error as "field: problem" items (no input echo, no documentation links),
    which small models act on better than pydantic's full message; anything else in one line."""
    if isinstance(error, ValidationError):
        items = [
            f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg']}"
            for e in error.errors()[:5]
        ]
        return _one_line("; ".join(items))
    return _one_line(error)


def _as_text(reply: BaseMessage | None) -> str:
    """A reply as plain text, tool call arguments included (valid in any later prompt)."""
    if reply is None:
        return ""
    calls = getattr(reply, "tool_calls", None) or []
    if calls:
        return json.dumps(calls[0].get("args", {}), ensure_ascii=False)
    return reply_text(reply).strip()


def _json_readings(text: str) -> Iterator[object]:
    try:
        partial = parse_json_markdown(text)
    except ValueError:
        partial = None
    yield partial
    # parse_json_markdown reads partial JSON: an unescaped quote inside a string can end the
    # object early and silently drop every later field. json-repair reads past such quotes.
    import json_repair

    yield json_repair.repair_json(text, return_objects=True)


def parse_json_reply(text: str, schema: type[T]) -> T:
    """The object a plain-text reply spells out as JSON (bare or in a ```json fence).

    JSON that does not parse as written (small models leave quotes inside quoted article text
    unescaped) is mended with json-repair; the schema then decides whether it is usable.
    """
    error: ValidationError | None = None
    for data in _json_readings(text):
        if not isinstance(data, dict):
            continue
        try:
            return schema.model_validate(data)
        except ValidationError as exc:
            error = error or exc
    if error is not None:
        raise error
    raise ValueError("the reply holds no JSON object")


# A string that was finished (its closing quote, not an escaped one) and what follows it.
_FINISHED_STRING_RE = re.compile(r'(?<!\\)"\s*([,\]}])')


def without_cut_item(text: str) -> str:
    """JSON cut off by a token cap, without the string item it was cut in (json-repair would
    close it as a short, wrong item): the text up to the last string followed by a comma. Left
    as it is when the last finished string closed its list or object (the cap cut later
    chatter) or when none was finished."""
    finished = list(_FINISHED_STRING_RE.finditer(text))
    if not finished or finished[-1].group(1) != ",":
        return text
    return text[: finished[-1].start() + 1]


async def _ask_json_text(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    schema: type[T],
    role: str,
    config: dict,
    max_tokens: int | None = None,
) -> dict:
    # No grammar on the server: small local models write JSON about twice as fast unconstrained,
    # and a reply that does not parse gets the same repair retry as a failed tool call.
    asked = model.bind(max_tokens=max_tokens) if max_tokens else model
    raw = await invoke(asked, messages, role, config, origin=model)
    text = reply_text(raw)
    if max_tokens and raw.response_metadata.get("finish_reason") == "length":
        text = without_cut_item(text)
    try:
        return {"raw": raw, "parsed": parse_json_reply(text, schema), "error": None}
    except ValueError as exc:  # JSONDecodeError and pydantic's ValidationError
        return {"raw": raw, "parsed": None, "error": exc}


_RUNNABLES: dict[tuple[int, type, str], tuple[BaseChatModel, Runnable]] = {}
_MAX_RUNNABLES = 128


def _structured_runnable(model: BaseChatModel, schema: type[BaseModel], method: str) -> Runnable:
    """`model.with_structured_output(schema)`, built once per model and schema: building it
    converts the schema to a tool definition, which costs more than the rest of a call."""
    key = (id(model), schema, method)
    cached = _RUNNABLES.get(key)
    if cached is not None and cached[0] is model:
        return cached[1]
    runnable = model.with_structured_output(schema, method=method, include_raw=True)
    if len(_RUNNABLES) >= _MAX_RUNNABLES:  # per-report schemas (the judge's) come and go
        _RUNNABLES.clear()
    _RUNNABLES[key] = (model, runnable)
    return runnable


async def _ask_with_runnable(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    schema: type[T],
    role: str,
    method: str,
    config: dict,
) -> dict:
    runnable = _structured_runnable(model, schema, method)
    out = await invoke(runnable, messages, role, config, model)
    return {"raw": out.get("raw"), "parsed": out.get("parsed"), "error": out.get("parsing_error")}


async def ask_structured(
    model: BaseChatModel,
    messages: Sequence[BaseMessage],
    schema: type[T],
    *,
    role: str,
    method: str = "function_calling",
    validate: Callable[[T], None] | None = None,
    trace: Mapping[str, object] | None = None,
    max_tokens: int | None = None,
) -> tuple[T, TokenUsage]:
    """A reply parsed into `schema` via function calling, JSON mode or JSON in plain text.

    A missing or invalid reply (including one `validate` rejects with ValueError) is retried once
    with the error spelled out for the model; a second failure raises StructuredOutputError.
    max_tokens: a tighter cap than the role's for a reply read from plain text (json_text), where
    a small model can run on repeating a list's items to the role's limit; json-repair closes
    what the cap cuts off. Function calling and JSON mode keep the role's limit.
    """
    check_structured_method(method)
    if method in ("json_mode", "json_text"):
        # Neither carries the schema to the server: it has to be in the prompt.
        messages = [*messages, HumanMessage(content=json_mode_instruction(schema))]
    usage = TokenUsage()
    config = run_config(role, trace)
    attempt: list[BaseMessage] = list(messages)
    error: object = None
    for _ in range(2):
        if method == "json_text":
            out = await _ask_json_text(model, attempt, schema, role, config, max_tokens)
        else:
            out = await _ask_with_runnable(model, attempt, schema, role, method, config)
        usage = add_usage(usage, usage_of(out["raw"]))
        parsed, error = out["parsed"], out["error"]
        if error is None and parsed is None:
            error = f"the reply did not call the function {schema.__name__}"
        if error is None and validate is not None:
            try:
                validate(parsed)
            except ValueError as exc:
                error = exc
        if error is None:
            return parsed, usage
        logger.info("%s: unusable %s reply, asking again: %s", role, schema.__name__, error)
        # The model sees what it wrote and what is wrong with it, so it can fix the reply rather
        # than regenerate it (at temperature 0 a plain re-ask tends to repeat the same mistake).
        previous = _as_text(out["raw"])
        attempt = [
            *messages,
            *([AIMessage(content=previous)] if previous else []),
            HumanMessage(
                content=(
                    f"Your previous reply could not be used: {describe_error(error)}\n"
                    f"Reply again with a complete {schema.__name__} that fixes this."
                )
            ),
        ]
    raise StructuredOutputError(
        role,
        f"invalid structured reply for {schema.__name__} after a retry: {describe_error(error)}",
    )
