"""The stub server with scripted faults, for reliability tests (loopback only).

Each chat request takes the next fault from --faults, a comma-separated script; a fault ending
in '*' repeats for every later request, and once the script runs out requests are answered
normally. Faults:

    ok            answer normally
    slow:S        wait S seconds, then answer (longer than the client's timeout)
    429:S         HTTP 429 with "Retry-After: S"
    500, 503      HTTP 500 / 503 with an error body
    401           HTTP 401 whose message echoes the API key it was sent (as some servers do)
    drop          send the headers and half the body, then close the connection
    truncated     a tool call whose JSON arguments are cut off (or cut-off JSON text)
    invalid       a tool call whose arguments are valid JSON but fail the schema
    empty         a reply with empty content

    python -m debate_eval.testing.fault_server --port 0 --faults "429:1,500,ok" --log req.jsonl

Every request is logged with the fault it got and the time it arrived (--log, JSON lines).
"""

from __future__ import annotations

import argparse
import json
import threading
import time

from debate_eval.testing.stub_server import StubHandler, StubServer, serve

FAULTS = ("ok", "slow", "429", "500", "503", "401", "drop", "truncated", "invalid", "empty")


def parse_script(spec: str) -> list[str]:
    """The fault script as a list; raises ValueError naming the allowed faults."""
    script = [token.strip() for token in spec.split(",") if token.strip()]
    for token in script:
        name = token.rstrip("*").split(":")[0]
        if name not in FAULTS:
            raise ValueError(f"unknown fault {token!r}; expected one of {', '.join(FAULTS)}")
    return script


class FaultServer(StubServer):
    def __init__(self, port: int, script: list[str], log_path: str | None = None) -> None:
        super().__init__(port, 0.0, log_path)
        self.script = list(script)
        self._script_lock = threading.Lock()

    def next_fault(self) -> str:
        with self._script_lock:
            if not self.script:
                return "ok"
            token = self.script[0]
            if token.endswith("*"):
                return token[:-1]
            return self.script.pop(0)

    def record_fault(self, body: dict, fault: str) -> None:
        self.record({"fault": fault, "at": time.time(), **body})


class FaultHandler(StubHandler):
    server: FaultServer

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        fault = self.server.next_fault()
        self.server.record_fault(body, fault)
        name, _, arg = fault.partition(":")
        if name == "slow":
            time.sleep(float(arg or 30))
            self._answer(body)
        elif name == "429":
            self._error(429, "rate limit reached, slow down", {"Retry-After": arg or "1"})
        elif name == "401":
            key = self.headers.get("Authorization", "").removeprefix("Bearer ")
            self._error(401, f"Incorrect API key provided: {key}")
        elif name in ("500", "503"):
            self._error(int(name), "the model server is overloaded")
        elif name == "drop":
            self._drop()
        elif name in ("truncated", "invalid", "empty"):
            self._bad_reply(body, name)
        else:
            self._answer(body)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        data = json.dumps({"error": {"message": message, "type": "server_error"}}).encode()
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        data = json.dumps({"id": "x", "object": "chat.completion", "choices": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data[: len(data) // 2])
        self.wfile.flush()
        self.close_connection = True
        self.connection.shutdown(2)

    def _bad_reply(self, body: dict, kind: str) -> None:
        tools = body.get("tools") or []
        if kind == "empty":
            message = {"role": "assistant", "content": ""}
        elif tools:
            arguments = '{"claims": [{"text": "cut off' if kind == "truncated" else '{"x": 1}'
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_fault",
                        "type": "function",
                        "function": {"name": tools[0]["function"]["name"], "arguments": arguments},
                    }
                ],
            }
        else:
            text = '{"claims": [{"text": "cut off' if kind == "truncated" else '{"x": 1}'
            message = {"role": "assistant", "content": text}
        self._send(
            200,
            {
                "id": "chatcmpl-fault",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "stub"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11},
            },
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--faults", default="", help="comma-separated fault script")
    parser.add_argument("--log", default=None, help="append each request here (JSONL)")
    args = parser.parse_args(argv)
    try:
        script = parse_script(args.faults)
    except ValueError as exc:
        parser.error(str(exc))
    server = FaultServer(args.port, script, args.log)
    server.RequestHandlerClass = FaultHandler
    serve(server)


if __name__ == "__main__":
    main()
