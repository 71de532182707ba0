"""The first bytes of real recordings of each format a clinic may upload, and of files it may not."""

from __future__ import annotations

import io
import wave


def wav(seconds: float = 0.1, rate: int = 8000) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x00\x00" * int(seconds * rate))
    return buffer.getvalue()


OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"\x01\x1evorbis" + b"\x00" * 40
MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x0a" + b"\x00" * 10 + b"\xff\xfb\x90\x64" + b"\x00" * 60
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 100  # MPEG-1 layer III, 128 kbit/s, 44.1 kHz
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00M4A mp42isom\x00\x00\x00\x00" + b"\x00" * 40
WEBM = bytes.fromhex("1a45dfa39f4286810142f7810142f2810442f381084282847765626d42878104428581") + b"\x00" * 40

ACCEPTED = {
    "wav": (wav(), "audio/wav"),
    "ogg": (OGG, "audio/ogg"),
    "mp3 with ID3 tag": (MP3_ID3, "audio/mpeg"),
    "mp3 frame": (MP3_FRAME, "audio/mpeg"),
    "m4a": (M4A, "audio/mp4"),
    "webm": (WEBM, "audio/webm"),
}

REFUSED = {
    "png renamed .mp3": b"\x89PNG\r\n\x1a\n" + b"\x00" * 60,
    "text": b"This is a transcript, not a recording." * 3,
    "aac adts": b"\xff\xf1\x50\x80" + b"\x00" * 60,  # frame sync, but layer 00: not MPEG audio
    "avi in riff": b"RIFF\x24\x00\x00\x00AVI LIST" + b"\x00" * 50,
    "matroska video": bytes.fromhex("1a45dfa3a34286810142f7810142f2810442f38108428288")
    + b"matroska"
    + b"\x00" * 40,
    "quicktime": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  " + b"\x00" * 40,
    "pdf": b"%PDF-1.7\n" + b"\x00" * 60,
}
