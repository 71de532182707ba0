"""One line in plain words per questionnaire: what it measures and how to read its score.

Patients see their scores beside short names ("CSI 60 · extreme", "RMDQ 19"); these lines say what each one is
about and which way is better, at reading grade 8 or below (Flesch-Kincaid, checked by the tests). Score ranges
are those of the published scoring rules the instrument files implement: PEG (Krebs et al. 2009, J Gen Intern
Med 24:733), BPI short form (Cleeland & Ryan 1994, Ann Acad Med Singapore 23:129), ODI 2.1a (Fairbank & Pynsent
2000, Spine 25:2940), RMDQ (Roland & Morris 1983, Spine 8:141), PCS (Sullivan et al. 1995, Psychol Assess
7:524), TSK-11 (Woby et al. 2005, Pain 117:137), PHQ-9 (Kroenke et al. 2001, J Gen Intern Med 16:606), GAD-7
(Spitzer et al. 2006, Arch Intern Med 166:1092), STarT Back (Hill et al. 2008, Arthritis Rheum 59:632), PSEQ
(Nicholas 2007, Eur J Pain 11:153) and CSI (Mayer et al. 2012, Pain Pract 12:276).
"""

from __future__ import annotations

PLAIN: dict[str, str] = {
    "peg": "How bad your pain was last week, and how much it got in the way. From 0 to 10: lower is better.",
    "bpi": "How strong your pain is, and how much it gets in the way of daily life. Each part is 0 to 10: "
    "lower is better.",
    "odi": "How much your back pain stops you doing daily tasks, like sitting, walking or lifting. "
    "From 0 to 100: lower is better.",
    "rmdq": "How many daily tasks your back pain makes hard on the day you fill it in. From 0 to 24: "
    "lower is better.",
    "pcs": "How much your thoughts get stuck on pain or expect the worst. From 0 to 52: lower is better.",
    "tsk11": "How much you fear that moving will hurt or harm your back. From 11 to 44: lower means less fear.",
    "phq9": "How low your mood has been over the last two weeks. From 0 to 27: lower is better.",
    "gad7": "How worried or tense you have felt over the last two weeks. From 0 to 21: lower is better.",
    "startback": "A short check of how likely your back pain is to last. It helps plan your care. "
    "From 0 to 9: lower is better.",
    "pseq": "How sure you feel that you can do things even with pain. From 0 to 60: higher is better.",
    "csi": "How easily your body's alarm system is set off, by pain, noise, light or stress. "
    "From 0 to 100: lower is better. Treatment can calm it down.",
}


def plain_line(instrument_id: str) -> str:
    """The plain-words line for an instrument, or an empty string for one without."""
    return PLAIN.get(instrument_id, "")


#: Band words by how worrying they are, most worrying first ("moderately severe" is checked before "moderate").
_SEVERITY = (
    ("danger", ("bed-bound", "crippled", "extreme", "moderately severe", "severe", "high")),
    ("warn", ("moderate", "medium", "mild")),
    ("ok", ("minimal", "low", "subclinical", "none")),
)


def band_severity(band: str | None) -> str:
    """The badge colour for a score band: "danger", "warn" or "ok"; "" for a band it does not know."""
    words = (band or "").lower()
    for level, keys in _SEVERITY:
        if any(k in words for k in keys):
            return level
    return ""
