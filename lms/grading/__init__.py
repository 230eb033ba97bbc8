"""Submissions and grading: submit, dispatch, record results, sweep (issue 4)."""
