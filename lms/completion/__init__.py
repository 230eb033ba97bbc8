"""Completion (issue 6): progress figures, completion policies, live sessions and attendance,
qualification, instructor-confirmed completions of courses and programmes.

``progress.progress_for`` is the set-based figures contract other domains (reporting) use;
``signals.completion_confirmed`` is sent after a completion is confirmed (credentials)."""
