"""The broadcast channel for live traffic that crosses processes.

A live neurofeedback session is watched by the patient's and the practitioner's screens, whose WebSockets may
land on different workers or servers. Everything live goes through one channel: in memory in the
single-process default, Redis pub/sub when ``PAINREWIRE_REDIS_URL`` is set. Nothing relies on two requests
reaching the same process.

A message is a ``Message``: a dict that also keeps its JSON text, made once (with orjson) however many
screens forward it, and never remade for a message that arrived from Redis as text, because a live server
sends thousands of messages a second.
"""

from __future__ import annotations

import asyncio
import collections
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


class _Mailbox:
    """One in-process subscriber's messages, in order: a full mailbox drops its oldest message, so a slow
    reader never delays the publisher. Cheaper than an ``asyncio.Queue`` read through an async generator,
    which matters at thousands of messages a second."""

    __slots__ = ("_messages", "_waiter")

    def __init__(self) -> None:
        self._messages: collections.deque[Message] = collections.deque(maxlen=QUEUE_LIMIT)
        self._waiter: asyncio.Future[None] | None = None

    def put(self, message: Message) -> None:
        self._messages.append(message)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def __aiter__(self) -> _Mailbox:
        return self

    async def __anext__(self) -> Message:
        while not self._messages:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._messages.popleft()


class MemoryBroadcast:
    """In-process fan-out. A slow subscriber loses its oldest messages, never delays the publisher."""

    def __init__(self) -> None:
        self._mailboxes: dict[str, set[_Mailbox]] = defaultdict(set)

    async def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        mailboxes = self._mailboxes.get(channel)
        if not mailboxes:
            return
        if not isinstance(message, Message):
            message = Message(message)
        for mailbox in mailboxes:  # put never awaits, so the set cannot change meanwhile
            mailbox.put(message)

    @contextlib.asynccontextmanager
    async def subscribe(self, channel: str) -> AsyncIterator[AsyncIterator[Message]]:
        mailbox = _Mailbox()
        self._mailboxes[channel].add(mailbox)
        try:
            yield mailbox
        finally:
            self._mailboxes[channel].discard(mailbox)
            if not self._mailboxes[channel]:
                del self._mailboxes[channel]

    async def close(self) -> None:
        self._mailboxes.clear()


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
