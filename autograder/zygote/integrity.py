"""Keep test cells honest inside the student's interpreter: restore, compare, flag.

Student code and test cells share one interpreter (that is how nbgrader notebooks work), so a
submission can try to change what a later test cell does. :class:`Guard` is created in the
pristine zygote *before* any student code exists and snapshots what tests depend on:

* the namespaces of ``builtins``, ``numpy``, ``numpy.testing``, ``pandas``, ``pandas.testing``,
  ``unittest``, ``math``, ``operator`` and the runner's own modules (object identity plus
  ``__code__``/``__defaults__`` of every Python function, so in-place code swaps are seen),
* the classes tests and the runner rely on (IPython's shell classes, ``unittest.TestCase``,
  ``numpy.ndarray``, ``pandas.DataFrame``/``Series`` and the core builtin types),
* the shell's input/AST transformers, event callbacks and custom exception handlers,
  ``sys.modules`` entries of those modules, ``sys.meta_path``/``sys.path_hooks``,
  ``sys.excepthook``, and trace/profile hooks.

Before each test cell :meth:`Guard.before_test` restores all of it and returns one flag per
thing that had been changed; :meth:`Guard.after_test` checks again (a student function called
by the test may patch mid-test). Test-cell comparisons ``a == b`` / ``a != b`` are rewritten to a
helper that flags always-equal objects. An audit hook reports introspection and tampering
primitives (``gc`` object walks, ``ctypes`` memory access, trace hooks, new audit hooks -- which
it also refuses) the moment they happen, through a callback that writes straight to the grader.
"""

from __future__ import annotations

import contextlib
import importlib
import secrets
import sys
import threading
import types
from typing import Any

# Inside a kernel this file's source is executed after detect.py's, in one module: the names
# below already exist there and the package import fails harmlessly.
with contextlib.suppress(ImportError):
    from autograder.zygote.detect import (
        CompareRewriter,
        always_equal,
        check_user_names,
        reset_signals,
        snapshot_signals,
        stray_processes,
    )

WATCHED_MODULES = (
    "builtins",
    "numpy",
    "numpy.testing",
    "numpy.testing._private.utils",
    "numpy._core.numeric",
    "numpy._core.fromnumeric",
    "pandas",
    "pandas.testing",
    "pandas._testing",
    "pandas._testing.asserters",
    "unittest",
    "unittest.case",
    "math",
    "operator",
    "os",
    "json",
    "autograder.zygote.runner",
    "autograder.zygote.protocol",
    "autograder.zygote.integrity",
    "autograder.zygote.detect",
)
_MISSING = object()


class _Snapshot:
    """Pristine contents of one namespace: object identities, plus code/defaults of functions.

    Checking compares identities only (never a possibly student-defined ``__eq__``), in two
    flat passes, so a check over ~4,000 entries stays in the low milliseconds.
    """

    def __init__(self, ns: Any, skip: Any = ()) -> None:
        self.objs = {k: v for k, v in ns.items() if k not in skip}
        self.funcs = {
            k: (v, v.__code__, v.__defaults__, v.__kwdefaults__)
            for k, v in self.objs.items()
            if isinstance(v, types.FunctionType)
        }

    def changed(self, ns: Any) -> list[str]:
        get = ns.get
        keys = [k for k, v in self.objs.items() if get(k, _MISSING) is not v]
        keys += [
            k
            for k, (f, code, defaults, kwdefaults) in self.funcs.items()
            if f.__code__ is not code
            or f.__defaults__ is not defaults
            or f.__kwdefaults__ is not kwdefaults
        ]
        return list(dict.fromkeys(keys))

    def restore(self, target: Any, key: str) -> None:
        if key in self.funcs:
            f, f.__code__, f.__defaults__, f.__kwdefaults__ = self.funcs[key]
        if isinstance(target, dict):
            target[key] = self.objs[key]
        else:
            setattr(target, key, self.objs[key])


