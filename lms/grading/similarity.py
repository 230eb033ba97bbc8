"""Similarity flags: pairs of submissions whose answer code is suspiciously alike.

For a human to judge — never a penalty. The code of the learner's answer cells (nbgrader
``solution`` code cells) is normalised: parsed with ``ast``, identifiers (variables,
arguments, functions, classes) renamed to one placeholder, string literals to another,
docstrings dropped, and unparsed (so comments and layout vanish). Its tokens are cut into
k-grams, hashed and winnowed into fingerprints (Schleimer et al., the MOSS method).
Fingerprints of the released notebook's answer cells (the starter code everyone gets) are
ignored. An inverted index from fingerprint to submissions yields candidate pairs, so the
cost grows with shared fingerprints, not with the square of the submissions; fingerprints
held by more than 10% of the submissions (and more than 10) are common code and skipped. A pair's
score is the Jaccard similarity of the two fingerprint sets.

Compared: each learner's latest submission of the assignment name in the course, across
every version and cohort (so a copy of an earlier cohort's work is found too); a learner is
never paired with themself.
"""

from __future__ import annotations

import ast
import builtins
import io
import json
import keyword
import tokenize
import zlib
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.accounts.models import User
from lms.catalog.models import Course, Enrollment
from lms.catalog.services import can_manage_course
from lms.db import db
from lms.errors import Forbidden
from lms.grading.models import Submission
from lms.publishing.models import Assignment
from lms.publishing.services import current_assignment
from lms.storage import BlobStore, blob_store

K_GRAM = 5
WINDOW = 4
MIN_FINGERPRINTS = 4
_BUILTINS = frozenset(dir(builtins))
_SKIP = {tokenize.ENCODING, tokenize.ENDMARKER, tokenize.NL, tokenize.COMMENT}


def answer_code(notebook: bytes | Mapping) -> str:
    """The source of the notebook's answer code cells (nbgrader ``solution`` code cells),
    joined by blank lines; '' for a notebook that is not JSON."""
    if not isinstance(notebook, Mapping):
        try:
            notebook = json.loads(notebook)
        except (ValueError, UnicodeDecodeError):
            return ""
    parts = []
    for cell in notebook.get("cells", []) if isinstance(notebook, Mapping) else []:
        meta = cell.get("metadata", {}).get("nbgrader", {}) if isinstance(cell, Mapping) else {}
        if cell.get("cell_type") == "code" and meta.get("solution"):
            source = cell.get("source", "")
            parts.append("".join(source) if isinstance(source, list) else str(source))
    return "\n\n".join(parts)


