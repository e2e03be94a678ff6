"""The on-disk format of a refsim store and its version.

Format 1 (one icechunk repository per dataset):

* each finished build is a commit tagged with its version id; branch ``main``
  points at the newest finished version; ``build-<version>`` branches hold
  builds in progress (one commit per finished partition);
* the root group holds dims ``(sample, time, x)``: the state ``u``, the error
  estimate and its parts, every invariant and its drift, per-sample status,
  internal resolution, parameters and seed; root attributes hold the canonical
  recipe, its hash, the solver, the certificate summary, the rejections and the
  manifest of content checksums of every chunk.

A steady store (attribute ``kind`` = ``steady``, e.g. Darcy flow) has the same repository layout with
dims ``(sample, y, x)`` and no time axis: the input field, the solution, the per-sample error estimate,
solve residuals, status, parameters and seed (``refsim.pipeline.storage_steady``).

Format 2 (this version) adds to format 1: steady stores; the per-sample ``verification`` code of a
time-dependent PDE store (which runs verified it, ``refsim.solvers.verification.VERIFICATIONS``); and
``solver.memory_mib`` in the canonical recipe when a recipe sets it. A format-1 store reads the same way
(it has no ``verification`` variable: every certificate in it is the ``refined`` scheme's).
"""

FORMAT_VERSION = 2