def _watched_classes(shell: Any) -> list[type]:
    classes: list[type] = [*type(shell).__mro__, type(shell.displayhook), type(shell.display_pub)]
    classes += [object, int, float, complex, bool, str, bytes, list, tuple, dict, set, frozenset]
    import unittest

    classes.append(unittest.TestCase)
    for modname, attrs in (
        ("numpy", ("ndarray", "generic", "floating", "integer")),
        ("pandas", ("DataFrame", "Series", "Index")),
    ):
        mod = sys.modules.get(modname)
        classes += [getattr(mod, a) for a in attrs if mod is not None and hasattr(mod, a)]
    seen: list[type] = []
    for cls in classes:
        if cls not in seen:
            seen.append(cls)
    return seen


class Guard:
    """Pristine snapshot taken in the zygote; checks and restores it in each job's child."""

    def __init__(self, shell: Any, ignore: frozenset[str] = frozenset()) -> None:
        """``ignore``: ``module.name`` / ``sys.name`` entries the host legitimately changes
        (ipykernel swaps ``builtins.input`` and ``sys.excepthook`` per request)."""
        for name in WATCHED_MODULES:
            with contextlib.suppress(ImportError):
                importlib.import_module(name)
        self.shell = shell
        self.modules = {n: sys.modules[n] for n in WATCHED_MODULES if n in sys.modules}
        self.module_ns = {
            n: _Snapshot(vars(m), {k for k in vars(m) if f"{n}.{k}" in ignore})
            for n, m in self.modules.items()
        }
        self.classes = _watched_classes(shell)
        self.class_ns = {c: _Snapshot(vars(c)) for c in self.classes}
        self.shell_lists = {name: list(getattr(shell, name)) for name in self._shell_list_names()}
        tm = shell.input_transformer_manager
        self.transformer_manager = (
            tm,
            {k: list(v) for k, v in vars(tm).items() if isinstance(v, list)},
        )
        self.events = {k: list(v) for k, v in shell.events.callbacks.items()}
        self.shell_keys = set(vars(shell))
        self.shell_attrs = {
            k: vars(shell).get(k, _MISSING) for k in ("custom_exceptions", "CustomTB")
        }
        names = [k for k in ("excepthook", "meta_path", "path_hooks") if f"sys.{k}" not in ignore]
        self.sys_state = {k: getattr(sys, k) for k in names}
        self.threads = {t.ident for t in threading.enumerate()}
        self.signals = snapshot_signals()
        self.sys_lists = {k: list(getattr(sys, k)) for k in ("meta_path", "path_hooks")}
        self.compare_name = "_ag_compare_" + secrets.token_hex(6)
        self._flags: list[str] = []
        self.alerts: list[str] = []  # filled by the audit hook where no direct channel exists
        self._compare = self.compare  # one bound method, so identity checks work

    @staticmethod
    def _shell_list_names() -> tuple[str, ...]:
        # input_transformers_cleanup is a property over the transformer manager's lists
        return ("input_transformers_post", "ast_transformers")

    # -- checks ---------------------------------------------------------------------------
    def before_test(self, source: str = "") -> list[str]:
        """Restore everything a test cell depends on; one flag per thing that was changed."""
        flags: list[str] = self._drain_alerts()
        flags += reset_signals(self.signals)
        self._check_hooks(flags)
        self._check_modules(flags)
        self._check_classes(flags)
        self._check_shell(flags)
        self._check_threads(flags)
        flags += stray_processes()
        flags += check_user_names(self.shell.user_ns, source)
        self.rewriter = CompareRewriter(self.compare_name)
        self.shell.ast_transformers.append(self.rewriter)
        self.shell.user_ns[self.compare_name] = self._compare
        self._flags = []
        return flags

    def after_test(self) -> list[str]:
        """Check again after the test (student functions it called may have patched things)."""
        flags = list(self._flags) + self._drain_alerts()
        if self.shell.user_ns.get(self.compare_name) is not self._compare:
            flags.append("comparison helper replaced during a test cell")
        self.shell.user_ns.pop(self.compare_name, None)
        if self.shell.ast_transformers[-1:] == [self.rewriter]:
            self.shell.ast_transformers.pop()
        for step in (
            self._check_hooks,
            self._check_modules,
            self._check_classes,
            self._check_shell,
        ):
            step(flags)
        return [f"during test: {f}" if not f.startswith("during test") else f for f in flags]

    def _drain_alerts(self) -> list[str]:
        drained, self.alerts[:] = list(self.alerts), []
        return drained

    def _check_hooks(self, flags: list[str]) -> None:
        if sys.gettrace() is not None or getattr(threading, "_trace_hook", None) is not None:
            flags.append("sys.settrace hook was installed (removed)")
        if sys.getprofile() is not None or getattr(threading, "_profile_hook", None) is not None:
            flags.append("sys.setprofile hook was installed (removed)")
        sys.settrace(None)
        sys.setprofile(None)
        threading.settrace(None)  # type: ignore[arg-type]
        threading.setprofile(None)  # type: ignore[arg-type]
        for name, value in self.sys_state.items():
            if name in self.sys_lists:
                current = getattr(sys, name)
                if current is not value or current != self.sys_lists[name]:
                    flags.append(f"sys.{name} was changed (restored)")
                    value[:] = self.sys_lists[name]
                    setattr(sys, name, value)
            elif getattr(sys, name) is not value:
                flags.append(f"sys.{name} was replaced (restored)")
                setattr(sys, name, value)

    def _check_modules(self, flags: list[str]) -> None:
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                flags.append(f"sys.modules[{name!r}] was replaced (restored)")
                sys.modules[name] = module
            ns = vars(module)
            snap = self.module_ns[name]
            for key in snap.changed(ns):
                flags.append(f"{name}.{key} was patched (restored)")
                snap.restore(ns, key)

    def _check_classes(self, flags: list[str]) -> None:
        for cls, snap in self.class_ns.items():
            current = vars(cls)
            added = [k for k in current if k not in snap.objs and not k.startswith("_abc_")]
            for key in snap.changed(current) + added:
                flags.append(f"{cls.__module__}.{cls.__qualname__}.{key} was patched")
                try:
                    if key in snap.objs:
                        snap.restore(cls, key)
                    else:
                        delattr(cls, key)
                except (TypeError, AttributeError):
                    flags.append(f"{cls.__qualname__}.{key} could not be restored")

    def _check_shell(self, flags: list[str]) -> None:
        shell = self.shell
        for name, pristine in self.shell_lists.items():
            if list(getattr(shell, name)) != pristine:
                flags.append(f"IPython {name} were changed (reset)")
            setattr(shell, name, list(pristine))
        tm, lists = self.transformer_manager
        if shell.input_transformer_manager is not tm:
            flags.append("IPython input_transformer_manager was replaced (reset)")
            shell.input_transformer_manager = tm
        for key, pristine in lists.items():
            if getattr(tm, key) != pristine:
                flags.append(f"IPython input transformer list {key} was changed (reset)")
                setattr(tm, key, list(pristine))
        for event, pristine in self.events.items():
            if shell.events.callbacks.get(event) != pristine:
                flags.append(f"IPython event callbacks for {event} were changed (reset)")
                shell.events.callbacks[event] = list(pristine)
        instance = vars(shell)
        for key, value in self.shell_attrs.items():
            if instance.get(key, _MISSING) is not value:
                flags.append(f"get_ipython().{key} was replaced (restored)")
                if value is _MISSING:
                    instance.pop(key, None)
                else:
                    instance[key] = value
        for key in [k for k in instance if k not in self.shell_keys]:
            if callable(getattr(type(shell), key, None)):
                flags.append(f"get_ipython().{key} was overridden (removed)")
                instance.pop(key, None)

    def _check_threads(self, flags: list[str]) -> None:
        extra = [t.name for t in threading.enumerate() if t.ident not in self.threads]
        if extra:
            flags.append(f"background threads still running before a test cell: {extra[:5]}")

    # -- always-equal detection -----------------------------------------------------------
    def compare(self, left: Any, right: Any, negate: bool) -> Any:
        """``left == right`` (or ``!=``), flagging operands that claim equality with anything."""
        result = (left != right) if negate else (left == right)
        for side in (left, right):
            what = always_equal(side)
            if what:
                self._flags.append(f"always-equal object in a test comparison: {what}")
        return result
