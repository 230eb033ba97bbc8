"""Opening labs for a course, usage records, GPU-hours, quotas and the CPU fallback."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lms.db import db, utcnow
from lms.errors import Forbidden, ValidationError
from lms.hub.accounting import (
    choose_profile,
    gpu_hours_used,
    record_start,
    record_stop,
    set_gpu_quota,
    sync_sessions,
)
from lms.hub.base import RunningServer
from lms.hub.errors import LabFileMissing, ProfileNotAllowed, ServerNotRunning
from lms.hub.fake import FakeHubClient
from lms.hub.models import GpuQuota, LabSession
from lms.hub.services import place_files, pull_notebook, running_labs, start_lab, stop_lab


@pytest.fixture
def gpu_course(make_course):
    return make_course(slug="dl201", needs_gpu=True)


@pytest.fixture
def learner(make_user, make_enrollment, gpu_course):
    user = make_user()
    make_enrollment(user, gpu_course)
    return user


def backdate(session: LabSession, hours: float) -> None:
    session.started_at = utcnow() - timedelta(hours=hours)
    session.stopped_at = utcnow()
    db.session.commit()


def test_start_lab_creates_the_hub_user_starts_the_profile_and_records_it(learner, gpu_course):
    hub = FakeHubClient()
    seen = []
    started = start_lab(hub, learner, gpu_course, "gpu-mig-1g", on_progress=seen.append)
    db.session.commit()
    assert started.profile == "gpu-mig-1g" and started.fallback_reason is None
    assert started.url == f"/user/u{learner.id}/" and seen[-1].ready
    assert f"course:{gpu_course.slug}" in hub.users[f"u{learner.id}"]
    session = db.session.scalars(db.select(LabSession)).one()
    assert session.profile == "gpu-mig-1g" and session.gpu_share == pytest.approx(1 / 7)


def test_only_enrolled_learners_instructors_and_admins_open_a_lab(make_user, gpu_course):
    with pytest.raises(Forbidden):
        start_lab(FakeHubClient(), make_user(), gpu_course, "cpu-small")
    assert (
        start_lab(FakeHubClient(), make_user(role="admin"), gpu_course, "gpu-full").profile
        == "gpu-full"
    )


def test_a_profile_the_course_does_not_offer_is_refused(learner, make_course, make_enrollment):
    cpu_course = make_course(slug="ml101")
    make_enrollment(learner, cpu_course)
    with pytest.raises(ProfileNotAllowed):
        choose_profile(learner, cpu_course, "gpu-mig-1g")
    with pytest.raises(ValidationError):
        choose_profile(learner, cpu_course, "warp-drive")


def test_gpu_hours_weigh_mig_slices_and_count_open_sessions(learner, gpu_course):
    backdate(record_start(learner, gpu_course, "gpu-mig-1g"), hours=7)
    backdate(record_start(learner, gpu_course, "cpu-small", server="cpu"), hours=5)
    open_full = record_start(learner, gpu_course, "gpu-full", server="big")
    open_full.started_at = utcnow() - timedelta(hours=2)
    db.session.commit()
    assert gpu_hours_used(user=learner) == pytest.approx(3.0, abs=0.01)
    assert gpu_hours_used(course=gpu_course) == pytest.approx(3.0, abs=0.01)


def test_course_quota_used_up_falls_back_to_cpu_with_a_reason(learner, gpu_course):
    set_gpu_quota(None, 1.0, course=gpu_course)
    backdate(record_start(learner, gpu_course, "gpu-full"), hours=1.5)
    choice = choose_profile(learner, gpu_course, "gpu-mig-1g")
    assert choice.profile == "cpu-small"
    assert "1.5" in choice.fallback_reason and "1.0" in choice.fallback_reason
    started = start_lab(FakeHubClient(), learner, gpu_course, "gpu-mig-1g")
    assert started.profile == "cpu-small" and started.fallback_reason


def test_sponsor_organisation_quota_applies_to_its_members(
    make_user, make_org, make_enrollment, gpu_course
):
    org = make_org(name_ko="HD조선")
    user = make_user(org=org)
    make_enrollment(user, gpu_course, sponsor_org=org)
    set_gpu_quota(None, 0, org=org)
    assert choose_profile(user, gpu_course, "gpu-mig-1g").profile == "cpu-small"
    assert choose_profile(user, gpu_course, "cpu-large").fallback_reason is None


def test_only_admins_set_quotas_and_values_are_checked(make_user, gpu_course, make_org):
    with pytest.raises(Forbidden):
        set_gpu_quota(make_user(role="instructor"), 5, course=gpu_course)
    with pytest.raises(ValidationError):
        set_gpu_quota(None, -1, course=gpu_course)
    with pytest.raises(ValidationError):
        set_gpu_quota(None, float("nan"), course=gpu_course)
    with pytest.raises(ValidationError):
        set_gpu_quota(None, 5, course=gpu_course, org=make_org())
    set_gpu_quota(make_user(role="admin"), 5, course=gpu_course)
    set_gpu_quota(None, 8, course=gpu_course)
    assert db.session.scalars(db.select(GpuQuota)).one().gpu_hours == 8


def test_culled_servers_are_closed_by_sync(learner, gpu_course, make_user):
    other = make_user()
    record_start(learner, gpu_course, "cpu-small")
    record_start(other, None, "cpu-small")
    closed = sync_sessions([RunningServer(f"u{other.id}", "", "cpu-small", None, None)])
    assert closed == 1
    still_open = db.session.scalars(
        db.select(LabSession).where(LabSession.stopped_at.is_(None))
    ).one()
    assert still_open.user_id == other.id


def test_instructors_stop_their_learners_labs_but_others_cannot(learner, gpu_course, make_user):
    hub = FakeHubClient()
    start_lab(hub, learner, gpu_course, "cpu-small")
    with pytest.raises(Forbidden):
        stop_lab(hub, make_user(), learner, gpu_course)
    teacher = make_user(role="instructor")
    gpu_course.instructors.append(teacher)
    stop_lab(hub, teacher, learner, gpu_course)
    assert hub.server_status(f"u{learner.id}").state == "stopped"
    assert record_stop(learner) == 0  # already closed


def test_quota_and_usage_commands(app, learner, gpu_course, make_org):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["labs", "set-quota", "--course", "dl201", "--gpu-hours", "12"])
    assert result.exit_code == 0, result.output
    assert db.session.scalars(db.select(GpuQuota)).one().gpu_hours == 12
    backdate(record_start(learner, gpu_course, "gpu-full"), hours=2)
    assert runner.invoke(args=["labs", "usage", "--course", "dl201"]).output.strip() == "2.00"
    bad = runner.invoke(args=["labs", "set-quota", "--course", "nope", "--gpu-hours", "1"])
    assert bad.exit_code == 1 and "Error:" in bad.output
    both = runner.invoke(
        args=[
            "labs",
            "set-quota",
            "--course",
            "dl201",
            "--org",
            make_org().slug,
            "--gpu-hours",
            "1",
        ]
    )
    assert both.exit_code == 1


def test_sync_command_closes_sessions_of_labs_the_hub_dropped(app, learner, gpu_course):
    app.config["LMS_HUB_BACKEND"] = "fake"
    record_start(learner, gpu_course, "cpu-small")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["labs", "sync"])
    assert result.exit_code == 0 and "1 lab sessions closed" in result.output


def test_assignment_files_never_overwrite_the_learners_work_without_asking(learner, gpu_course):
    hub = FakeHubClient()
    start_lab(hub, learner, gpu_course, "cpu-small")
    first = place_files(hub, learner, {"dl201/lab1.ipynb": b"release", "dl201/data.csv": b"1"})
    assert first.placed == ["dl201/lab1.ipynb", "dl201/data.csv"] and first.kept == []
    hub.put_file(f"u{learner.id}", "dl201/lab1.ipynb", b"my work", overwrite=True)
    again = place_files(hub, learner, {"dl201/lab1.ipynb": b"release v2"})
    assert again.kept == ["dl201/lab1.ipynb"]
    assert pull_notebook(hub, learner, "dl201/lab1.ipynb").content == b"my work"
    asked = place_files(
        hub, learner, {"dl201/lab1.ipynb": b"release v2"}, frozenset({"dl201/lab1.ipynb"})
    )
    assert asked.placed == ["dl201/lab1.ipynb"]


def test_pulling_from_a_stopped_lab_or_a_renamed_notebook_is_a_clear_error(learner, gpu_course):
    hub = FakeHubClient()
    start_lab(hub, learner, gpu_course, "cpu-small")
    with pytest.raises(LabFileMissing):
        pull_notebook(hub, learner, "dl201/renamed.ipynb")
    hub.stop_server(f"u{learner.id}")
    with pytest.raises(ServerNotRunning):
        pull_notebook(hub, learner, "dl201/lab1.ipynb")


def test_instructors_see_the_running_labs_of_their_course(learner, gpu_course, make_user):
    hub = FakeHubClient()
    start_lab(hub, learner, gpu_course, "cpu-small")
    teacher = make_user(role="instructor")
    gpu_course.instructors.append(teacher)
    assert [s.user_id for s in running_labs(teacher, gpu_course)] == [learner.id]
    with pytest.raises(Forbidden):
        running_labs(learner, gpu_course)
