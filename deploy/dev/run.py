"""One-machine runner: `make run` (or `python -m deploy.dev.run`).

Prepares the instance (database migrated to head, demo data loaded — both idempotent), then
starts every part of the one-machine form as a child process: the portal (gunicorn on
127.0.0.1:5000), the sandboxed grading worker (local spool) with its result collector, and
JupyterHub when its dev configuration is present. It prints the URLs and the demo accounts, and on Ctrl-C (or when any
part dies) stops all of them: SIGTERM to each process group, SIGKILL after a grace period.

Every setting comes from the environment with the same defaults the parts use; see README.md.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
STOP_GRACE_S = 10.0
READY_TIMEOUT_S = 60.0
HUB_CONFIG = ROOT / "deploy" / "dev" / "jupyterhub_config.py"
LABS_SYNC_S = 300.0


@dataclass
class Part:
    """A long-running child process and how to tell it is ready."""

    name: str
    argv: list[str]
    ready_url: str | None = None
    public_url: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen | None = None
    log_path: Path | None = None


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("LMS_BASE_URL", "http://127.0.0.1:5000")
    env.setdefault("AUTOGRADER_SPOOL_DIR", str(ROOT / "instance" / "spool"))
    # The portal's side of the same spool: submissions go in, results come out.
    env.setdefault("LMS_GRADING_SPOOL_DIR", env["AUTOGRADER_SPOOL_DIR"])
    env["PATH"] = f"{BIN}{os.pathsep}{ROOT / 'node_modules' / '.bin'}{os.pathsep}{env['PATH']}"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _flask(*args: str) -> list[str]:
    return [str(BIN / "flask"), "--app", "lms", *args]


def prepare(env: dict[str, str]) -> None:
    """Migrate the database to head and load the demo data (both safe to repeat)."""
    (ROOT / "instance").mkdir(exist_ok=True)
    steps = [
        ("database", _flask("db", "upgrade")),
        ("demo data", _flask("demo", "load", "--courses", str(ROOT / "courses"))),
    ]
    if HUB_CONFIG.exists():
        # Registers the hub as an OIDC client of the portal (idempotent; secrets under instance/).
        steps.append(("lab sign-in", _flask("oidc", "ensure-hub-client")))
    for step, argv in steps:
        print(f"==> {step}: {' '.join(argv[1:])}", flush=True)
        done = subprocess.run(argv, cwd=ROOT, env=env)
        if done.returncode != 0:
            sys.exit(f"{step} step failed (exit {done.returncode}); see the messages above.")


def parts(env: dict[str, str]) -> list[Part]:
    host, port = "127.0.0.1", env.get("LMS_PORT", "5000")
    portal = Part(
        "portal",
        [
            str(BIN / "gunicorn"),
            "--bind",
            f"{host}:{port}",
            # One process with threads: the login rate limit (memory:// storage) and live
            # lab spawn progress live in process memory and must be seen by every request.
            "--workers",
            "1",
            "--threads",
            "8",
            "--access-logfile",
            "-",
            "lms:create_app()",
        ],
        ready_url=f"http://{host}:{port}/healthz",
        public_url=env["LMS_BASE_URL"],
    )
    worker = Part(
        "grader",
        [str(BIN / "python"), "-m", "autograder", "worker", "--backend", "local"],
    )
    # Records the worker's results in the portal's database (the portal is its only writer).
    collector = Part("collector", _flask("grading", "collect"))
    # Delivers the e-mail outbox (invitations) every minute: .eml files under
    # instance/mail/ with the default file backend, or the SMTP server configured.
    mail = Part("mail", _flask("mail", "send", "--every", "60"))
    found = [portal, worker, collector, mail]
    if HUB_CONFIG.exists():
        hub_dir = ROOT / "instance" / "hub"
        hub_dir.mkdir(parents=True, exist_ok=True)
        found.append(
            Part(
                "jupyterhub",
                [str(BIN / "jupyterhub"), "-f", str(HUB_CONFIG)],
                ready_url="http://127.0.0.1:8000/hub/health",
                public_url="http://127.0.0.1:8000",
            )
        )
    return found


def start(part: Part, env: dict[str, str]) -> None:
    logs = ROOT / "instance" / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    part.log_path = logs / f"{part.name}.log"
    out = part.log_path.open("ab")
    # Own process group, so stopping reaches the part's children (kernels, pool workers) too.
    part.proc = subprocess.Popen(
        part.argv,
        cwd=ROOT,
        env={**env, **part.env},
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    print(f"==> started {part.name} (pid {part.proc.pid}), log: {part.log_path.relative_to(ROOT)}")


def wait_ready(part: Part) -> None:
    if not part.ready_url:
        return
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if part.proc and part.proc.poll() is not None:
            raise RuntimeError(f"{part.name} exited with {part.proc.returncode}")
        try:
            with urllib.request.urlopen(part.ready_url, timeout=2) as reply:  # noqa: S310 (loopback)
                if reply.status < 500:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    raise RuntimeError(f"{part.name} not ready at {part.ready_url} after {READY_TIMEOUT_S:.0f} s")


def stop(running: list[Part]) -> None:
    for part in running:
        if part.proc and part.proc.poll() is None:
            os.killpg(part.proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for part in running:
        if not part.proc:
            continue
        try:
            part.proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(part.proc.pid, signal.SIGKILL)
            part.proc.wait()
        print(f"==> stopped {part.name}")


def tail(path: Path | None, lines: int = 20) -> str:
    if not path or not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def banner(running: list[Part]) -> None:
    print("\n" + "=" * 64)
    print(" AI talent LMS is running on this machine")
    for part in running:
        if part.public_url:
            print(f"   {part.name:<11} {part.public_url}")
    print(" Demo accounts (password: see `flask --app lms demo load` output above)")
    print(" Logs: instance/logs/   E-mails: instance/mail/   Stop: Ctrl-C")
    print("=" * 64 + "\n", flush=True)


def supervise(running: list[Part], env: dict[str, str]) -> int:
    """Block until Ctrl-C or until a part dies; returns the exit status for the runner.

    With the hub running, closes the usage records of labs the idle culler stopped
    (`flask labs sync`) every LABS_SYNC_S, so they stop counting GPU-hours.
    """
    sync: subprocess.Popen | None = None
    next_sync = time.monotonic() + LABS_SYNC_S
    has_hub = any(part.name == "jupyterhub" for part in running)
    while True:
        for part in running:
            if part.proc and part.proc.poll() is not None:
                print(f"!! {part.name} exited with {part.proc.returncode}; last log lines:")
                print(tail(part.log_path))
                return 1
        if has_hub and time.monotonic() >= next_sync and (sync is None or sync.poll() is not None):
            log = (ROOT / "instance" / "logs" / "labs-sync.log").open("ab")
            sync = subprocess.Popen(
                _flask("labs", "sync"),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            next_sync = time.monotonic() + LABS_SYNC_S
        time.sleep(1)


def main() -> int:
    env = _env()
    prepare(env)
    running: list[Part] = []
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        for part in parts(env):
            start(part, env)
            running.append(part)
            wait_ready(part)
        banner(running)
        return supervise(running, env)
    except KeyboardInterrupt:
        print("\n==> stopping …")
        return 0
    except RuntimeError as failure:
        print(f"!! {failure}")
        for part in running:
            print(f"--- {part.name} log ---\n{tail(part.log_path)}")
        return 1
    finally:
        stop(running)


if __name__ == "__main__":
    sys.exit(main())
