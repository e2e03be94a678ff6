"""Fixed Numba signatures shared by every system function and every integrator kernel.

A system is a set of first-class functions compiled with exactly these
signatures (``@njit(FIELD, cache=True)``). The kernels declare their function
arguments as ``types.FunctionType(...)`` of the same signatures, so each kernel
compiles once, is cached on disk, and is never re-specialised per system.

State convention: ``y = concatenate(q, p)`` (length ``d``, each half ``d/2``) for
Hamiltonian systems; for other systems ``y`` is just the state.
"""

from numba import types

VEC = types.float64[::1]
FIELD = types.void(VEC, VEC, VEC)
"""``field(y, params, out)``: ``out[:] = f(y)``."""
ENERGY = types.float64(VEC, VEC)
"""``energy(y, params) -> H(y)``."""
HALF = types.void(VEC, VEC, VEC)
"""For separable ``H(q, p) = T(p) + V(q)``: ``force(q, params, out) = -dV/dq`` and
``velocity(p, params, out) = dT/dp``."""

FIELD_FUNCTION = types.FunctionType(FIELD)
HALF_FUNCTION = types.FunctionType(HALF)
MATRIX = types.float64[:, ::1]
FRAMES = types.float64[:, :, ::1]
COUNTS = types.int64[::1]
