"""The broadcast channel for live traffic that crosses processes.

A live neurofeedback session is watched by the patient's and the practitioner's screens, whose WebSockets may
land on different workers or servers. Everything live goes through one channel: in memory in the
single-process default, Redis pub/sub when ``PAINREWIRE_REDIS_URL`` is set. Nothing relies on two requests
reaching the same process.

A message is a ``Message``: a dict that also keeps its JSON text, made once (with orjson) however many
screens forward it, and never remade for a message that arrived from Redis as text. A live server sends
thousands of messages a second; encoding each once per screen with the standard library's json was a tenth
of its work.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

import orjson

QUEUE_LIMIT = 256


class Message(dict[str, Any]):
    """A message's fields, and its JSON text (``text``), encoded at most once."""

    __slots__ = ("_text",)

    def __init__(self, fields: Mapping[str, Any], text: str | None = None) -> None:
        super().__init__(fields)
        self._text = text

    @classmethod
    def from_text(cls, text: str | bytes) -> Message:
        decoded = text.decode() if isinstance(text, bytes) else text
        return cls(orjson.loads(decoded), decoded)

    @property
    def text(self) -> str:
        """Compact JSON; NaN and infinities become null (JSON has neither)."""
        if self._text is None:
            self._text = orjson.dumps(self).decode()
        return self._text


class Broadcast(Protocol):
    async def publish(self, channel: str, message: Mapping[str, Any]) -> None: ...

    def subscribe(self, channel: str) -> contextlib.AbstractAsyncContextManager[AsyncIterator[Message]]: ...

    async def close(self) -> None: ...


class MemoryBroadcast:
    """In-process fan-out. A slow subscriber loses its oldest messages, never delays the publisher."""

    def __init__(self) -> None:
        self._queues: dict[str, set[asyncio.Queue[Message]]] = defaultdict(set)

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        queues = self._queues.get(channel)
        if not queues:
            return
        if not isinstance(message, Message):
            message = Message(message)
        for queue in list(queues):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Message]]:
        queue: asyncio.Queue[Message] = asyncio.Queue(maxsize=QUEUE_LIMIT)
        self._queues[channel].add(queue)

        async def messages() -> AsyncIterator[Message]:
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

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        text = message.text if isinstance(message, Message) else Message(message).text
        await self._redis.publish(channel, text)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Message]]:
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(channel)
        # Wait for Redis to confirm, so a message published right after this returns is never missed
        # (a command's reply, the first feedback of a session).
        deadline = asyncio.get_running_loop().time() + 5.0
        while asyncio.get_running_loop().time() < deadline:
            confirmation = await pubsub.get_message(timeout=0.5)
            if confirmation is not None and confirmation.get("type") == "subscribe":
                break

        async def messages() -> AsyncIterator[Message]:
            while True:
                item = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if item is not None and item.get("type") == "message":
                    yield Message.from_text(item["data"])

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
