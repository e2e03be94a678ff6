"""Sanity gates and invariant expectations applied to every certified trajectory.

A gate returns None when the trajectory passes and a sentence saying what failed
otherwise; the pipeline turns that into a recorded rejection.
"""

from __future__ import annotations

import numpy as np

GATES = ("duplicate_frames", "constant_frames", "admissible_range")


def duplicate_frames(frames: np.ndarray) -> str | None:
    """Two consecutive frames that are bitwise equal (a frame stored twice, or a stalled solver)."""
    flat = frames.reshape(frames.shape[0], -1)
    same = np.flatnonzero((flat[1:] == flat[:-1]).all(axis=-1))
    return f"frames {same[0]} and {same[0] + 1} are identical" if same.size else None


def constant_frames(frames: np.ndarray) -> str | None:
    """A frame with one value everywhere (switch off for spatially uniform recipes)."""
    values = frames.reshape(frames.shape[0], -1)
    flat = np.flatnonzero((values == values[:, :1]).all(axis=-1))
    return f"frame {flat[0]} is spatially constant" if flat.size else None


def admissible_range(frames: np.ndarray, bounds: tuple[float, float] | None) -> str | None:
    """Values outside the range the equation admits (e.g. a maximum principle).

    The bounds come from the continuous initial condition, which the grid samples
    only approximately, so 1% of the initial range is allowed as slack: the gate
    catches instabilities and sign errors, not round-off.
    """
    if bounds is None:
        return None
    lo, hi = bounds
    slack = 0.01 * max(hi - lo, abs(hi), abs(lo), np.finfo(float).tiny)
    below, above = frames.min(), frames.max()
    if below < lo - slack or above > hi + slack:
        return f"values in [{below:.6g}, {above:.6g}] leave the admissible range [{lo:.6g}, {hi:.6g}]"
    return None


def invariant_expectation(name: str, kind: str, degree: int, drift: np.ndarray, estimate: np.ndarray,
                          steps: int) -> str | None:
    """Check a drift against what Runge-Kutta and exponential methods guarantee.

    * Linear invariants (degree 1) are conserved to round-off: the allowed drift is
      ``64 eps sqrt(steps)`` (random-walk accumulation of rounding).
    * Other conserved invariants drift by the solution error to first order: the
      drift may not exceed ``10 degree`` times the error estimate, or round-off.
    * Non-increasing functionals may rise by no more than that same allowance.
    """
    eps = np.finfo(float).eps
    floor = 64 * eps * np.sqrt(max(steps, 1))
    if kind == "conserved" and degree == 1:
        worst = np.abs(drift).max()
        return None if worst <= floor else f"linear invariant {name} drifted by {worst:.2e} (> round-off {floor:.1e})"
    allowance = 10 * degree * np.maximum.accumulate(estimate) + floor
    if kind == "conserved":
        excess = np.abs(drift) - allowance
    else:
        excess = np.concatenate([[0.0], np.diff(drift)]) - allowance
    if (excess > 0).any():
        i = int(np.argmax(excess))
        return f"{kind} invariant {name} changed by {drift[i]:.2e} at frame {i} (allowed {allowance[i]:.1e})"
    return None
