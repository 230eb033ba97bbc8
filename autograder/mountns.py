"""The job's private view of the filesystem: namespaces, a fresh tmpfs root, ``pivot_root``.

Low-level part of :mod:`autograder.sandbox` (see its docstring for the whole mechanism); runs as
root in the job's supervisor process, before the fork into the job's PID namespace.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from autograder.sandbox import SandboxSpec

SANDBOX_HOME = "/home/sandbox"
CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x20000, 0x4000000, 0x8000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 4, 38, 36
PIVOT_ROOT_SYSCALL = {"x86_64": 155, "aarch64": 41}
_SYSTEM_DIRS = ("/usr", "/lib", "/lib32", "/lib64", "/libx32", "/bin", "/sbin")
_ETC_FILES = (
    "/etc/alternatives",
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/localtime",
    "/etc/fonts",
    "/etc/mime.types",
    "/etc/nsswitch.conf",
)
_DEV_NODES = ("null", "zero", "full", "random", "urandom")


def is_under(path: str, parent: str) -> bool:
    return path == parent or path.startswith(parent.rstrip("/") + "/")


class SandboxError(RuntimeError):
    """Setting up the sandbox failed (an infrastructure problem, never the student's fault)."""


# --- low-level syscalls -------------------------------------------------------------------


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def _check(rc: int, what: str) -> None:
    if rc != 0:
        err = ctypes.get_errno()
        raise SandboxError(f"{what}: {os.strerror(err)}")


def mount(src: str | None, target: str, fstype: str | None, flags: int, data: str = "") -> None:
    enc = lambda s: s.encode() if s else None  # noqa: E731
    rc = _libc().mount(enc(src), enc(target), enc(fstype), flags, enc(data))
    _check(rc, f"mount {target}")


def _bind(src: str, target: str, *, writable: bool = False, dev: bool = False) -> None:
    mount(src, target, None, MS_BIND)
    flags = MS_REMOUNT | MS_BIND | MS_NOSUID | (0 if writable else MS_RDONLY)
    mount(None, target, None, flags | (0 if dev else MS_NODEV))


def prctl(option: int, arg: int) -> None:
    _check(_libc().prctl(option, arg, 0, 0, 0), f"prctl({option})")


def _unshare(flags: int) -> None:
    _check(_libc().unshare(flags), "unshare")


def _pivot_root(new_root: str, put_old: str) -> None:
    nr = PIVOT_ROOT_SYSCALL.get(platform.machine())
    if nr is None:
        raise SandboxError(f"pivot_root: unsupported architecture {platform.machine()}")
    _check(_libc().syscall(nr, new_root.encode(), put_old.encode()), "pivot_root")


# --- building the view --------------------------------------------------------------------


def isolate(spec: SandboxSpec) -> None:
    """Enter new namespaces and pivot into the job's private root (caller must be root).

    Afterwards the caller must ``fork``: only its children are inside the new PID namespace.
    """
    _unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID)
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    _check(_libc().sethostname(b"sandbox", 7), "sethostname")
    root = spec.root_mountpoint
    mount("ag-root", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,mode=755")
    _build_root(root, spec)
    os.mkdir(f"{root}/.old")
    _pivot_root(root, f"{root}/.old")
    os.chdir("/")
    _check(_libc().umount2(b"/.old", MNT_DETACH), "umount old root")
    os.rmdir("/.old")
    mount(None, "/", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV)


def _build_root(root: str, spec: SandboxSpec) -> None:
    for path in _SYSTEM_DIRS:
        _place(root, path, spec)
    os.makedirs(f"{root}/etc", exist_ok=True)
    for path in _ETC_FILES:
        _place(root, path, spec)
    _write(
        f"{root}/etc/passwd",
        f"root:x:0:0::/root:/bin/false\nsandbox:x:{spec.uid}:{spec.gid}::{SANDBOX_HOME}:/bin/false\n",
    )
    _write(f"{root}/etc/group", f"root:x:0:\nsandbox:x:{spec.gid}:\n")
    _write(f"{root}/etc/hosts", "127.0.0.1 localhost sandbox\n")
    _build_scratch(root, spec)  # first: binds below /tmp (the kernel's socket dir) go on top
    for path in [*spec.ro_paths, *spec.rw_paths]:
        if any(is_under(path, d) and not os.path.islink(d) for d in _SYSTEM_DIRS):
            continue  # already visible through the system bind
        os.makedirs(root + path, exist_ok=True)
        _bind(path, root + path, writable=path in spec.rw_paths)
    if spec.bind_sys:
        os.makedirs(f"{root}/sys")
        _bind("/sys", f"{root}/sys")
    _build_dev(root, spec)
    os.makedirs(f"{root}/proc")


def _place(root: str, path: str, spec: SandboxSpec) -> None:
    """Recreate a system path in the new root: symlinks as symlinks, the rest read-only."""
    if not os.path.lexists(path):
        return
    target = root + path
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.islink(path):
        os.symlink(os.readlink(path), target)
        return
    if os.path.isdir(path):
        os.makedirs(target, exist_ok=True)
    else:
        _write(target, "")
    _bind(path, target)


def _build_scratch(root: str, spec: SandboxSpec) -> None:
    """One size-limited tmpfs backs /tmp, /dev/shm and the writable layer of the workdir."""
    scratch = f"{root}/.scratch"
    os.mkdir(scratch)
    size = f"size={spec.disk_mb}m,mode=755,nr_inodes=65536"
    mount("ag-scratch", scratch, "tmpfs", MS_NOSUID | MS_NODEV, size)
    for sub, mode in (("tmp", 0o1777), ("shm", 0o1777), ("upper", 0o755), ("work", 0o700)):
        os.mkdir(f"{scratch}/{sub}")
        os.chmod(f"{scratch}/{sub}", mode)
    os.chown(f"{scratch}/upper", spec.uid, spec.gid)
    lower = f"{root}/.lower"
    os.makedirs(lower)
    _bind(os.path.realpath(spec.workdir), lower)
    home = root + SANDBOX_HOME
    os.makedirs(home)
    opts = f"lowerdir={lower},upperdir={scratch}/upper,workdir={scratch}/work"
    mount("ag-work", home, "overlay", MS_NOSUID | MS_NODEV, opts)
    os.makedirs(f"{root}/tmp")
    _bind(f"{scratch}/tmp", f"{root}/tmp", writable=True)
    os.makedirs(f"{root}/dev/shm")
    _bind(f"{scratch}/shm", f"{root}/dev/shm", writable=True)
    for hidden in (lower, scratch):
        _check(_libc().umount2(hidden.encode(), MNT_DETACH), f"umount {hidden}")
        os.rmdir(hidden)


def _build_dev(root: str, spec: SandboxSpec) -> None:
    dev = f"{root}/dev"
    for name in _DEV_NODES:
        _write(f"{dev}/{name}", "")
        _bind(f"/dev/{name}", f"{dev}/{name}", writable=True, dev=True)
    for path in spec.devices:
        target = root + path
        os.makedirs(os.path.dirname(target), exist_ok=True)
        _write(target, "")
        _bind(path, target, writable=True, dev=True)
    os.makedirs(f"{dev}/pts")  # a private devpts instance: `!cmd` (pexpect) needs a pty
    mount(
        "devpts",
        f"{dev}/pts",
        "devpts",
        MS_NOSUID | MS_NOEXEC,
        "newinstance,ptmxmode=0666,mode=0620",
    )
    os.symlink("pts/ptmx", f"{dev}/ptmx")
    for name, dest in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0")):
        os.symlink(dest, f"{dev}/{name}")
    os.symlink("/proc/self/fd/1", f"{dev}/stdout")
    os.symlink("/proc/self/fd/2", f"{dev}/stderr")


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)
