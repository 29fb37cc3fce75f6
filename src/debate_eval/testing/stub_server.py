"""A scripted OpenAI-compatible chat server for tests and benchmarks (loopback only).

It answers /v1/chat/completions deterministically: tool calls whose arguments are synthesised from
the tool's JSON Schema (cited ids are taken from the enums the schema allows), JSON-mode replies,
fenced JSON for plain requests whose prompt spells out a JSON Schema, and plain text turns.
Every request is appended to --log as one JSON line, so tests can count what the server saw.
--delay makes every answer wait, like a slow model; GET /stats tells the most requests that were
ever in flight at once; --max-items sets how long lists are (e.g. how many claims are found).

    python -m debate_eval.testing.stub_server --port 0 [--delay 0.2] [--log requests.jsonl]

prints "listening on http://127.0.0.1:PORT/v1" once it accepts connections.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_SENTENCE_RE = re.compile(r"[^.!?\n]{20,}[.!?]")
_ARTICLE_RE = re.compile(r"<article>\n(.*?)\n</article>", re.DOTALL)


def _article(messages: list[dict]) -> str:
    for message in messages:
        content = message.get("content")
        if isinstance(content, str) and (match := _ARTICLE_RE.search(content)):
            return match.group(1)
    return ""


def _sentences(text: str) -> list[str]:
    found = [s.strip() for s in _SENTENCE_RE.findall(text)]
    return found or ["The article makes a statement that the stub server repeats here."]


class Synthesiser:
    """Builds a value that validates against a JSON Schema, from the request's own text."""

    def __init__(self, schema: dict, messages: list[dict], max_items: int = 3) -> None:
        self.max_items = max_items
        self.defs = schema.get("$defs", {})
        self.sentences = _sentences(_article(messages))
        self.seed = int(hashlib.sha256(json.dumps(messages).encode()).hexdigest()[:8], 16)
        self.counter = 0

    def value(self, schema: dict, name: str = "") -> Any:
        if "$ref" in schema:
            return self.value(self.defs[schema["$ref"].rsplit("/", 1)[-1]], name)
        if "anyOf" in schema:
            options = [s for s in schema["anyOf"] if s.get("type") != "null"] or schema["anyOf"]
            return self.value(options[0], name)
        if "enum" in schema:
            return schema["enum"][self.seed % len(schema["enum"])]
        if "const" in schema:
            return schema["const"]
        kind = schema.get("type", "string")
        if kind == "object":
            props = schema.get("properties", {})
            return {key: self.value(sub, key) for key, sub in props.items()}
        if kind == "array":
            if schema.get("maxItems") == 0:
                return []
            low = schema.get("minItems", 1)
            high = schema.get("maxItems", max(low, self.max_items))
            count = max(low, min(self.max_items, high))
            return [self.value(schema.get("items", {}), name) for _ in range(count)]
        if kind == "integer":
            return max(schema.get("minimum", 1), 1)
        if kind == "number":
            return float(schema.get("minimum", 0.5))
        if kind == "boolean":
            return False
        return self.text(name, schema.get("minLength", 0), schema.get("maxLength"))

    def text(self, name: str, min_length: int, max_length: int | None = None) -> str:
        sentence = self.sentences[self.counter % len(self.sentences)]
        self.counter += 1
        value = sentence if name in ("passage", "text") else f"Stub {name}: {sentence}"
        while len(value) < min_length:
            value += " " + sentence
        return value[:max_length] if max_length else value


def _schema_in_prompt(messages: list[dict]) -> dict:
    """JSON mode carries no schema: read the one the prompt spells out, as a model would."""
    for message in reversed(messages):
        content = message.get("content")
        if isinstance(content, str) and "JSON Schema:\n" in content:
            return json.loads(content.rsplit("JSON Schema:\n", 1)[1])
    return {}


def _text_reply(messages: list[dict], max_tokens: int | None) -> tuple[str, str]:
    """A debate turn and its finish reason ("length" when max_tokens, counted in words, cut it)."""
    last = messages[-1].get("content", "") if messages else ""
    last = last if isinstance(last, str) else json.dumps(last)
    role = re.search(r"Role: (\w+)", last)
    round_ = re.search(r"round (\d+)", last)
    sentences = _sentences(_article(messages))
    start = int(hashlib.sha256(last.encode()).hexdigest()[:8], 16)
    # Like a model that does not echo: quote a sentence no earlier turn in the prompt quoted.
    order = [sentences[(start + i) % len(sentences)] for i in range(len(sentences))]
    fresh = [s for s in order if s not in last] or order
    who = role.group(1) if role else "assistant"
    # Two quoted sentences and little boilerplate, so distinct turns never look like echoes.
    quoted = " ".join(f'"{s}"' for s in fresh[:2])
    reply = f"{who.capitalize()}, round {round_.group(1) if round_ else 1}: {quoted}"
    words = reply.split()
    if max_tokens and len(words) > max_tokens:
        return " ".join(words[:max_tokens]), "length"
    return reply, "stop"


