"""Structure-preserving and high-order ODE integrators, compiled with Numba, batched.

A system is given as Numba first-class functions with the fixed signatures of
``signatures.py`` (``field`` always; ``force``/``velocity`` for separable
Hamiltonians; ``energy`` optional). Every integrator kernel has an explicit
signature, so it compiles once (cached on disk) for all systems.

Methods (``ODE_METHODS``):

====================  =====  ========  =========  ===============================  ==========
name                  order  kind      requires   conserves (to round-off)         symplectic
====================  =====  ========  =========  ===============================  ==========
verlet                2      fixed     separable  linear, angular momentum         yes
composition6          6      fixed     separable  linear, angular momentum         yes
composition8          8      fixed     separable  linear, angular momentum         yes
gauss4, gauss6, 8     4,6,8  fixed     field      linear, quadratic                yes
avf, avf4             2, 4   fixed     field      linear, energy (quadrature-exact) no
dop853                8      adaptive  field      linear                           no
====================  =====  ========  =========  ===============================  ==========
"""

from __future__ import annotations

import numpy as np

from .avf import AVF_METHODS
from .base import OdeMethod, OdeResult
from .dop853 import DormandPrince853
from .gauss_legendre import GAUSS_METHODS
from .splitting import SPLITTING_METHODS

ODE_METHODS: dict[str, OdeMethod] = {
    method.name: method for method in (*SPLITTING_METHODS, *GAUSS_METHODS, *AVF_METHODS, DormandPrince853())
}

__all__ = ["ODE_METHODS", "OdeMethod", "OdeResult", "integrate"]


def integrate(method: str, functions: dict, y0: np.ndarray, params: np.ndarray, frame_interval: float,
              num_frames: int, steps_per_frame: int | None = None, rtol: float | None = None,
              atol: float | None = None) -> OdeResult:
    """Integrate a batch of trajectories and return frames every ``frame_interval``.

    Parameters
    ----------
    method : str
        A key of ``ODE_METHODS``.
    functions : dict
        The system's Numba functions: ``"field"``; ``"force"`` and ``"velocity"``
        for separable systems; ``"energy"`` optional (not used for stepping).
    y0 : ndarray, shape (B, d)
        Initial states, ``y = (q, p)`` for Hamiltonian systems.
    params : ndarray, shape (B, P)
        Per-trajectory system parameters.
    frame_interval, num_frames
        Frame ``j`` is at ``t = j * frame_interval``; frame 0 is ``y0`` exactly.
    steps_per_frame : int, optional
        Fixed-step methods: step ``h = frame_interval / steps_per_frame``. For
        ``dop853`` it forces constant steps without error control.
    rtol, atol : float, optional
        Tolerances of ``dop853`` (defaults 1e-6, 1e-9); frames from its dense output.
    """
    if method not in ODE_METHODS:
        raise ValueError(f"unknown ODE method {method!r}; known: {sorted(ODE_METHODS)}")
    return ODE_METHODS[method].solve(functions, y0, params, frame_interval, num_frames,
                                     steps_per_frame=steps_per_frame, rtol=rtol, atol=atol)
