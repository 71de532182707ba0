"""The live channel: messages reach every subscriber, in memory and through Redis across connections."""

from __future__ import annotations

import asyncio
import os
import threading
import uuid
from collections.abc import Coroutine
from typing import Any

import pytest

from painrewire.neurofeedback.live.broadcast import MemoryBroadcast, RedisBroadcast, make_broadcast

REDIS_URL = os.environ.get("PAINREWIRE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """asyncio.run in a thread of its own (browser tests may leave an event loop on this one)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


async def _exchange(publisher: Any, subscriber_a: Any, subscriber_b: Any) -> tuple[list[Any], list[Any]]:
    channel = f"nfb:{uuid.uuid4().hex}"
    async with subscriber_a.subscribe(channel) as first, subscriber_b.subscribe(channel) as second:
        await asyncio.sleep(0.05)
        for i in range(3):
            await publisher.publish(channel, {"hop": i})
        got_a = [await asyncio.wait_for(anext(first), 5) for _ in range(3)]
        got_b = [await asyncio.wait_for(anext(second), 5) for _ in range(3)]
    return got_a, got_b


def test_memory_broadcast_reaches_every_subscriber_in_order() -> None:
    broadcast = MemoryBroadcast()
    got_a, got_b = run(_exchange(broadcast, broadcast, broadcast))
    assert got_a == got_b == [{"hop": 0}, {"hop": 1}, {"hop": 2}]


def test_slow_subscriber_drops_the_oldest_not_the_newest() -> None:
    async def drain() -> list[Any]:
        broadcast = MemoryBroadcast()
        async with broadcast.subscribe("c") as messages:
            for i in range(300):
                await broadcast.publish("c", {"hop": i})
            return [await anext(messages) for _ in range(3)]

    first_three = run(drain())
    assert first_three == [{"hop": 44}, {"hop": 45}, {"hop": 46}]  # 300 sent, the newest 256 kept


def test_redis_broadcast_crosses_separate_connections() -> None:
    async def exchange() -> tuple[list[Any], list[Any]]:
        publisher, a, b = RedisBroadcast(REDIS_URL), RedisBroadcast(REDIS_URL), RedisBroadcast(REDIS_URL)
        try:
            await publisher._redis.ping()
        except Exception as exc:  # pragma: no cover - the CI machine runs Redis
            pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
        try:
            return await _exchange(publisher, a, b)
        finally:
            for item in (publisher, a, b):
                await item.close()

    got_a, got_b = run(exchange())
    assert got_a == got_b == [{"hop": 0}, {"hop": 1}, {"hop": 2}]


def test_make_broadcast_picks_redis_only_when_configured() -> None:
    assert isinstance(make_broadcast(None), MemoryBroadcast)
    assert isinstance(make_broadcast(REDIS_URL), RedisBroadcast)


def test_a_consoles_periodic_messages_of_one_step_go_out_as_one_batch() -> None:
    from types import SimpleNamespace

    from painrewire.neurofeedback.live.messages import CONSOLE, channel
    from painrewire.neurofeedback.live.runner import LiveRunner

    async def flush(parts: list[dict[str, Any]]) -> list[Any]:
        broadcast = MemoryBroadcast()
        session_id = uuid.uuid4()
        runner = LiveRunner(SimpleNamespace(broadcast=broadcast), session_id)  # type: ignore[arg-type]
        async with broadcast.subscribe(channel(session_id, CONSOLE)) as messages:
            runner._console_parts.extend(parts)
            await runner._flush_console()
            await runner._flush_console()  # nothing left: nothing sent
            runner._console_parts.append({"type": "raw", "n": 2})
            await runner._flush_console()
            return [await asyncio.wait_for(anext(messages), 5) for _ in range(2)]

    batch, single = run(flush([{"type": "raw", "n": 1}, {"type": "hop"}, {"type": "status"}]))
    assert batch == {"type": "batch", "parts": [{"type": "status"}, {"type": "hop"}, {"type": "raw", "n": 1}]}
    assert single == {"type": "raw", "n": 2}
    assert batch.text.startswith('{"type":"batch","parts":[{"type":"status"}')
