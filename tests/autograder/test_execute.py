"""Executor contract, registry, framing, cgroup bookkeeping and integrity helpers (no sandbox needed)."""

from __future__ import annotations

import ast
import os
import time
from pathlib import Path

import pytest

from autograder import cgroups, sandbox
from autograder.contract import Limits
from autograder.execute import (
    CodeCell,
    Execution,
    SandboxUnavailable,
    available_executors,
    get_executor,
)
from autograder.zygote.detect import CompareRewriter, always_equal, check_user_names
from autograder.zygote.outputs import TRUNCATED_NOTE, OutputSink
from autograder.zygote.protocol import FrameError, FrameReader, FrameTimeout, encode, write_frame


def test_cell_roles_are_validated():
    with pytest.raises(ValueError, match="role"):
        CodeCell("a", "1", "hidden")


def test_registry_knows_the_three_executors_and_refuses_others():
    assert {"zygote", "kernel", "unsandboxed"} <= set(available_executors())
    with pytest.raises(ValueError, match="unknown executor 'fast'.*kernel"):
        get_executor("fast")


def test_unsandboxed_needs_an_explicit_opt_in(monkeypatch):
    monkeypatch.delenv("AUTOGRADER_ALLOW_UNSANDBOXED", raising=False)
    with pytest.raises(SandboxUnavailable, match="AUTOGRADER_ALLOW_UNSANDBOXED"):
        get_executor("unsandboxed")


def test_unsandboxed_kernel_runs_cells_and_interrupts_a_runaway_cell(tmp_path):
    limits = Limits(cell_timeout_s=1.5, notebook_timeout_s=60)
    cells = [
        CodeCell("a", "x = 6 * 7\nprint(x)"),
        CodeCell("b", "while True: pass"),
        CodeCell("c", "x"),
    ]
    with get_executor("unsandboxed", allow_unsandboxed=True) as executor:
        ex = executor.run(cells, workdir=tmp_path, limits=limits)
    assert [c.status for c in ex.cells] == ["ok", "timeout", "ok"]
    assert ex.cells[0].outputs[0]["text"] == "42\n"
    assert ex.cells[2].outputs[0]["data"]["text/plain"] == "42"


def test_failed_execution_marks_every_cell_not_run():
    ex = Execution.failed([CodeCell("a", "1"), CodeCell("b", "2")], "sandbox_error", "no cgroup")
    assert ex.status == "sandbox_error" and ex.log == "no cgroup"
    assert [c.status for c in ex.cells] == ["not_run", "not_run"]


# --- framing --------------------------------------------------------------------------------


def test_frames_round_trip_in_order():
    r, w = os.pipe()
    write_frame(w, {"op": "a", "n": 1})
    write_frame(w, {"op": "b", "text": "é" * 1000})
    os.close(w)
    reader = FrameReader(r, 1 << 20)
    assert reader.read(time.monotonic() + 1) == {"op": "a", "n": 1}
    assert reader.read(time.monotonic() + 1)["text"] == "é" * 1000
    assert reader.read(time.monotonic() + 1) is None
    os.close(r)


@pytest.mark.parametrize(
    "payload, message",
    [
        (encode({"op": "x", "pad": "y" * 5000}), "exceeds the cap"),
        (b"\x00\x00\x00\x05hello", "not JSON"),
        (b"\x00\x00\x00\x02[]", "not a JSON object"),
        (b"\x00\x00\x00\x10{}", "ended inside a frame"),
    ],
)
def test_bad_frames_are_refused(payload, message):
    r, w = os.pipe()
    os.write(w, payload)
    os.close(w)
    with pytest.raises(FrameError, match=message):
        FrameReader(r, 4096).read(time.monotonic() + 1)
    os.close(r)


def test_a_silent_child_times_out_instead_of_blocking():
    r, w = os.pipe()
    with pytest.raises(FrameTimeout):
        FrameReader(r, 4096).read(time.monotonic() + 0.05)
    os.close(r)
    os.close(w)


# --- cgroups (file bookkeeping against a fake hierarchy) -------------------------------------


def test_cgroup_v2_job_group_gets_limits_and_controllers(tmp_path):
    (tmp_path / "cgroup.controllers").write_text("cpu memory pids")
    support = cgroups.CgroupSupport(2, tmp_path)
    group = cgroups.JobCgroup.create("job1", memory_mb=256, max_pids=40, support=support)
    d = tmp_path / "autograder" / "job1"
    assert (d / "memory.max").read_text() == str(256 * 1024 * 1024)
    assert (d / "pids.max").read_text() == "40"
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert group.procs_files == [str(d / "cgroup.procs")]
    (d / "memory.events").write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")
    assert group.oom_killed()


