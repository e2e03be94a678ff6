"""Checks every registered equation and stepper gets without new test code."""

import ast
from pathlib import Path

import numpy as np
import pytest
from conftest import grid_of

from refsim.generators import EQUATIONS, FAMILIES
from refsim.solvers.exponential import STEPPERS
from refsim.solvers.semilinear import solve_frames
from refsim.solvers.spectral_system import SystemTerms
from refsim.solvers.verification import Resolution, TrajectoryProblem, Verifier

PACKAGE = Path(__file__).resolve().parents[1] / "refsim"
PDES = sorted(n for n, c in EQUATIONS.items() if c.kind == "pde")


def _sample(name, seed=0):
    eq = EQUATIONS[name]()
    grid = grid_of(eq, 32 if getattr(eq, "dimension", 1) == 2 else 64, 2 * np.pi)
    ic = FAMILIES["fourier"](modes=4, amplitude=0.3).sample(np.random.default_rng(seed), eq, grid.domain_length, 0.0)
    return eq, grid, ic


@pytest.mark.parametrize("method", sorted(STEPPERS))
@pytest.mark.parametrize("name", PDES)
def test_equation_contract(name, method):
    eq, grid, ic = _sample(name)
    terms = eq.terms(grid)
    if isinstance(terms, SystemTerms):
        state = eq.state_shape(grid)
        assert terms.symbol.ndim == 1 and terms.coef.shape[1] == terms.symbol.size
        assert terms.forward(grid.sample(ic)).shape == terms.symbol.shape
        dtype = np.complex128 if terms.complex_valued else np.float64
    else:
        state, dtype = grid.shape, np.float64
        assert terms.symbol.shape == terms.multiplier.shape == (grid.num_modes,)
        assert terms.multiplier[-1] == 0  # dealiasing removes the Nyquist mode at least
    frames = solve_frames(grid, [terms], grid.sample(ic)[None], 0.05, 5, 20, method)
    assert frames.shape == (1, 5, *state) and frames.dtype == dtype and np.isfinite(frames).all()
    again = solve_frames(grid, [eq.terms(grid)], grid.sample(_sample(name)[2])[None], 0.05, 5, 20, method)
    np.testing.assert_array_equal(frames, again)  # seeded reproducibility, bit for bit
    for inv in eq.invariants():
        values = inv.evaluate(frames[0], grid)
        scale = grid.volume * np.abs(frames[0, 0]).max() ** inv.degree
        change = np.diff(values) / max(abs(values[0]), scale)
        if inv.kind == "conserved" and inv.degree == 1:
            assert np.abs(change).max() < 1e-14, (inv.name, change)  # linear: round-off for RK/ETD
        elif inv.kind == "conserved":
            assert np.abs(change).max() < 1e-6, (inv.name, change)
        else:
            assert change.max() < 1e-14, (inv.name, change)  # non-increasing


@pytest.mark.parametrize("name", PDES)
def test_batch_rows_are_independent_bitwise(name):
    """A trajectory's result does not depend on which others share its batch."""
    eq, grid, _ = _sample(name)
    ics = [FAMILIES["fourier"](modes=4, amplitude=0.3).sample(np.random.default_rng(s), eq, 2 * np.pi, 0.0)
           for s in range(3)]
    tolerance = 1e-6 if getattr(eq, "dimension", 1) == 2 else 1e-8  # independence, not accuracy, is tested
    verifier = Verifier(grid, 0.1, 3, tolerance)
    problems = [TrajectoryProblem(eq.terms, ic) for ic in ics]
    together = verifier.certify(problems, Resolution(64, 1))
    alone = verifier.certify(problems[1:2], Resolution(64, 1))
    np.testing.assert_array_equal(together[1].frames, alone[0].frames)
    np.testing.assert_array_equal(together[1].error_estimate, alone[0].error_estimate)


def test_imports_flow_one_way():
    """cli (and its commands) -> schemas -> pipeline, catalog -> generators, solvers; never upwards."""
    layer = {"cli": 0, "commands": 0, "schemas": 1, "pipeline": 2, "catalog": 2, "generators": 3, "solvers": 4}
    forbidden_everywhere_below = {"pydantic", "click"}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).parts
        here = rel[0].removesuffix(".py")
        if here not in layer:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [(node.module or "", node.level)]
            elif isinstance(node, ast.Import):
                names = [(a.name, 0) for a in node.names]
            else:
                continue
            for module, level in names:
                if level:
                    parts = list(rel[:-1])[: len(rel) - level] + (module.split(".") if module else [])
                    target = parts[0] if parts else ""
                elif module.startswith("refsim."):
                    target = module.split(".")[1]
                else:
                    target = module.split(".")[0]
                    if layer[here] >= 2 and target in forbidden_everywhere_below:
                        raise AssertionError(f"{path}: {here} imports {target}")
                    continue
                if target in layer and target != here:
                    assert layer[target] > layer[here] or {here, target} == {"generators", "solvers"} and \
                        here == "generators" or (here, target) == ("cli", "commands"), \
                        f"{path}: {here} imports {target}"
