"""The embedded llama.cpp server process: llama-cpp-python's OpenAI app plus request fixes.

    python -m debate_eval.embedded.app --model FILE --alias NAME --port PORT

Two fixes sit in front of llama-cpp-python's app, both on /v1/chat/completions:
- langchain-openai sends the token cap as `max_completion_tokens`, which the server ignores
  (a reply once ran to 7,359 tokens): it is renamed to `max_tokens`, which the server honours.
- `response_format: {"type": "json_schema"}` is rejected by the server: it becomes
  `{"type": "json_object", "schema": ...}`, which the server enforces with a grammar.
"""

from __future__ import annotations

import argparse
import contextlib
import json
from typing import Any

Scope = dict[str, Any]


def rewrite_request(body: dict) -> dict:
    """The request body as llama-cpp-python's server understands it."""
    body = dict(body)
    cap = body.pop("max_completion_tokens", None)
    if cap is not None and body.get("max_tokens") is None:
        body["max_tokens"] = cap
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema")
        body["response_format"] = {"type": "json_object", **({"schema": schema} if schema else {})}
    return body


class RewriteChatRequests:
    """ASGI middleware applying rewrite_request to chat completion bodies."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].endswith("/chat/completions"):
            await self.app(scope, receive, send)
            return
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        raw = b"".join(chunks)
        # Not JSON: pass it on untouched and let the server answer with its own 4xx.
        with contextlib.suppress(ValueError, TypeError):
            raw = json.dumps(rewrite_request(json.loads(raw))).encode()
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(raw)).encode()))
        sent = False

        async def replay() -> dict:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.app({**scope, "headers": headers}, replay, send)


def build_app(model_path: str, alias: str, n_ctx: int, threads: int, verbose: bool = False) -> Any:
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    app = create_app(
        server_settings=ServerSettings(host="127.0.0.1"),
        model_settings=[
            ModelSettings(
                model=model_path,
                model_alias=alias,
                n_ctx=n_ctx,
                n_threads=threads,
                n_threads_batch=threads,
                n_batch=512,
                # verbose: llama.cpp prints its timings (prompt tokens evaluated) per call.
                verbose=verbose,
            )
        ],
    )
    return RewriteChatRequests(app)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="debate-eval's embedded llama.cpp server")
    parser.add_argument("--model", required=True, help="GGUF file")
    parser.add_argument("--alias", required=True, help="model name clients ask for")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--verbose", action="store_true", help="log llama.cpp timings per call")
    args = parser.parse_args(argv)
    app = build_app(args.model, args.alias, args.n_ctx, args.threads, args.verbose)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
