"""Similarity flags: a renamed copy and a copy with only comments changed are paired with
the original; an honest, different solution is not; a copy of an earlier cohort's work on
an earlier version is found; the page shows both snippets escaped, to staff only."""

# ruff: noqa: F811  (the fixtures imported from grading_support are parameters below)

from __future__ import annotations

import json

import pytest

from lms.catalog.models import CourseInstructor
from lms.db import db
from lms.errors import Forbidden
from lms.grading.similarity import find_similar, fingerprints, normalise, similar_pairs
from lms.grading.submission import submit
from lms.publishing.services import current_assignment, publish
from tests.lms.grading_support import (  # noqa: F401  (fixtures)
    LAB1,
    app_config,
    blob_dir,
    enrolled,
    fast_release,
    package_copy,
    published,
    release_bytes,
)

ORIGINAL = '''
def moving_average(x, window):
    """Simple moving average."""
    x = np.asarray(x, dtype=float)
    kernel = np.ones(window) / window
    return np.convolve(x, kernel, mode="valid")


def zscore(x):
    x = np.asarray(x, dtype=float)
    centred = x - np.nanmean(x)
    return centred / np.nanstd(x)


def detect_spikes(x, threshold=3.0):
    residual = np.asarray(x, dtype=float) - moving_median(x)
    scores = zscore(residual)
    return np.flatnonzero(np.abs(np.nan_to_num(scores)) > threshold)
'''

RENAMED = """
def moving_average(values, w):
    values = np.asarray(values, dtype=float)
    box = np.ones(w) / w
    return np.convolve(values, box, mode='valid')
def zscore(arr):
    arr = np.asarray(arr, dtype=float)
    shifted = arr - np.nanmean(arr)
    return shifted / np.nanstd(arr)
def detect_spikes(series, limit=3.0):
    rest = np.asarray(series, dtype=float) - moving_median(series)
    zs = zscore(rest)
    return np.flatnonzero(np.abs(np.nan_to_num(zs)) > limit)
"""

COMMENTED = (
    ORIGINAL.replace('"""Simple moving average."""', '"""내가 직접 썼습니다."""').replace(
        "    kernel = np.ones", "    # 상자 필터 (box filter)\n    kernel = np.ones"
    )
    + "\n# 끝: 스파이크 탐지 <script>alert(1)</script>\n"
)

HONEST = """
def moving_average(x, window):
    out = []
    for i in range(len(x) - window + 1):
        total = 0.0
        for j in range(window):
            total += x[i + j]
        out.append(total / window)
    return np.array(out)


def zscore(x):
    good = [v for v in x if v == v]
    m = sum(good) / len(good)
    sd = (sum((v - m) ** 2 for v in good) / len(good)) ** 0.5
    return np.array([(v - m) / sd for v in x])


def detect_spikes(x, threshold=3.0):
    med = moving_median(x)
    found = []
    for i, value in enumerate(zscore(np.array(x) - med)):
        if value == value and abs(value) > threshold:
            found.append(i)
    return np.array(found, dtype=int)
"""


def notebook(assignment, code: str) -> bytes:
    """The released lab with ``code`` in its last answer cell."""
    nb = json.loads(release_bytes(assignment))
    answers = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")]
    answers = [c for c in answers if c["cell_type"] == "code"]
    answers[-1]["source"] = code
    return json.dumps(nb).encode()


@pytest.fixture
def instructor(published, make_user):
    user = make_user(role="instructor")
    db.session.add(CourseInstructor(course_id=published.course.id, user_id=user.id))
    db.session.commit()
    return user


@pytest.fixture
def cohort(published, enrolled):
    """Four learners: the original, a renamed copy, a comment-only copy, an honest one."""
    lab1 = current_assignment(published.course, LAB1)
    made = {}
    for key, code in (("original", ORIGINAL), ("renamed", RENAMED), ("commented", COMMENTED)):
        made[key] = submit(enrolled(), lab1, notebook(lab1, code))
    made["honest"] = submit(enrolled(), lab1, notebook(lab1, HONEST))
    db.session.commit()
    return made


def _pairs(found) -> set[frozenset[int]]:
    return {frozenset((p.first.id, p.second.id)) for p in found}


def test_copies_are_paired_and_the_honest_solution_is_not(published, cohort):
    found = find_similar(None, published.course, LAB1, 0.7)
    ids = {k: s.id for k, s in cohort.items()}
    assert _pairs(found) == {
        frozenset((ids["original"], ids["renamed"])),
        frozenset((ids["original"], ids["commented"])),
        frozenset((ids["renamed"], ids["commented"])),
    }
    assert all(p.score >= 0.9 for p in found)


