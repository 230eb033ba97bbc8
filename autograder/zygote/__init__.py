"""Fork-per-job executor: a pristine pre-imported zygote, a sandboxed child per job.

Modules: :mod:`.client` (the executor, grader side), :mod:`.session` (drives one job),
:mod:`.server` (the zygote process), :mod:`.runner` (cell loop in the child),
:mod:`.integrity` (pristine-state checks and cheat flags), :mod:`.protocol` (framing).
"""
