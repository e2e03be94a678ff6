"""The runs that verify one resolution, and the error parts they give (the schemes of
:mod:`refsim.solvers.verification`, whose module docstring states the mathematics):

* ``refined``: production (N, s), time twin (N, 2s), order run (N, s/2) or (N, 4s), space twin (2N, s);
* ``coarse``: production (N, s), (N, s/2), (N, s/4), space twin (2N, s/2) against (N, s/2).

Each function takes the :class:`~refsim.solvers.verification.Verifier` ``v`` whose grids, steppers and
work counter it uses.
"""

from __future__ import annotations

import numpy as np

from .certificate import _flat, relative_difference, spectral_tail, unresolved_amplitude

_ORDER_FLOOR = 1e-13  # differences below this are round-off: no order can be observed
# the coarse time estimate extrapolates one halving: only where the observed order is within this of theory
_ASYMPTOTIC_BAND = 0.5


def evaluate_refined(v, problems, res):
    """Production (N, s), time twin (N, 2s), order run (N, s/2) or (N, 4s), space twin (2N, s)."""
    n, s = res.num_points, res.steps_per_frame
    inputs = v._inputs(problems, n)
    production = v._solve(inputs, s)
    time_twin = v._solve(inputs, 2 * s)
    space_twin = v._run(problems, 2 * n, s)
    with np.errstate(all="ignore"):
        d_fine = relative_difference(_flat(production), _flat(time_twin))
        if s % 2 == 0:
            d_coarse = relative_difference(_flat(v._solve(inputs, s // 2)), _flat(production))
            ratio = d_coarse.max(axis=1) / d_fine.max(axis=1)
        else:
            d_finer = relative_difference(_flat(time_twin), _flat(v._solve(inputs, 4 * s)))
            ratio = d_fine.max(axis=1) / d_finer.max(axis=1)
        observed = np.where(d_fine.max(axis=1) > _ORDER_FLOOR, np.log2(ratio), np.nan)
        q = np.clip(np.nan_to_num(observed, nan=v.order), 1.0, v.order)
        e_time = d_fine * (2.0**q / (2.0**q - 1.0))[:, None]
        degree = inputs[1][0].degree if problems else 2
        e_space = space_error(v, production, space_twin, n, degree)
        tail = spectral_tail(production, v._grid(n), degree)
    return production, e_time, e_space, tail, observed, space_twin

def evaluate_coarse(v, problems, res):
    """Production (N, s), half-step run (N, s/2), quarter-step run (N, s/4), space twin (2N, s/2) compared
    with the half-step run; s is a multiple of 4."""
    n, s = res.num_points, res.steps_per_frame
    inputs = v._inputs(problems, n)
    production = v._solve(inputs, s)
    half = v._solve(inputs, s // 2)
    # chaos makes the error's ratio between step sizes erratic frame by frame: no extrapolation (docstring)
    quarter = None if v.chaotic else v._solve(inputs, s // 4)
    space_twin = v._run(problems, 2 * n, s // 2)
    with np.errstate(all="ignore"):
        d_half = relative_difference(_flat(half), _flat(production))
        d_quarter = np.full_like(d_half, np.nan) if quarter is None else relative_difference(
            _flat(quarter), _flat(half))
        measurable = d_half.max(axis=1) > _ORDER_FLOOR
        observed = np.where(measurable, np.log2(d_quarter.max(axis=1) / d_half.max(axis=1)), np.nan)
        q_row = np.clip(np.nan_to_num(observed, nan=v.order), 1.0, v.order)
        # a frame that converges more slowly than the whole trajectory gets its own, smaller order
        q_frame = np.where(d_half > _ORDER_FLOOR, np.log2(d_quarter / d_half), v.order)
        q = np.minimum(q_row[:, None], np.clip(np.nan_to_num(q_frame, nan=1.0), 1.0, v.order))
        e_time = d_half / (2.0**q - 1.0)
        near = lambda order: np.abs(np.nan_to_num(order, nan=v.order) - v.order) <= _ASYMPTOTIC_BAND
        asymptotic = near(observed) & (near(q_frame) | (d_half <= _ORDER_FLOOR)).all(axis=1) & (quarter is not None)
        degree = inputs[1][0].degree if problems else 2
        e_space = space_error(v, half, space_twin, n, degree)
        tail = spectral_tail(production, v._grid(n), degree)
    runs = [half, space_twin] + ([] if quarter is None else [quarter])
    coarse_finite = np.logical_and.reduce([np.isfinite(_flat(r)).all(axis=(1, 2)) for r in runs])
    return (production, e_time, e_space, tail, observed, space_twin), d_half, asymptotic, coarse_finite

def space_error(v, frames, space_twin, n, degree):
    """``|u_N - u_2N|`` on the N points plus the twin's unresolved amplitude, per frame; ``frames`` is the
    run on N points with the twin's step."""
    e_space = relative_difference(_flat(frames), _flat(v.output_grid.restrict(space_twin, 2)))
    return e_space + unresolved_amplitude(space_twin, v._grid(2 * n), degree)
