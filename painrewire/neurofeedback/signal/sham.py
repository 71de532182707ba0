"""Sham feedback: replay the rewards of an earlier session instead of the live EEG.

A sham session looks and sounds like a real one (same reward rate, same rhythm of rewards, the rewards of a
real person's real session) but its feedback carries no information about the patient's own brain, which is
what a placebo control needs. The live EEG is still processed, checked and recorded in full; the record and
the recording say the session was sham.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from painrewire.neurofeedback.signal.validation import check_number


class ShamReplay:
    """The reward sequence of an earlier session, handed out one feedback hop at a time.

    Parameters
    ----------
    rewards : sequence of bool
        Reward of each feedback hop of the earlier session, in order.
    feedback : sequence of float | None
        The 0..1 feedback value of each of those hops; None derives it from the rewards (1.0 or 0.0).
    source : str
        Where the sequence came from (kept with the session record).

    Notes
    -----
    When the sham session runs longer than the earlier one, the sequence starts again from its beginning;
    ``wrapped`` tells how many times that happened.
    """

    def __init__(
        self, rewards: Sequence[bool], feedback: Sequence[float] | None = None, *, source: str = ""
    ) -> None:
        self.rewards = [bool(r) for r in rewards]
        if not self.rewards:
            raise ValueError("rewards must hold at least one feedback hop of the earlier session, got none")
        if feedback is None:
            self.feedback = [1.0 if r else 0.0 for r in self.rewards]
        else:
            if len(feedback) != len(self.rewards):
                raise ValueError(
                    f"feedback must have one value per reward: got {len(feedback)} values for "
                    f"{len(self.rewards)} rewards"
                )
            self.feedback = [check_number(v, "feedback", low=0.0, high=1.0) for v in feedback]
        self.source = source
        self.wrapped = 0
        self._position = 0

    def __len__(self) -> int:
        return len(self.rewards)

    @property
    def reward_rate(self) -> float:
        """Share of rewarded hops in the replayed sequence."""
        return sum(self.rewards) / len(self.rewards)

    def next(self) -> tuple[bool, float]:
        """The next (reward, feedback) pair."""
        if self._position == len(self.rewards):
            self._position = 0
            self.wrapped += 1
        index = self._position
        self._position += 1
        return self.rewards[index], self.feedback[index]

    @classmethod
    def from_hops(cls, hops: Iterable[Any], *, source: str = "hop records") -> ShamReplay:
        """Build from an earlier session's hop records (``HopResult`` objects or their ``to_dict()``).

        Only the feedback phase counts: baseline hops never carried a reward.
        """
        rewards: list[bool] = []
        feedback: list[float] = []
        for hop in hops:
            record = hop if isinstance(hop, Mapping) else hop.to_dict()
            if record["phase"] != "feedback":
                continue
            rewards.append(bool(record["reward"]))
            feedback.append(float(record["feedback"]))
        return cls(rewards, feedback, source=source)

    @classmethod
    def from_recording(cls, path: str | Path, *, hop_seconds: float) -> ShamReplay:
        """Rebuild the reward sequence from an earlier session's EDF+ recording.

        The recording marks the feedback phase with a ``feedback`` annotation and each run of rewarded hops
        with a ``reward`` annotation (see ``training``); every hop of ``hop_seconds`` (rounded to whole samples
        of the recording, as the engine does) inside the feedback phase is rewarded if its end falls inside a
        reward run.
        """
        import mne

        hop_seconds = check_number(hop_seconds, "hop_seconds", low=0.0, low_inclusive=False, unit="s")
        raw = mne.io.read_raw(str(path), preload=False, verbose="error")
        sfreq = float(raw.info["sfreq"])
        # The engine's hop is a whole number of samples (0.248 s at 250 Hz for a nominal 0.25 s).
        hop_seconds = max(1, round(hop_seconds * sfreq)) / sfreq
        annotations = raw.annotations
        phases = [(a["onset"], a["duration"]) for a in annotations if a["description"] == "feedback"]
        if not phases:
            raise ValueError(
                f"{path} has no 'feedback' annotation; it is not a recording of a feedback session"
            )
        runs = [(a["onset"], a["onset"] + a["duration"]) for a in annotations if a["description"] == "reward"]
        rewards: list[bool] = []
        # EDF+ keeps onsets to 0.1 ms; half a hop of tolerance classifies every hop end without ambiguity.
        tolerance = hop_seconds / 2
        for onset, duration in phases:
            n_hops = round(duration / hop_seconds)
            for k in range(1, n_hops + 1):
                end = onset + k * hop_seconds
                rewards.append(any(start + tolerance < end <= stop + tolerance for start, stop in runs))
        return cls(rewards, source=str(path))