class _Anonymise(ast.NodeTransformer):
    """Rename every identifier the learner chose to ``V`` and every string to ``S``; drop
    docstrings. Builtins and attribute names (``np.mean``) stay: they carry meaning."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return ast.copy_location(ast.Name("V" if node.id not in _BUILTINS else node.id), node)

    def visit_arg(self, node: ast.arg) -> ast.AST:
        node.arg, node.annotation = "V", None
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        return ast.Constant("S") if isinstance(node.value, str) else node

    def _definition(self, node: ast.AST) -> ast.AST:
        body = node.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            node.body = body[1:] or [ast.Pass()]
        node.name = "V"
        return self.generic_visit(node)

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _definition


def _parsable(code: str) -> str:
    # notebook magics and shell escapes are not Python
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines()
    )


def normalise(code: str) -> list[str]:
    """The tokens of ``code`` with names, strings, comments, docstrings and layout made
    uniform. Code that does not parse is tokenised as far as it goes, comments dropped."""
    renamed = True
    try:
        tree = _Anonymise().visit(ast.parse(_parsable(code)))
        code = ast.unparse(ast.fix_missing_locations(tree))
    except (SyntaxError, ValueError, RecursionError):
        renamed = False  # no tree: rename every name token instead
    tokens = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type in _SKIP:
                continue
            if tok.type == tokenize.NAME and not renamed and not keyword.iskeyword(tok.string):
                tokens.append(tok.string if tok.string in _BUILTINS else "V")
            elif tok.type == tokenize.STRING:
                tokens.append("S")
            else:
                tokens.append(tok.string or tokenize.tok_name[tok.type])
    except (tokenize.TokenError, SyntaxError):
        pass  # unterminated code: keep the tokens read so far
    return tokens


def fingerprints(tokens: list[str], k: int = K_GRAM, window: int = WINDOW) -> set[int]:
    """Winnowed hashes of the token k-grams: the minimum of every ``window`` consecutive
    k-gram hashes (every shared run of ``k + window - 1`` tokens yields a shared one)."""
    hashes = [
        zlib.crc32("\x1f".join(tokens[i : i + k]).encode()) for i in range(len(tokens) - k + 1)
    ]
    if len(hashes) <= window:
        return set(hashes)
    return {min(hashes[i : i + window]) for i in range(len(hashes) - window + 1)}


def similar_pairs(
    prints: Mapping[Hashable, set[int]], threshold: float, max_share: float = 0.1
) -> list[tuple[Hashable, Hashable, float]]:
    """Pairs of keys whose fingerprint sets have Jaccard similarity ≥ ``threshold``, best
    first. Uses an inverted index: only pairs sharing a fingerprint are counted; a
    fingerprint held by more than ``max_share`` of the documents (and more than 10, like
    MOSS's ``-m``) is common code and counted on neither side."""
    index: dict[int, list[Hashable]] = defaultdict(list)
    for key, fps in prints.items():
        for fp in fps:
            index[fp].append(key)
    common = max(10, int(max_share * len(prints)))
    size = {key: len(fps) for key, fps in prints.items()}
    shared: Counter[tuple[Hashable, Hashable]] = Counter()
    for holders in index.values():
        if len(holders) > common:  # boilerplate: counted on neither side
            for key in holders:
                size[key] -= 1
            continue
        for i, a in enumerate(holders):
            for b in holders[i + 1 :]:
                shared[(a, b)] += 1
    pairs = []
    for (a, b), count in shared.items():
        score = count / (size[a] + size[b] - count)
        if score >= threshold:
            pairs.append((a, b, round(score, 3)))
    return sorted(pairs, key=lambda p: -p[2])


@dataclass
class Pair:
    """Two submissions of different learners with similar answer code."""

    first: Submission
    second: Submission
    score: float
    first_code: str
    second_code: str
    first_cohort: str
    second_cohort: str


def _latest_per_learner(course: Course, assignment_name: str) -> list[Submission]:
    rows = db.session.scalars(
        select(Submission)
        .where(Submission.course_id == course.id, Submission.assignment_name == assignment_name)
        .order_by(Submission.user_id, Submission.attempt)
    )
    return list({s.user_id: s for s in rows}.values())


def _starter_prints(assignments: Iterable[Assignment]) -> set[int]:
    store, prints = blob_store(), set()
    for assignment in assignments:
        tree = store.tree_path(assignment.release_tree)
        for name in assignment.notebooks:
            path = tree / f"{name}.ipynb"
            if path.exists():
                prints |= fingerprints(normalise(answer_code(path.read_bytes())))
    return prints


_ANALYSED: dict[str, tuple[str, frozenset[int]]] = {}


def _analyse(sha: str, store: BlobStore) -> tuple[str, frozenset[int]]:
    # blobs are content-addressed, so a notebook's answer code and fingerprints never
    # change: keep them for the next page view (bounded, oldest dropped first)
    if sha not in _ANALYSED:
        text = answer_code(store.get(sha))
        if len(_ANALYSED) >= 5000:
            _ANALYSED.pop(next(iter(_ANALYSED)))
        _ANALYSED[sha] = (text, frozenset(fingerprints(normalise(text))))
    return _ANALYSED[sha]


def _cohorts(course: Course) -> dict[int, str]:
    rows = db.session.scalars(select(Enrollment).where(Enrollment.course_id == course.id))
    return {e.user_id: e.cohort.name if e.cohort else "" for e in rows}


def find_similar(
    actor: User | None, course: Course, assignment_name: str, threshold: float = 0.7
) -> list[Pair]:
    """Pairs of learners whose latest submissions of ``assignment_name`` (any version,
    any cohort) have answer code with similarity ≥ ``threshold`` (0..1), best first.

    ``Forbidden`` unless ``actor`` manages the course (None = the trusted CLI);
    ``NotFound`` when the current version has no such assignment; ``ValueError`` for a
    threshold outside 0..1. Read only.
    """
    if actor is not None and not can_manage_course(actor, course):
        raise Forbidden("forbidden", _l("You are not allowed to do this."))
    if not 0 < threshold <= 1:
        raise ValueError("threshold must lie in (0, 1]")
    current_assignment(course, assignment_name)
    submissions = _latest_per_learner(course, assignment_name)
    starter = _starter_prints({s.assignment for s in submissions})
    store = blob_store()
    analysed = {s.id: _analyse(s.content_sha, store) for s in submissions}
    code = {sid: text for sid, (text, _fps) in analysed.items()}
    prints = {sid: fps - starter for sid, (_text, fps) in analysed.items()}
    prints = {sid: fps for sid, fps in prints.items() if len(fps) >= MIN_FINGERPRINTS}
    by_id, cohorts = {s.id: s for s in submissions}, _cohorts(course)
    return [
        Pair(
            by_id[a],
            by_id[b],
            score,
            code[a],
            code[b],
            cohorts.get(by_id[a].user_id, ""),
            cohorts.get(by_id[b].user_id, ""),
        )
        for a, b, score in similar_pairs(prints, threshold)
    ]
