"""Does a message read like a crisis? A match of the clinic's crisis words, on whole words.

A word list is a blunt screen, and on purpose a sensitive one: a message that merely mentions an overdose
of painkillers raises an alert that a clinician closes in a minute, while a missed "I want to end my life"
costs far more. The list is the clinic's to set (``crisis_words``); a patient's own "this is urgent" tick
counts the same. Neither replaces a clinician's risk assessment (the Columbia Suicide Severity Rating Scale,
Posner et al., Am J Psychiatry 2011;168:1266-77) or a safety plan (Stanley and Brown, Cogn Behav Pract
2012;19:256-64): the screen only makes sure a clinician looks, soon.

Pure: no database, no web.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

#: Apostrophes a phone keyboard may type instead of the plain one.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'"})
#: Inside a phrase, any run of spaces and hyphens matches any other ("self-harm", "self harm").
_GAP = r"[\s\-]+"


def _phrase_pattern(phrase: str) -> str:
    words = [w for w in re.split(r"[\s\-]+", phrase.translate(_APOSTROPHES).strip()) if w]
    parts = [re.escape(w).replace("'", "'?") for w in words]
    return r"(?<!\w)" + _GAP.join(parts) + r"(?!\w)"


@lru_cache(maxsize=8)
def _compiled(words: tuple[str, ...]) -> re.Pattern[str] | None:
    patterns = [_phrase_pattern(w) for w in words if any(c.isalnum() for c in w)]
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def crisis_matches(text: str, words: Iterable[str]) -> list[str]:
    """The crisis words found in ``text``, in the order they occur (as written in the text).

    Parameters
    ----------
    text : str
        The message as the patient wrote it.
    words : iterable of str
        The clinic's crisis words and phrases (``Settings.crisis_words``).

    Returns
    -------
    list of str
        Each match as it stands in the text; empty when none.
    """
    pattern = _compiled(tuple(words))
    if pattern is None:
        return []
    return [m.group(0) for m in pattern.finditer(text.translate(_APOSTROPHES))]


def reads_like_crisis(text: str, words: Sequence[str]) -> bool:
    """True when ``text`` holds any of the crisis ``words`` (see :func:`crisis_matches`)."""
    return bool(crisis_matches(text, words))
