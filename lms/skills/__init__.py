"""Skills (issue 6): the competency framework, its mappings to graded work, and learners'
skill profiles built from graded evidence. See docs/skills.md."""
