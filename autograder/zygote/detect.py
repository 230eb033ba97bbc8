"""Cheat detectors used by :mod:`autograder.zygote.integrity`: always-equal objects, test-cell
comparison rewriting, the audit hook, names in the user namespace that shadow test helpers, and
signal handlers/timers that could run student code during a test.

Stdlib only and free of package imports: the kernel executor loads this file's source (then
integrity's) into one module inside the kernel.
"""

from __future__ import annotations

import ast
import os
import signal
import sys
import types
from collections.abc import Callable
from typing import Any

AUDIT_ALERTS = {
    "gc.get_referents": "gc.get_referents (object-graph walk)",
    "gc.get_referrers": "gc.get_referrers (object-graph walk)",
    "gc.get_objects": "gc.get_objects (object-graph walk)",
    "ctypes.cdata": "ctypes raw memory access",
    "ctypes.dlsym": "ctypes symbol lookup",
    "ctypes.call_function": "ctypes foreign call",
    "sys.settrace": "sys.settrace",
    "sys.setprofile": "sys.setprofile",
    "sys.addaudithook": "sys.addaudithook (refused)",
    "sys._current_frames": "sys._current_frames",
}
MODULE_ALIASES = {
    "np": "numpy",
    "pd": "pandas",
    "numpy": "numpy",
    "pandas": "pandas",
    "math": "math",
}
HELPER_MODULES = ("numpy.testing", "pandas.testing", "unittest")


class _Sentinel:
    """A fresh object nothing honest can be equal to."""

    __slots__ = ()


_SAFE_TYPES = {int, float, complex, str, bytes, bool, type(None), range}


def _safe_types() -> set[type]:
    """Exact types whose ``==`` is known-honest (subclasses are still probed)."""
    safe = set(_SAFE_TYPES)
    np = sys.modules.get("numpy")
    if np is not None:
        safe.update({np.ndarray, np.float64, np.float32, np.int64, np.int32, np.bool_})
    pd = sys.modules.get("pandas")
    if pd is not None:
        safe.update({pd.DataFrame, pd.Series, pd.Index})
    return safe


def always_equal(value: Any, depth: int = 0) -> str:
    if type(value) in _safe_types() or depth > 2:
        return ""
    probe = _Sentinel()
    try:
        eq = value == probe
        ne = value != probe
        if (eq is True or type(eq).__name__ == "bool_" and bool(eq)) or ne is False:
            return f"{type(value).__module__}.{type(value).__qualname__}"
    except Exception:  # noqa: BLE001  (a raising __eq__ is not an always-equal object)
        return ""
    if type(value) in (list, tuple, set, frozenset):
        for item in list(value)[:200]:
            found = always_equal(item, depth + 1)
            if found:
                return found
    if type(value) is dict:
        for item in list(value.values())[:200]:
            found = always_equal(item, depth + 1)
            if found:
                return found
    return ""


class CompareRewriter(ast.NodeTransformer):
    """Rewrite single ``==``/``!=`` comparisons in a test cell into the guard's helper."""

    def __init__(self, helper: str) -> None:
        self.helper = helper

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if len(node.ops) != 1 or not isinstance(node.ops[0], ast.Eq | ast.NotEq):
            return node
        negate = isinstance(node.ops[0], ast.NotEq)
        call = ast.Call(
            func=ast.Name(id=self.helper, ctx=ast.Load()),
            args=[node.left, node.comparators[0], ast.Constant(negate)],
            keywords=[],
        )
        return ast.copy_location(call, node)


def install_audit_hook(alert: Callable[[str], None], is_armed: Callable[[], bool]) -> None:
    """Report tampering primitives once each via ``alert`` while armed; refuse new audit hooks."""
    reported: set[str] = set()
    watched = AUDIT_ALERTS

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event not in watched:
            return
        if event == "sys.addaudithook" and is_armed():
            if event not in reported:
                reported.add(event)
                alert(watched[event])
            raise RuntimeError("audit hooks are not allowed in graded code")
        if is_armed() and event not in reported:
            reported.add(event)
            alert(watched[event])

    sys.addaudithook(hook)


def check_user_names(user_ns: dict[str, Any], source: str) -> list[str]:
    """Names a test cell uses that the student rebound to impostors; impostors of modules and
    of assert helpers are replaced by the real objects, other shadowing is only flagged."""
    try:
        used = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    except SyntaxError:
        return []
    flags = []
    for name in sorted(used & set(user_ns)):
        value = user_ns[name]
        real = _real_object(name, value)
        if real is not None and real is not value:
            flags.append(f"the test's name {name!r} was rebound by the submission (restored)")
            user_ns[name] = real
        elif real is None and callable(value) and _shadows_builtin(name, value):
            flags.append(f"the submission redefined builtin {name!r}, which the test uses")
    return flags


def _real_object(name: str, value: Any) -> Any:
    if isinstance(value, types.ModuleType):
        return sys.modules.get(value.__name__, value)
    if name in MODULE_ALIASES:
        return sys.modules.get(MODULE_ALIASES[name])
    if name.startswith("assert"):
        for modname in HELPER_MODULES:
            helper = getattr(sys.modules.get(modname), name, None)
            if helper is not None:
                return helper
    return None


def _shadows_builtin(name: str, value: Any) -> bool:
    import builtins

    original = getattr(builtins, name, None)
    return original is not None and original is not value


def reset_signals(pristine: dict[int, Any]) -> list[str]:
    """Restore signal handlers and cancel interval timers the submission installed."""
    flags = []
    for signum, handler in pristine.items():
        if signal.getsignal(signum) is not handler:
            flags.append(f"signal handler for {signal.Signals(signum).name} was installed (reset)")
            signal.signal(signum, handler)
    for timer in (signal.ITIMER_REAL, signal.ITIMER_VIRTUAL, signal.ITIMER_PROF):
        if signal.getitimer(timer) != (0.0, 0.0):
            flags.append("an interval timer was armed (cancelled)")
            signal.setitimer(timer, 0)
    if signal.alarm(0):
        flags.append("an alarm was armed (cancelled)")
    return flags


def snapshot_signals() -> dict[int, Any]:
    wanted = (
        "SIGALRM",
        "SIGVTALRM",
        "SIGPROF",
        "SIGUSR1",
        "SIGUSR2",
        "SIGINT",
        "SIGTERM",
        "SIGCHLD",
    )
    return {
        getattr(signal, n): signal.getsignal(getattr(signal, n))
        for n in wanted
        if hasattr(signal, n)
    }


def stray_processes() -> list[str]:
    """Processes the submission left running (forks, daemons) when a test cell starts.

    Only meaningful inside a job's PID namespace, where PID 1 is the job's init and the runner
    is its child; elsewhere (the unsandboxed executor) nothing is reported.
    """
    me = os.getpid()
    if me > 2:
        return []
    alive = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in (1, me):
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                state = fh.read().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state not in ("Z", "X"):
            alive.append(entry)
    if not alive:
        return []
    return [
        f"{len(alive)} process(es) started by the submission were still running before a test cell"
    ]
