"""The ``coarse`` verification scheme: calibrated at fixed resolutions, pre-asymptotic ones included.

Each resolution is evaluated directly (``Verifier.evaluate``, no refinement loop), so a coarse, not yet
asymptotic resolution is checked as well as a fine one: the estimate (time + space parts) against the true
error of the production run, frame by frame, next to the ``refined`` scheme's.
"""

import numpy as np
import pytest
from conftest import grid_of, relative_error

from refsim.generators import EQUATIONS, FAMILIES
from refsim.solvers.grid import FourierGrid
from refsim.solvers.verification import Resolution, TrajectoryProblem, Verifier, relative_difference

MEASURABLE = 1e-12  # below this the exact solution's own evaluation error is comparable
EXACT = [
    # (equation, case, resolutions (N, s), schemes expected): the first ones in time and space are
    # pre-asymptotic; KdV's coarse steps are far enough out that the time twin is needed
    ("kdv", "soliton", [(128, 4), (128, 8), (128, 16), (256, 4), (256, 8), (256, 16), (256, 32), (256, 64)],
     {"coarse", "coarse+twin"}),
    ("burgers", "cole-hopf", [(32, 4), (64, 4), (64, 8), (64, 16), (128, 4), (128, 16), (128, 64)], {"coarse"}),
]


def _exact_case(name, case_name):
    cls = EQUATIONS[name]
    case = next(c for c in cls.exact_cases() if c.name == case_name)
    return cls(**case.parameters), case


@pytest.mark.parametrize("name,case_name,resolutions,expected", EXACT, ids=[e[0] for e in EXACT])
def test_coarse_estimate_is_calibrated_against_exact_solutions(name, case_name, resolutions, expected):
    eq, case = _exact_case(name, case_name)
    grid = grid_of(eq, case.points, case.length, case.origin)
    ic = case.initial(eq, case.length, case.origin)
    times = np.linspace(0, case.end, case.frames)
    schemes = set()
    for n, s in resolutions:
        verifiers = {k: Verifier(grid, times[1], case.frames, 1e-6, scheme=k) for k in ("coarse", "refined")}
        (prod, e_time, e_space, *_, how), = zip(*verifiers["coarse"].evaluate([TrajectoryProblem(eq.terms, ic)],
                                                                               Resolution(n, s)))
        true = relative_error(prod, eq.exact_solution(ic, grid.resized(n).x, times))
        estimate, measurable = e_time + e_space, true > MEASURABLE
        ratio = estimate[measurable] / true[measurable]
        assert np.all(ratio >= 0.9) and np.all(ratio <= 30), (n, s, how, ratio)
        # no worse calibrated than the refined scheme at the same resolution
        refined = verifiers["refined"].evaluate([TrajectoryProblem(eq.terms, ic)], Resolution(n, s))
        assert ratio.min() >= 0.9 * ((refined[1][0] + refined[2][0])[measurable] / true[measurable]).min()
        if how == "coarse":  # extrapolated from the coarse runs alone: half the work or less
            assert verifiers["coarse"].work <= 0.55 * verifiers["refined"].work
        schemes.add(how)
    assert schemes == expected, schemes  # the extrapolation (and for KdV its guard) was exercised


def test_chaotic_time_estimate_uses_the_time_twin_and_bounds_a_fine_reference():
    """Kuramoto-Sivashinsky (L = 32 pi, N = 128, semi-discrete truth) to T = 20 against the same system with 32x
    the finest step: the estimate at every frame is >= 0.8x the true error, from a pre-asymptotic step
    (error ~1e-2) to a fine one."""
    eq = EQUATIONS["kuramoto_sivashinsky"]()
    family = FAMILIES["fourier"](modes=6, amplitude=1.0)
    problems = [TrajectoryProblem(eq.terms, family.sample(np.random.default_rng(s), eq, 32 * np.pi, 0.0))
                for s in range(4)]
    grid = FourierGrid(128, 32 * np.pi)
    verifier = Verifier(grid, 2.0, 11, 1e-6, chaotic=True, refine_space=False)
    reference = verifier._run(problems, 128, 2048)
    for s in (8, 16, 32, 64):
        production, e_time, *_, how = verifier.evaluate(problems, Resolution(128, s))
        assert set(how) == {"coarse+twin"}
        for row in range(len(problems)):
            true = relative_difference(production[row], reference[row])
            measurable = true > MEASURABLE
            ratio = e_time[row][measurable] / true[measurable]
            assert np.all(ratio >= 0.8) and np.all(ratio <= 30), (s, row, ratio)


