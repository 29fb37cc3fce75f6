"""A chat model that answers like the stub server, in-process and at once (for benchmarks of our
own overhead: with no network and no model, what is left is the graph, prompts and parsing).

Time spent building its replies is counted in `stats` (a CallStats the models can share), so
benchmarks can subtract it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai.chat_models.base import _convert_message_to_dict
from pydantic import ConfigDict, Field

from debate_eval.testing.stub_server import completion


class CallStats:
    """Calls answered and seconds spent building replies (shared between models)."""

    def __init__(self) -> None:
        self.calls = 0
        self.seconds = 0.0
        # (start, end) of each call, on the monotonic clock, when the model has a delay.
        self.spans: list[tuple[float, float]] = []


class InstantChatModel(BaseChatModel):
    """Replies synthesised from the request (tool calls from the tool's schema, text turns from
    the article's sentences), with the same usage counts as the stub server."""

    model_name: str = "instant"
    max_items: int = 3
    model_config = ConfigDict(arbitrary_types_allowed=True)

    stats: CallStats = Field(default_factory=CallStats)
    # Seconds every async call waits before answering (0: instant). With a delay, the calls'
    # spans show which calls overlapped and which waited for others.
    delay_s: float = 0.0

    @property
    def _llm_type(self) -> str:
        return "instant"

    def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any):
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        if isinstance(tool_choice, str) and tool_choice not in ("auto", "none", "required", "any"):
            tool_choice = {"type": "function", "function": {"name": tool_choice}}
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    def _generate(
        self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any
    ) -> ChatResult:
        t0 = time.perf_counter()
        body = {
            "messages": [_convert_message_to_dict(m) for m in messages],
            "tools": kwargs.get("tools"),
            "tool_choice": kwargs.get("tool_choice"),
            "max_tokens": kwargs.get("max_tokens"),
            "top_logprobs": kwargs.get("top_logprobs"),
            "seed": kwargs.get("seed"),
        }
        reply = completion(body, self.max_items)
        choice = reply["choices"][0]
        message = choice["message"]
        usage = reply["usage"]
        ai = AIMessage(
            content=message.get("content") or "",
            tool_calls=[
                {
                    "name": call["function"]["name"],
                    "args": json.loads(call["function"]["arguments"]),
                    "id": call["id"],
                    "type": "tool_call",
                }
                for call in message.get("tool_calls") or []
            ],
            usage_metadata={
                "input_tokens": usage["prompt_tokens"],
                "output_tokens": usage["completion_tokens"],
                "total_tokens": usage["total_tokens"],
            },
            response_metadata={
                "finish_reason": choice["finish_reason"],
                **({"logprobs": choice["logprobs"]} if choice.get("logprobs") else {}),
            },
        )
        self.stats.calls += 1
        self.stats.seconds += time.perf_counter() - t0
        return ChatResult(generations=[ChatGeneration(message=ai)])

    async def _agenerate(
        self, messages: list[BaseMessage], stop=None, run_manager=None, **kwargs: Any
    ) -> ChatResult:
        # No thread hop: the reply is instant, and the hop would be counted as our overhead.
        if not self.delay_s:
            return self._generate(messages, stop, None, **kwargs)
        start = time.monotonic()
        await asyncio.sleep(self.delay_s)
        result = self._generate(messages, stop, None, **kwargs)
        self.stats.spans.append((start, time.monotonic()))
        return result