def _tool_reply(body: dict, max_items: int = 3) -> tuple[dict, str]:
    tools = body["tools"]
    choice = body.get("tool_choice")
    chosen = tools[0]["function"]
    if isinstance(choice, dict):
        wanted = choice.get("function", {}).get("name")
        chosen = next((t["function"] for t in tools if t["function"]["name"] == wanted), chosen)
    args = Synthesiser(chosen.get("parameters", {}), body["messages"], max_items).value(
        chosen.get("parameters", {})
    )
    arguments = json.dumps(args)
    message = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_" + hashlib.sha1(arguments.encode()).hexdigest()[:12],
                "type": "function",
                "function": {"name": chosen["name"], "arguments": arguments},
            }
        ],
    }
    return message, arguments


class StubHandler(BaseHTTPRequestHandler):
    server: StubServer
    # As real model servers do: headers and body are separate writes, and Nagle's algorithm
    # would hold the body back until the client's delayed ACK.
    disable_nagle_algorithm = True
    # Keep-alive, as real servers do (HTTP/1.0 would cost a new connection per request).
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})
        elif self.path == "/health":
            self._send(200, {"status": "ok"})
        elif self.path == "/stats":
            self._send(200, {"max_in_flight": self.server.max_in_flight})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        arrived = time.perf_counter()
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        self.server.record(body)
        self.server.enter()
        try:
            self._answer(body, arrived)
        finally:
            self.server.leave()

    def _answer(self, body: dict, arrived: float | None = None) -> None:
        reply = completion(body, self.server.max_items, self.server.logprobs)
        if self.server.delay:
            # The answer leaves `delay` seconds after the request arrived, however long building
            # it took: the server's own work hides inside the latency it simulates.
            started = arrived if arrived is not None else time.perf_counter()
            time.sleep(max(0.0, self.server.delay - (time.perf_counter() - started)))
        self._send(200, reply)


_OPTIONS_RE = re.compile(r"Answer with exactly one of: ([^.\n]+)\.")


def _options_in_prompt(messages: list[dict]) -> list[str]:
    last = messages[-1].get("content", "") if messages else ""
    match = _OPTIONS_RE.search(last if isinstance(last, str) else "")
    return [o.strip() for o in match.group(1).split(",")] if match else []


# The screener asks of every paragraph whether it is written to AI systems: like a real model on
# ordinary text, the stub says no, unless the paragraph says it is for automated readers (the
# other paragraph question, written to persuade?, gets the hash-based answer).
_SCREENER_RE = re.compile(r"Role: screener\b")
# The debaters' side check: like a model whose debaters keep their side, the stub finds an
# advocate's turn arguing for its claim and a skeptic's against (no side retries to script).
# The check shows the sentence alone; the stub's turns open with their speaker.
_SIDE_CHECK_RE = re.compile(r"Role: side check\.")
_SIDE_SPEAKER_RE = re.compile(r"<sentence>\n(Advocate|Skeptic)\b")
_SIDE_FOR_RE = re.compile(r"^([A-Z])\. It argues that claim", re.MULTILINE)
_MOVE_QUESTION_RE = re.compile(
    r"^Question about one sentence:.*<sentence>\n(.*?)\n</sentence>", re.DOTALL
)
_PLANTED_RE = re.compile(r"(?i)\bautomated (reviewers?|readers?|systems?)\b")


