"""The competency framework: CSV import with a per-row report in UTF-8, UTF-8 with BOM and
CP949, all-or-nothing, the starter set and the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEvent
from lms.db import db
from lms.errors import Forbidden, ValidationError
from lms.skills.csvimport import MAX_BYTES
from lms.skills.models import CompetencyUnit
from lms.skills.services import get_unit, import_units, list_units, load_starter

HEADER = "code,name_ko,name_en,level,track,parent_code,description_ko,description_en\n"
GOOD = (
    HEADER
    + "SF-ROB-01,로봇 비전 기초,Robot vision basics,1,smart_factory,,설명,Description\n"
    + "SF-ROB-02,로봇 경로 계획,Robot path planning,2,smart_factory,SF-ROB-01,,\n"
)


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(CompetencyUnit))


def test_a_valid_file_creates_units_with_their_parents(app):
    report = import_units(None, GOOD.encode())
    db.session.commit()
    assert report.applied and report.created == ["SF-ROB-01", "SF-ROB-02"]
    child = get_unit("sf-rob-02")
    assert child.parent.code == "SF-ROB-01" and child.level == 2
    assert child.name("en") == "Robot path planning" and child.name("ko") == "로봇 경로 계획"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "skills.import"))


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp949", "euc-kr"])
def test_korean_names_are_read_in_every_supported_encoding(app, encoding):
    report = import_units(None, GOOD.encode(encoding))
    assert report.applied and report.encoding in (encoding, "cp949", "utf-8-sig")
    assert get_unit("SF-ROB-01").name_ko == "로봇 비전 기초"


def test_a_bom_does_not_spoil_the_first_column(app):
    report = import_units(None, GOOD.encode("utf-8-sig"))
    assert report.encoding == "utf-8-sig" and report.applied


def test_cp949_chosen_as_utf8_is_refused_with_a_hint(app):
    with pytest.raises(ValidationError) as caught:
        import_units(None, GOOD.encode("cp949"), "utf-8")
    assert caught.value.code == "bad_encoding" and "CP949" in str(caught.value.message)


def test_bad_rows_are_all_reported_and_nothing_is_written(app):
    text = (
        HEADER
        + "SF-ROB-01,로봇,Robot,1,smart_factory,,,\n"
        + "bad code,이름,Name,1,smart_factory,,,\n"
        + "SF-ROB-03,,Name,7,space,,,\n"
        + "SF-ROB-01,중복,Duplicate,1,smart_factory,,,\n"
        + "SF-ROB-04,고아,Orphan,2,smart_factory,SF-NONE-01,,\n"
    )
    report = import_units(None, text.encode())
    assert not report.applied and _count() == 0
    found = {(p.row, p.column) for p in report.problems}
    assert {(3, "code"), (4, "name_ko"), (4, "level"), (4, "track"), (5, "code")} <= found
    assert (6, "parent_code") in found
    duplicate = next(p for p in report.problems if p.row == 5)
    assert "2" in duplicate.message  # names the row it duplicates


def test_a_parent_cycle_is_refused(app):
    import_units(None, GOOD.encode())
    db.session.commit()
    cycle = HEADER + "SF-ROB-01,로봇 비전 기초,Robot vision basics,1,smart_factory,SF-ROB-02,,\n"
    report = import_units(None, cycle.encode())
    assert not report.applied and report.problems[0].column == "parent_code"
    assert get_unit("SF-ROB-01").parent is None


def test_missing_and_unknown_columns_are_named(app):
    report = import_units(None, b"code,name,level\nSF-ROB-01,x,1\n")
    assert not report.applied
    assert "name_ko" in report.problems[0].message and "name" in report.problems[1].column


def test_a_file_over_the_size_limit_is_refused(app):
    with pytest.raises(ValidationError) as caught:
        import_units(None, GOOD.encode() + b"#" * MAX_BYTES)
    assert caught.value.code == "too_large"


def test_a_check_without_applying_changes_nothing(app):
    report = import_units(None, GOOD.encode(), apply=False)
    assert report.ok and not report.applied and report.created and _count() == 0


def test_reimporting_updates_changed_units_only(app):
    import_units(None, GOOD.encode())
    db.session.commit()
    changed = GOOD.replace("Robot path planning", "Robot motion planning")
    report = import_units(None, changed.encode())
    assert report.updated == ["SF-ROB-02"] and report.unchanged == ["SF-ROB-01"]
    assert get_unit("SF-ROB-02").name_en == "Robot motion planning"


def test_only_admins_import(app, make_user):
    with pytest.raises(Forbidden):
        import_units(make_user(role="instructor"), GOOD.encode())
    assert import_units(make_user(role="admin"), GOOD.encode()).applied


def test_the_starter_set_covers_every_track_and_the_course_packages(app):
    import tomllib
    from pathlib import Path

    report = load_starter()
    db.session.commit()
    assert report.ok and report.applied and len(report.created) >= 40
    tracks = {str(u.track) for u in list_units()}
    assert tracks == {
        "ai_foundations",
        "smart_factory",
        "smart_mobility",
        "semiconductors",
        "smart_healthcare",
    }
    courses = Path(__file__).resolve().parents[2] / "courses"
    for toml in courses.glob("*/course.toml"):
        for skill in tomllib.loads(toml.read_text(encoding="utf-8"))["skills"]:
            unit = get_unit(skill["code"])
            assert unit.level == skill["level"], skill["code"]
    again = load_starter()
    assert again.created == [] and again.updated == []


def test_units_can_be_filtered(app):
    load_starter()
    assert {u.level for u in list_units(track="smart_mobility", level=4)} == {4}
    assert [u.code for u in list_units(q="r-peak")] == ["SH-ECG-01"]
    assert [u.code for u in list_units(q="심전도 R")] == ["SH-ECG-01"]


def test_the_cli_loads_the_starter_and_imports_with_a_report(app, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["skills", "load-starter"])
    assert result.exit_code == 0, result.output
    assert _count() >= 40
    bad = tmp_path / "bad.csv"
    bad.write_bytes((HEADER + "SF-X,이름,Name,9,smart_factory,,,\n").encode("cp949"))
    result = runner.invoke(args=["skills", "import", str(bad)])
    assert result.exit_code == 1 and "row 2 [code]" in result.output
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD.encode("cp949"))
    result = runner.invoke(args=["skills", "import", "--dry-run", str(good)])
    assert result.exit_code == 0 and "Dry run" in result.output
    assert (
        db.session.scalar(select(CompetencyUnit).where(CompetencyUnit.code == "SF-ROB-01")) is None
    )
    result = runner.invoke(args=["skills", "import", "--encoding", "cp949", str(good)])
    assert result.exit_code == 0 and get_unit("SF-ROB-01").name_ko == "로봇 비전 기초"


def test_the_demo_maps_its_courses_and_the_demo_learner_has_skills(app):
    from lms.accounts.services import get_user_by_email
    from lms.demo import load_demo
    from lms.skills.evidence import skill_profile

    load_demo()
    db.session.commit()
    learner = get_user_by_email("learner@demo.local")
    profile = {s.code: s for s in skill_profile(learner)}
    # python-basics is completed: its mapped units are achieved, with the course as evidence
    assert profile["AIF-PY-01"].achieved and profile["AIF-PY-01"].evidence[0].target == "course"
    assert profile["AIF-PD-01"].state == "not_started"  # data-analysis is still under way
    load_demo()  # idempotent
    db.session.commit()
    assert len(skill_profile(learner)) == len(profile)
