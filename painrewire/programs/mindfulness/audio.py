"""Recognise an uploaded audio recording by its first bytes, never by its name or the browser's claim.

Pure (no database, no web), so each format's signature is tested on its own.

Signatures: WAV is a RIFF container of form type ``WAVE``; Ogg pages start ``OggS``; MP3 starts with an
ID3v2 tag or an MPEG audio frame sync (11 set bits, layer not "reserved"); M4A is an ISO base-media file
whose first box is ``ftyp`` with an audio-capable brand; WebM is an EBML document (``1A 45 DF A3``) whose
DocType is ``webm``. References: RIFF/WAVE (Microsoft/IBM Multimedia Programming Interface, 1991); RFC 3533
(Ogg); ID3v2.4 main structure (id3.org); ISO/IEC 14496-12 and 14496-14 (MP4); Matroska/WebM EBML header
(RFC 8794 and the WebM container guidelines).
"""

from __future__ import annotations

#: Enough of the file to recognise any of the formats below.
SNIFF_BYTES = 64

#: The formats a clinic may upload, as the content type the playback route will send.
AUDIO_TYPES = {
    "wav": "audio/wav",
    "ogg": "audio/ogg",
    "mp3": "audio/mpeg",
    "m4a": "audio/mp4",
    "webm": "audio/webm",
}
ACCEPTED = "WAV, OGG, MP3, M4A or WebM"
_M4A_BRANDS = {b"M4A ", b"M4B ", b"mp41", b"mp42", b"isom", b"iso2", b"dash", b"MSNV", b"3gp4", b"3gp5"}


def detect(head: bytes) -> str | None:
    """Return the audio content type of a file from its first bytes, or None if it is not one we accept.

    Parameters
    ----------
    head : bytes
        The start of the file (`SNIFF_BYTES` is enough).

    Returns
    -------
    content_type : str | None
        One of the values of `AUDIO_TYPES`.
    """
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return AUDIO_TYPES["wav"]
    if head[:4] == b"OggS":
        return AUDIO_TYPES["ogg"]
    if head[:3] == b"ID3" and len(head) >= 10:
        return AUDIO_TYPES["mp3"]
    if len(head) >= 4 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        layer = (head[1] >> 1) & 0b11
        version = (head[1] >> 3) & 0b11
        bitrate = head[2] >> 4
        # layer 00 is reserved (and is how AAC's ADTS headers look), version 01 is reserved, bitrate 1111 bad
        if layer != 0 and version != 1 and bitrate != 0xF:
            return AUDIO_TYPES["mp3"]
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _M4A_BRANDS:
        return AUDIO_TYPES["m4a"]
    if head[:4] == b"\x1a\x45\xdf\xa3" and b"webm" in head[:SNIFF_BYTES]:
        return AUDIO_TYPES["webm"]
    return None