def test_renaming_and_comments_do_not_change_the_normalised_tokens():
    assert normalise(ORIGINAL) == normalise(RENAMED) == normalise(COMMENTED)
    assert normalise(ORIGINAL) != normalise(HONEST)


def test_code_that_does_not_parse_is_still_compared():
    broken = ORIGINAL + "\ndef unfinished(:\n"
    tokens = normalise(broken)
    assert tokens and "def" in tokens
    shared = fingerprints(normalise(ORIGINAL)) & fingerprints(tokens)
    assert len(shared) > len(fingerprints(normalise(ORIGINAL))) // 2


def test_a_copy_of_an_earlier_cohorts_work_on_an_earlier_version_is_found(
    published, enrolled, package_copy
):
    lab1 = current_assignment(published.course, LAB1)
    earlier = submit(enrolled(started_days_ago=5), lab1, notebook(lab1, ORIGINAL))
    submit(enrolled(), lab1, notebook(lab1, HONEST))
    db.session.commit()
    publish(None, package_copy(lambda t: t.replace("max = 10", "max = 9", 1)))
    db.session.commit()
    lab1_v2 = current_assignment(published.course, LAB1)
    later = submit(enrolled(), lab1_v2, notebook(lab1_v2, RENAMED))
    db.session.commit()
    found = find_similar(None, published.course, LAB1, 0.7)
    assert _pairs(found) == {frozenset((earlier.id, later.id))}
    pair = found[0]
    assert pair.first.course_version_id != pair.second.course_version_id
    assert pair.first_cohort and pair.second_cohort and pair.first_cohort != pair.second_cohort


def test_starter_code_alone_is_never_a_pair(published, enrolled):
    lab1 = current_assignment(published.course, LAB1)
    for _ in range(3):
        submit(enrolled(), lab1, release_bytes(lab1))
    db.session.commit()
    assert find_similar(None, published.course, LAB1, 0.5) == []


def test_a_learner_is_not_paired_with_their_own_attempts(published, enrolled):
    lab1 = current_assignment(published.course, LAB1)
    learner = enrolled()
    submit(learner, lab1, notebook(lab1, ORIGINAL))
    submit(learner, lab1, notebook(lab1, RENAMED))
    db.session.commit()
    assert find_similar(None, published.course, LAB1, 0.5) == []


def test_learners_may_not_run_it_and_thresholds_are_checked(published, cohort):
    with pytest.raises(Forbidden):
        find_similar(cohort["honest"].user, published.course, LAB1)
    with pytest.raises(ValueError):
        find_similar(None, published.course, LAB1, 1.5)


def test_the_index_pairs_only_documents_that_share_fingerprints():
    docs = {
        n: fingerprints(normalise(f"def f{n}(a):\n    return a * {n} + {n * 7}\n" * 3))
        for n in range(500)
    }
    docs["copy"] = set(docs[7])
    pairs = similar_pairs(docs, 0.9)
    assert (7, "copy", 1.0) in pairs or ("copy", 7, 1.0) in pairs


def test_the_page_shows_both_snippets_escaped_to_staff(client, login, instructor, cohort):
    login(client, instructor)
    slug = cohort["original"].assignment.version.course.slug
    page = client.get(f"/teach/courses/{slug}/assignments/{LAB1}/similarity")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'data-testid="pair-' in html and "np.convolve" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html
    strict = client.get(f"/teach/courses/{slug}/assignments/{LAB1}/similarity?threshold=0.9")
    assert strict.status_code == 200
    analytics = client.get(f"/teach/courses/{slug}/assignments/{LAB1}/analytics")
    assert "/similarity" in analytics.get_data(as_text=True)


def test_learners_get_403_on_the_page(client, login, cohort):
    login(client, cohort["honest"].user)
    slug = cohort["original"].assignment.version.course.slug
    assert client.get(f"/teach/courses/{slug}/assignments/{LAB1}/similarity").status_code == 403


def test_the_command_lists_the_pairs(app, cohort):
    slug = cohort["original"].assignment.version.course.slug
    result = app.test_cli_runner().invoke(args=["grading", "similarity", slug, LAB1])
    assert result.exit_code == 0, result.output
    assert "3 pair(s) at or above 0.70" in result.output
    assert cohort["renamed"].user.email in result.output
    assert cohort["honest"].user.email not in result.output
