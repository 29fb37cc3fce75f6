"""Running the async core from synchronous code on one long-lived event loop.

HTTP clients keep pooled keep-alive connections bound to the loop that opened them; a fresh
`asyncio.run` per call would meet them closed on the second call. One loop, in a daemon thread,
serves every synchronous call of the process.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            _loop = asyncio.new_event_loop()
            threading.Thread(target=_loop.run_forever, name="debate-eval-loop", daemon=True).start()
        return _loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """The result of `coro`, run on the shared background loop (blocks the caller)."""
    return asyncio.run_coroutine_threadsafe(coro, _background_loop()).result()
