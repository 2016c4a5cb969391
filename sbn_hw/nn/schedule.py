"""Schedules for the sharpness nu of tanh(nu*x)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sbn_hw import SbnHwError

SCHEDULE_KINDS = ("exp", "linear", "step")


@dataclass(frozen=True)
class NuSchedule:
    """nu from `nu0` at step 0 to `nu_max` at `total_steps` (and held there after).

    exp: geometric growth (the paper's default); linear: straight line; step: multiply by
    `step_factor` every `step_every` steps, capped at nu_max.
    """

    nu0: float = 1.0
    nu_max: float = 1000.0
    total_steps: int = 1000
    kind: str = "exp"
    step_every: int = 100
    step_factor: float = 10.0

    def __post_init__(self):
        if self.kind not in SCHEDULE_KINDS:
            raise SbnHwError(f"unknown nu schedule '{self.kind}': choose one of {', '.join(SCHEDULE_KINDS)}")
        if not (0 < self.nu0 <= self.nu_max):
            raise SbnHwError(f"nu schedule needs 0 < nu0 <= nu_max, got nu0={self.nu0}, nu_max={self.nu_max}")
        if self.total_steps < 1:
            raise SbnHwError("nu schedule needs total_steps >= 1")

    def value(self, step: int) -> float:
        t = min(max(step, 0), self.total_steps) / self.total_steps
        if self.kind == "exp":
            return float(self.nu0 * math.exp(t * math.log(self.nu_max / self.nu0)))
        if self.kind == "linear":
            return float(self.nu0 + t * (self.nu_max - self.nu0))
        return float(min(self.nu_max, self.nu0 * self.step_factor ** (min(step, self.total_steps) // self.step_every)))
