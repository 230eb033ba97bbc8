"""Sandboxed, nbgrader-compatible autograder.

Public entry points: :mod:`autograder.contract` (Job/Result types),
:func:`autograder.grading.grade` (the one grading function) and ``python -m autograder``.
This package never imports the LMS (Flask, its database).
"""

from autograder.contract import CellResult, Job, Limits, Result

__all__ = ["CellResult", "Job", "Limits", "Result"]
