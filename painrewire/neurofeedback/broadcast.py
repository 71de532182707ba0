"""The broadcast channel for live traffic that crosses processes.

A live neurofeedback session is watched by the patient's and the practitioner's screens, whose WebSockets may
land on different workers or servers. Everything live goes through one channel: in memory in the
single-process default, Redis pub/sub when ``PAINREWIRE_REDIS_URL`` is set. Nothing relies on two requests
reaching the same process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any, Protocol

QUEUE_LIMIT = 256


class Broadcast(Protocol):
    async def publish(self, channel: str, message: dict[str, Any]) -> None: ...

    def subscribe(
        self, channel: str
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]: ...

    async def close(self) -> None: ...


class MemoryBroadcast:
    """In-process fan-out. A slow subscriber loses its oldest messages, never delays the publisher."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        for queue in list(self._queues.get(channel, ())):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._queues[channel].add(queue)

        async def messages() -> AsyncIterator[dict[str, Any]]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            self._queues[channel].discard(queue)
            if not self._queues[channel]:
                del self._queues[channel]

    async def close(self) -> None:
        self._queues.clear()


class RedisBroadcast:
    """Redis pub/sub: every worker and server sees every message of a channel it subscribes to."""

    def __init__(self, url: str) -> None:
        import redis.asyncio as redis

        self._redis = redis.from_url(url)

    async def publish(self, channel: str, message: dict[str, Any]) -> None:
        await self._redis.publish(channel, json.dumps(message, separators=(",", ":")))

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(channel)
        # Wait for Redis to confirm, so a message published right after this returns is never missed
        # (a command's reply, the first feedback of a session).
        deadline = asyncio.get_running_loop().time() + 5.0
        while asyncio.get_running_loop().time() < deadline:
            confirmation = await pubsub.get_message(timeout=0.5)
            if confirmation is not None and confirmation.get("type") == "subscribe":
                break

        async def messages() -> AsyncIterator[dict[str, Any]]:
            while True:
                item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if item is not None and item.get("type") == "message":
                    yield json.loads(item["data"])

        try:
            yield messages()
        finally:
            await pubsub.unsubscribe(channel)
            await pubsub.aclose()

    async def close(self) -> None:
        await self._redis.aclose()


def make_broadcast(redis_url: str | None) -> MemoryBroadcast | RedisBroadcast:
    """Redis when configured, otherwise in memory."""
    return RedisBroadcast(redis_url) if redis_url else MemoryBroadcast()
