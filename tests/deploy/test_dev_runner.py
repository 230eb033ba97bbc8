"""The one-machine runner (`make run`): what it starts and with which settings."""

import signal
import subprocess
import sys

from deploy.dev import run


def test_runner_starts_portal_grader_collector_mail_and_hub():
    env = run._env()
    parts = {part.name: part for part in run.parts(env)}
    assert set(parts) == {"portal", "grader", "collector", "mail", "jupyterhub"}
    assert parts["mail"].argv[-4:] == ["mail", "send", "--every", "60"]
    assert parts["portal"].ready_url.endswith("/healthz")
    assert parts["grader"].argv[-4:] == ["autograder", "worker", "--backend", "local"]
    assert parts["collector"].argv[-2:] == ["grading", "collect"]
    assert parts["jupyterhub"].ready_url == "http://127.0.0.1:8000/hub/health"


def test_portal_and_worker_share_one_spool(monkeypatch):
    monkeypatch.delenv("LMS_GRADING_SPOOL_DIR", raising=False)
    monkeypatch.setenv("AUTOGRADER_SPOOL_DIR", "/srv/spool")
    env = run._env()
    assert env["LMS_GRADING_SPOOL_DIR"] == "/srv/spool"


def test_stop_terminates_a_running_part_with_sigterm(tmp_path):
    # A part whose child ignores nothing special: SIGTERM to the process group ends both.
    script = "import subprocess,sys,time; subprocess.Popen([sys.executable,'-c','import time; time.sleep(60)']); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    part = run.Part("sleeper", [], proc=proc, log_path=tmp_path / "x.log")
    run.stop([part])
    assert proc.returncode == -signal.SIGTERM
