"""Integrity checks for the kernel executor, run inside the kernel by silent executions.

The kernel executor cannot pre-load anything into the kernel, so right after start-up (before
any student cell) it loads :mod:`autograder.zygote.integrity` from source into a module with a
random name, snapshots the pristine state, and installs the audit hook. Before and after each
test cell it calls the guard with a silent execution and reads the flags back through
``user_expressions``. Audit-hook alerts are collected inside the kernel and returned with the
next check (the zygote path reports them at once instead).
"""

from __future__ import annotations

import ast
import secrets
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).parent / "zygote"
_SOURCE = "\n".join(
    line
    for name in ("detect.py", "integrity.py")
    for line in (_HERE / name).read_text().splitlines()
    if not line.startswith("from __future__")  # only legal at the very top of one source
)
_BOOT = """
def _ag_boot(name, source):
    import ctypes, sys, types
    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0: execve made the kernel dumpable
    mod = types.ModuleType(name)
    exec(compile(source, "<autograder-integrity>", "exec"), mod.__dict__)
    sys.modules[name] = mod
    guard = mod.Guard(get_ipython(), frozenset({"builtins.input", "builtins.raw_input", "sys.excepthook"}))
    armed = [True]
    mod.install_audit_hook(lambda f: guard.alerts.append("tampering primitive used: " + f), lambda: armed[0])
    def call(which, *args):
        armed[0] = False
        try:
            mod._last = list(getattr(guard, which)(*args))
        except Exception as exc:
            mod._last = ["integrity check could not complete: " + repr(exc)]
        finally:
            armed[0] = True
    mod._call = call
    mod._last = []
"""
REPLY_TIMEOUT_S = 30.0


class GuardClient:
    """Drives the in-kernel guard of one :class:`autograder.kernel._KernelSession`."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.name = "_ag_integrity_" + secrets.token_hex(6)

    def install(self) -> None:
        code = f"{_BOOT}\n_ag_boot({self.name!r}, {_SOURCE!r})\ndel _ag_boot\n"
        reply = self._silent(code, with_result=False)
        if reply.get("status") != "ok":
            raise RuntimeError(f"integrity guard did not load: {reply.get('evalue')}")

    def before_test(self, source: str) -> list[str]:
        return self._call("before_test", source)

    def after_test(self) -> list[str]:
        return self._call("after_test")

    def _call(self, which: str, *args: str) -> list[str]:
        extra = "".join(f", {a!r}" for a in args)
        code = f"__import__('sys').modules[{self.name!r}]._call({which!r}{extra})"
        try:
            reply = self._silent(code, with_result=True)
        except (TimeoutError, RuntimeError) as exc:
            return [f"integrity check did not answer: {exc}"]
        if reply.get("status") != "ok":
            return [f"integrity check failed: {reply.get('ename')}: {reply.get('evalue')}"]
        raw = reply.get("user_expressions", {}).get("r", {})
        text = raw.get("data", {}).get("text/plain", "[]") if raw.get("status") == "ok" else "[]"
        try:
            flags = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return ["integrity check returned garbage (guard tampered?)"]
        return (
            [str(f)[:300] for f in flags]
            if isinstance(flags, list)
            else ["integrity check returned garbage"]
        )

    def _silent(self, code: str, *, with_result: bool) -> dict[str, Any]:
        kc = self.session.kc
        expressions = (
            {"r": f"__import__('sys').modules[{self.name!r}]._last"} if with_result else {}
        )
        msg_id = kc.execute(code, silent=True, store_history=False, user_expressions=expressions)
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                msg = kc.get_shell_msg(timeout=max(deadline - time.monotonic(), 0.01))
            except Exception:  # noqa: BLE001  (queue.Empty)
                break
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return dict(msg["content"])
        raise TimeoutError("no reply from the kernel")
