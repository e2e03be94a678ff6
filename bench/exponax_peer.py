"""The JAX peer of ``make bench``: exponax's ETDRK4 on the benchmark's Kuramoto-Sivashinsky batch.

Runs in the benchmark's own venv (``.venv-bench``: exponax, jax, jaxlib; no refsim,
no numba), as a subprocess of ``python -m bench``::

    .venv-bench/bin/python bench/exponax_peer.py JOB.json

``JOB.json`` names the initial conditions (an .npy file of shape (B, N)), the problem
(domain length, points), the step and the number of steps, the dealiasing fraction,
the repeats (at least ``repeats`` timed runs, more until ``min_seconds`` of them, at most
``max_repeats``) and where to write the final states (an .npy file, (B, N)). It prints one
JSON line: the versions, the exponax settings used, wall times of every timed run,
the process CPU time of those runs (so the parent can tell how many cores JAX used),
and the compile time of the first call (excluded from the timings).

Problem: ``u_t + (u^2/2)_x + u_xx + u_xxxx = 0`` is exponax's
``KuramotoSivashinskyConservative`` with its defaults ``convection_scale = 1``
(its nonlinear term is ``-b1 (1/2) (u^2)_x``), ``second_order_scale = fourth_order_scale
= 1`` (``L = -psi1 (ik)^2 - psi2 (ik)^4 = k^2 - k^4``), one channel in 1D, and
``order=4`` (its default is ETDRK2). exponax dealiases by zeroing every mode above
``dealiasing_fraction * (N/2) - 1`` before the inverse FFT and after the forward one;
the parent passes the fraction that keeps exactly the modes refsim keeps (``3 j < N``),
so both solve the same semi-discrete system. Its phi-coefficients come from a contour
integral (16 points, radius 1, real part): exact enough for this real symbol.

Two ways of stepping are timed, both ``jit(lax.scan(vmap(...)))`` over the whole batch,
float64 (``jax_enable_x64``), ``block_until_ready``:

* ``fourier``: ``stepper.step_fourier`` on the rfft coefficients, one transform in and
  one out for the whole run (8 FFTs per step, the minimum an ETDRK4 step needs);
* ``physical``: the documented API, ``stepper(u)`` per step (10 FFTs per step).

The parent uses the faster one.
"""

from __future__ import annotations

import json
import os
import sys
import time

import jax

jax.config.update("jax_enable_x64", True)

import exponax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402


def stepper(job: dict):
    return exponax.stepper.KuramotoSivashinskyConservative(
        1, job["length"], job["points"], job["dt"], order=4, dealiasing_fraction=job["dealiasing_fraction"])


def runners(job: dict):
    st = stepper(job)
    n, steps = job["points"], job["steps"]

    @jax.jit
    def fourier(u0):
        def body(v, _):
            return jax.vmap(st.step_fourier)(v), None

        v, _ = jax.lax.scan(body, jnp.fft.rfft(u0, axis=-1), None, length=steps)
        return jnp.fft.irfft(v, n, axis=-1)

    @jax.jit
    def physical(u0):
        def body(u, _):
            return jax.vmap(st)(u), None

        u, _ = jax.lax.scan(body, u0, None, length=steps)
        return u

    return {"fourier": fourier, "physical": physical}


def main(path: str) -> int:
    with open(path) as f:
        job = json.load(f)
    u0 = jnp.asarray(np.load(job["initial"])[:, None, :])  # (B, channels=1, N)
    result = {"jax": jax.__version__, "exponax": getattr(exponax, "__version__", "?"),
              "devices": [str(d) for d in jax.devices()], "cpus": os.cpu_count(),
              "settings": {"dt": job["dt"], "steps": job["steps"], "order": 4,
                           "dealiasing_fraction": job["dealiasing_fraction"], "num_circle_points": 16,
                           "circle_radius": 1.0},
              "modes": {}}
    finals = {}
    for name, run in runners(job).items():
        t0 = time.perf_counter()
        run(u0).block_until_ready()
        compile_seconds = time.perf_counter() - t0
        walls, cpus = [], []
        while len(walls) < job["repeats"] or (sum(walls) < job["min_seconds"] and len(walls) < job["max_repeats"]):
            c0, t0 = time.process_time(), time.perf_counter()
            out = run(u0).block_until_ready()
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        finals[name] = np.asarray(out)[:, 0, :]
        result["modes"][name] = {"first_call": compile_seconds, "walls": walls, "cpu": cpus}
    best = min(result["modes"], key=lambda k: float(np.median(result["modes"][k]["walls"])))
    result["best"] = best
    result["modes_agree"] = float(np.abs(finals["fourier"] - finals["physical"]).max())
    np.save(job["final"], finals[best])
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