def test_cgroup_v1_job_group_spans_memory_and_pids(tmp_path):
    for controller in ("memory", "pids"):
        (tmp_path / controller).mkdir()
    support = cgroups.CgroupSupport(1, tmp_path)
    group = cgroups.JobCgroup.create("job2", memory_mb=64, max_pids=8, support=support)
    assert (tmp_path / "memory/autograder/job2/memory.limit_in_bytes").read_text() == str(64 << 20)
    assert (tmp_path / "pids/autograder/job2/pids.max").read_text() == "8"
    assert not group.oom_killed()
    assert group.kill(timeout_s=0.1)  # empty group: nothing to kill


def test_cgroup_parent_must_be_relative(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_CGROUP_PARENT", "../escape")
    with pytest.raises(ValueError, match="relative"):
        cgroups.parent_name()


# --- sandbox configuration --------------------------------------------------------------------


def test_interpreter_paths_never_expose_root_or_the_workdir(tmp_path, monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX_RO_PATHS", f"/:{tmp_path}")
    paths = sandbox.python_ro_paths(str(tmp_path / "job"))
    assert "/" not in paths and str(tmp_path) not in paths
    assert any(Path(p).joinpath("lib").exists() or "site-packages" in p for p in paths)


def test_sandbox_uid_must_be_unprivileged(monkeypatch):
    monkeypatch.setenv("AUTOGRADER_SANDBOX_UID", "0")
    with pytest.raises(sandbox.SandboxError, match="not root"):
        sandbox.sandbox_uid()
    monkeypatch.setenv("AUTOGRADER_SANDBOX_UID", "nobody")
    with pytest.raises(sandbox.SandboxError, match="integer"):
        sandbox.sandbox_uid()


def test_sandbox_needs_root_and_says_so(monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "root" in sandbox._probe_problem()


def test_sandbox_spec_round_trips_through_json():
    spec = sandbox.SandboxSpec(
        workdir="/w", ro_paths=["/opt/py"], devices=["/dev/nvidia0"], env={"A": "1"}
    )
    assert sandbox.SandboxSpec.from_json(spec.to_json()) == spec


def test_seccomp_programs_exist_for_both_architectures_and_end_in_allow():
    from autograder import seccomp

    for machine in ("x86_64", "aarch64"):
        prog = seccomp.build_program(machine)
        assert prog[-1] == (seccomp.BPF_RET_K, 0, 0, seccomp.SECCOMP_RET_ALLOW)
        jumps = [
            (i, jt, jf) for i, (code, jt, jf, _) in enumerate(prog) if code != seccomp.BPF_RET_K
        ]
        assert all(i + 1 + max(jt, jf) < len(prog) for i, jt, jf in jumps)  # no jump past the end
    with pytest.raises(KeyError):
        seccomp.build_program("sparc")


# --- integrity helpers ------------------------------------------------------------------------


class _AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class _Honest:
    def __init__(self, v):
        self.v = v

    def __eq__(self, other):
        return isinstance(other, _Honest) and other.v == self.v

    __hash__ = object.__hash__


def test_always_equal_objects_are_recognised_even_inside_containers():
    assert "_AlwaysEqual" in always_equal(_AlwaysEqual())
    assert "_AlwaysEqual" in always_equal([1, _AlwaysEqual()])
    assert "_AlwaysEqual" in always_equal({"k": _AlwaysEqual()})
    for honest in (1, 2.5, "s", [1, 2], {"a": 1}, _Honest(3), None):
        assert always_equal(honest) == ""


def test_comparisons_in_test_cells_are_routed_through_the_helper():
    tree = CompareRewriter("_cmp").visit(
        ast.parse("assert f(1) == 2\nassert a != b\nassert 1 < 2 == 2")
    )
    source = ast.unparse(tree)
    assert "_cmp(f(1), 2, False)" in source and "_cmp(a, b, True)" in source
    assert "1 < 2 == 2" in source  # chained comparisons are left alone


def test_output_sink_truncates_at_the_budget():
    sink = OutputSink(budget=10)
    sink.stream("stdout", "12345")
    sink.stream("stdout", "67890abc")
    sink.stream("stdout", "more")
    assert sink.truncated
    assert sink.outputs[0] == {"output_type": "stream", "name": "stdout", "text": "1234567890"}
    assert sink.outputs[-1]["text"] == TRUNCATED_NOTE


def test_rebound_test_helpers_and_module_aliases_are_restored():
    import numpy
    import numpy.testing

    fake = lambda *a, **k: None  # noqa: E731
    ns = {"assert_allclose": fake, "np": object(), "sum": lambda x: 5, "answer": 3}
    flags = check_user_names(ns, "assert_allclose(answer, 3)\nassert np.sum([sum([1])]) == 5")
    assert ns["assert_allclose"] is numpy.testing.assert_allclose
    assert ns["np"] is numpy and ns["answer"] == 3
    assert len(flags) == 3 and any("builtin 'sum'" in f for f in flags)
