"""Lorenz-63 system."""

from __future__ import annotations

from numba import njit

from ...solvers.ode.signatures import FIELD
from ..base import Parameter
from .base import Layout, System


@njit(FIELD, cache=True)
def _field(y, c, out):
    out[0] = c[0] * (y[1] - y[0])
    out[1] = y[0] * (c[1] - y[2]) - y[1]
    out[2] = y[0] * y[1] - c[2] * y[2]


class Lorenz63(System):
    r"""Lorenz-63 system.

    .. math:: \dot x = \sigma (y - x),\quad \dot y = x(\rho - z) - y,\quad \dot z = x y - \beta z

    Dissipative and chaotic (largest Lyapunov exponent about 0.906 for the classic
    sigma = 10, rho = 28, beta = 8/3): errors grow about 1e4-fold per 10 time units,
    so every trajectory has a trust horizon (reference-cases V23). No invariants.
    """

    name = "lorenz63"
    title = "Lorenz-63 system"
    pde = "x' = sigma (y - x), y' = x (rho - z) - y, z' = x y - beta z"
    parameters = (
        Parameter("sigma", "sigma", "Prandtl number", default=10.0),
        Parameter("rho", "rho", "Rayleigh number", default=28.0),
        Parameter("beta", "beta", "geometric factor", default=8.0 / 3.0),
    )
    references = ("Lorenz, J. Atmos. Sci. 20 (1963) 130, doi:10.1175/1520-0469(1963)020<0130:DNF>2.0.CO;2",)
    hamiltonian = False
    separable = False
    chaotic = True

    def layout(self):
        return Layout("state", names=("x", "y", "z"))

    def functions(self):
        return {"field": _field}