def option_logprobs(messages: list[dict], options: list[str]) -> tuple[str, dict]:
    """A deterministic answer to an option question, with OpenAI-format logprobs: each option
    as two token variants ("A" and " A"), as real tokenizers produce, plus one non-option."""
    digest = hashlib.sha256(json.dumps(messages).encode()).digest()
    weights = [1.0 + digest[i] / 64 for i in range(len(options))]
    last = str(messages[-1].get("content", "")) if messages else ""
    first = str(messages[0].get("content", "")) if messages else ""
    if options == ["yes", "no"] and _SCREENER_RE.search(first):
        planted = _PLANTED_RE.search(last.split("<paragraph>", 1)[-1])
        weights = [30.0, 1.0] if planted else [1.0, 30.0]
    elif options == ["yes", "no"] and (asked := _MOVE_QUESTION_RE.search(last)):
        # A move question: like a model that reads the sentence, it says "no" to a content-free
        # one, so the sentences of a debate make some move (it seldom concedes).
        if asked.group(1).strip() == "N/A":
            weights = [1.0, 30.0]
    elif _SIDE_CHECK_RE.search(last) and (side := _SIDE_FOR_RE.search(last)):
        speaker = _SIDE_SPEAKER_RE.search(last)
        holds = bool(speaker) and speaker.group(1) == "Advocate"
        weights = [30.0 if (option == side.group(1)) == holds else 1.0 for option in options]
        if "<sentence>\nN/A\n</sentence>" in last:  # the claim's content-free baseline: no side
            weights = [1.0] * len(options)
    total = sum(weights) / 0.95  # 5% on a token that is no option
    alternatives = []
    for option, weight in zip(options, weights, strict=True):
        p = weight / total
        alternatives += [
            {"token": option, "logprob": math.log(0.7 * p)},
            {"token": f" {option}", "logprob": math.log(0.3 * p)},
        ]
    alternatives.append({"token": "The", "logprob": math.log(0.05)})
    alternatives.sort(key=lambda a: -a["logprob"])
    top = alternatives[0]
    first = {"token": top["token"], "logprob": top["logprob"], "top_logprobs": alternatives}
    return top["token"], {"content": [first]}


def completion(body: dict, max_items: int = 3, logprobs: bool = True) -> dict:
    """The chat completion the stub answers to a request `body` (OpenAI wire format).

    logprobs: whether it honours `top_logprobs` (off: like servers that ignore it)."""
    messages = body.get("messages", [])
    max_tokens = body.get("max_tokens") or body.get("max_completion_tokens")
    fmt = (body.get("response_format") or {}).get("type")
    choice_logprobs = None
    options = _options_in_prompt(messages)
    if options:
        produced, choice_logprobs = option_logprobs(messages, options)
        if body.get("seed") is not None:  # a sampled answer: vary it with the seed
            produced = options[int(body["seed"]) % len(options)]
        if not (logprobs and body.get("top_logprobs")):
            choice_logprobs = None
        message, finish = {"role": "assistant", "content": produced}, "length"
    elif body.get("tools"):
        message, produced = _tool_reply(body, max_items)
        finish = "tool_calls"
    elif fmt in ("json_object", "json_schema"):
        schema = (body["response_format"].get("json_schema") or {}).get(
            "schema"
        ) or _schema_in_prompt(messages)
        produced = json.dumps(Synthesiser(schema, messages, max_items).value(schema))
        message, finish = {"role": "assistant", "content": produced}, "stop"
    elif schema := _schema_in_prompt(messages):
        # A plain request that spells out a schema: answer as small models do, in a fence.
        produced = json.dumps(Synthesiser(schema, messages, max_items).value(schema), indent=1)
        produced = f"Here is the JSON:\n```json\n{produced}\n```"
        message, finish = {"role": "assistant", "content": produced}, "stop"
    else:
        produced, finish = _text_reply(messages, max_tokens)
        message = {"role": "assistant", "content": produced}
    prompt_chars = sum(len(json.dumps(m.get("content"))) for m in messages)
    return {
        "id": "chatcmpl-stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": body.get("model", "stub"),
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": finish,
                **({"logprobs": choice_logprobs} if choice_logprobs else {}),
            }
        ],
        "usage": {
            "prompt_tokens": prompt_chars // 4,
            "completion_tokens": max(1, len(produced) // 4),
            "total_tokens": prompt_chars // 4 + max(1, len(produced) // 4),
        },
    }


class StubServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(
        self,
        port: int,
        delay: float = 0.0,
        log_path: str | None = None,
        max_items: int = 3,
        logprobs: bool = True,
    ) -> None:
        super().__init__(("127.0.0.1", port), StubHandler)
        self.delay = delay
        self.logprobs = logprobs
        self.max_items = max_items
        self.log_path = log_path
        self._lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0

    def enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def record(self, body: dict) -> None:
        if not self.log_path:
            return
        with self._lock, open(self.log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps(body) + "\n")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--log", default=None, help="append each request body here (JSONL)")
    parser.add_argument(
        "--max-items", type=int, default=3, help="list length in replies (e.g. claims extracted)"
    )
    parser.add_argument(
        "--no-logprobs", action="store_true", help="ignore top_logprobs, as some servers do"
    )
    args = parser.parse_args(argv)
    serve(StubServer(args.port, args.delay, args.log, args.max_items, not args.no_logprobs))


def serve(server: StubServer) -> None:
    """Announce the server's URL (tests wait for this line), then serve until interrupted."""
    print(f"listening on {server.base_url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
