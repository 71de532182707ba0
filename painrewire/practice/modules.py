"""The therapy modules a plan prescribes and a patient practises: the one vocabulary (no database here)."""

from __future__ import annotations

import enum


class Module(enum.StrEnum):
    PRT = "prt"
    GMI = "gmi"
    CBT = "cbt"
    MINDFULNESS = "mindfulness"
    NEUROFEEDBACK = "neurofeedback"

    @property
    def label(self) -> str:
        return {
            Module.PRT: "Pain reprocessing therapy",
            Module.GMI: "Graded motor imagery",
            Module.CBT: "CBT for pain",
            Module.MINDFULNESS: "Mindfulness",
            Module.NEUROFEEDBACK: "Neurofeedback",
        }[self]