def test_non_finite_coarse_run_falls_back_to_the_refined_scheme(monkeypatch):
    """A coarse step that blows up where the production does not: that trajectory is verified by the refined
    scheme, the others of the batch keep theirs."""
    eq, case = _exact_case("burgers", "cole-hopf")
    grid = grid_of(eq, case.points, case.length, case.origin)
    ic = case.initial(eq, case.length, case.origin)
    verifier = Verifier(grid, case.end / (case.frames - 1), case.frames, 1e-6)
    solve = Verifier._solve

    def unstable_quarter_step(self, inputs, steps):
        frames = solve(self, inputs, steps)
        if steps == 4 and len(inputs[1]) == 2:
            frames[1, -1] = np.nan  # the second trajectory's quarter-step run
        return frames

    monkeypatch.setattr(Verifier, "_solve", unstable_quarter_step)
    problems = [TrajectoryProblem(eq.terms, ic)] * 2
    parts = verifier.evaluate(problems, Resolution(128, 16))
    assert parts[-1] == ["coarse", "refined"]
    assert np.isfinite(parts[1]).all() and np.isfinite(parts[2]).all()
    refined = Verifier(grid, case.end / (case.frames - 1), case.frames, 1e-6, scheme="refined")
    monkeypatch.setattr(Verifier, "_solve", solve)
    expected = refined.evaluate(problems[:1], Resolution(128, 16))
    np.testing.assert_array_equal(parts[1][1], expected[1][0])
    np.testing.assert_array_equal(parts[2][1], expected[2][0])


def test_scheme_is_recorded_and_validated():
    eq, case = _exact_case("burgers", "cole-hopf")
    grid = grid_of(eq, case.points, case.length, case.origin)
    ic = case.initial(eq, case.length, case.origin)
    for scheme in ("coarse", "refined"):
        verifier = Verifier(grid, case.end / (case.frames - 1), case.frames, 1e-6, scheme=scheme)
        (r,) = verifier.certify([TrajectoryProblem(eq.terms, ic)], Resolution(case.points, 4))
        assert r.status == 0 and r.verification == scheme
    with pytest.raises(ValueError, match="scheme"):
        Verifier(grid, 0.1, 3, 1e-6, scheme="cheap")


def test_extrapolation_alone_would_be_optimistic_on_chaos():
    """Why chaotic equations always run the time twin: on KS to T = 30 (8 trajectories), trajectories whose
    observed orders pass the asymptotic check still have frames whose extrapolated time error is well below the
    true one, while the chaotic path (time twin) bounds every frame of the same runs to within 0.9x."""
    eq = EQUATIONS["kuramoto_sivashinsky"]()
    family = FAMILIES["fourier"](modes=6, amplitude=1.0)
    problems = [TrajectoryProblem(eq.terms, family.sample(np.random.default_rng(s), eq, 32 * np.pi, 0.0))
                for s in range(8)]
    grid = FourierGrid(128, 32 * np.pi)
    reference = Verifier(grid, 1.0, 31, 1e-6)._run(problems, 128, 1024)
    worst = {}
    for chaotic in (False, True):
        verifier = Verifier(grid, 1.0, 31, 1e-6, chaotic=chaotic, refine_space=False)
        for s in (8, 16):
            production, e_time, *_, how = verifier.evaluate(problems, Resolution(128, s))
            for row in range(len(problems)):
                true = relative_difference(production[row], reference[row])
                ratio = (e_time[row][true > MEASURABLE] / true[true > MEASURABLE]).min()
                worst[how[row]] = min(worst.get(how[row], np.inf), ratio)
    assert worst["coarse"] < 0.8, worst  # extrapolated, order check passed, yet optimistic
    assert worst["coarse+twin"] >= 0.9, worst
