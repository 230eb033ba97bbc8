"""A small seccomp filter for the sandbox: defence in depth, not the boundary.

The namespaces, the mount view and the unprivileged uid are the boundary. This filter removes
kernel attack surface an unprivileged process would otherwise still have here (unprivileged
user namespaces are enabled on the target machines): creating new namespaces, ``setns``,
keyrings, ``bpf``, ``perf_event_open``, ``userfaultfd``, io_uring, and ``ptrace`` /
``process_vm_*`` / ``pidfd_getfd`` (a student's subprocess must not rewrite the runner's memory)
fail with EPERM.
``clone3`` answers ENOSYS (its flags live in memory a classic filter cannot read), so libc
falls back to ``clone``, whose flags are checked. x32 system calls are refused on x86_64.

Written as a raw classic-BPF program (no libseccomp dependency); installed after
``PR_SET_NO_NEW_PRIVS`` and inherited across ``fork`` and ``execve``.
"""

from __future__ import annotations

import ctypes
import errno
import platform

PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000
BPF_LD_W_ABS, BPF_JEQ_K, BPF_JGE_K, BPF_JSET_K, BPF_RET_K = 0x20, 0x15, 0x35, 0x45, 0x06
NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEW{NS,CGROUP,UTS,IPC,USER,PID,NET}
X32_SYSCALL_BIT = 0x40000000

# arch -> (AUDIT_ARCH, {name: number})
ARCHES = {
    "x86_64": (
        0xC000003E,
        {
            "clone": 56, "unshare": 272, "clone3": 435, "setns": 308, "keyctl": 250,
            "add_key": 248, "request_key": 249, "bpf": 321, "perf_event_open": 298,
            "userfaultfd": 323, "io_uring_setup": 425, "io_uring_enter": 426,
            "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
            "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "clone": 220, "unshare": 97, "clone3": 435, "setns": 268, "keyctl": 219,
            "add_key": 217, "request_key": 218, "bpf": 280, "perf_event_open": 241,
            "userfaultfd": 282, "io_uring_setup": 425, "io_uring_enter": 426,
            "io_uring_register": 427, "open_tree": 428, "move_mount": 429, "fsopen": 430,
            "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_getfd": 438,
        },
    ),
}  # fmt: skip
DENIED = (
    "setns", "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "open_tree", "move_mount", "fsopen",
    # another process of the job must not read or write the runner's memory (forged results)
    "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd",
)  # fmt: skip


class _SockFilter(ctypes.Structure):
    _fields_ = [
        ("code", ctypes.c_ushort),
        ("jt", ctypes.c_ubyte),
        ("jf", ctypes.c_ubyte),
        ("k", ctypes.c_uint),
    ]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def _errno(code: int) -> int:
    return SECCOMP_RET_ERRNO | code


def build_program(machine: str) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions for ``machine``; KeyError if unsupported."""
    audit_arch, nr = ARCHES[machine]
    deny = _errno(errno.EPERM)
    prog: list[tuple[int, int, int, int]] = [
        (BPF_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        (BPF_JEQ_K, 1, 0, audit_arch),
        (BPF_RET_K, 0, 0, deny),  # a foreign ABI: refuse
        (BPF_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
    ]
    if machine == "x86_64":
        prog += [(BPF_JGE_K, 0, 1, X32_SYSCALL_BIT), (BPF_RET_K, 0, 0, deny)]
    prog += [(BPF_JEQ_K, 0, 1, nr["clone3"]), (BPF_RET_K, 0, 0, _errno(errno.ENOSYS))]
    for name in DENIED:
        prog += [(BPF_JEQ_K, 0, 1, nr[name]), (BPF_RET_K, 0, 0, deny)]
    # clone/unshare: refuse namespace flags (args[0], low 32 bits at offset 16)
    prog += [
        (BPF_JEQ_K, 1, 0, nr["clone"]),
        (BPF_JEQ_K, 0, 3, nr["unshare"]),
        (BPF_LD_W_ABS, 0, 0, 16),
        (BPF_JSET_K, 0, 1, NAMESPACE_FLAGS),
        (BPF_RET_K, 0, 0, deny),
        (BPF_RET_K, 0, 0, SECCOMP_RET_ALLOW),
    ]
    return prog


def install() -> None:
    """Install the filter in the calling process (needs ``no_new_privs`` or CAP_SYS_ADMIN).

    Raises OSError when the kernel refuses and KeyError on an unsupported architecture.
    """
    prog = build_program(platform.machine())
    array = (_SockFilter * len(prog))(*[_SockFilter(*ins) for ins in prog])
    fprog = _SockFprog(len(prog), array)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [
        ctypes.c_int,
        ctypes.c_ulong,
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_ulong,
    ]
    if libc.prctl(
        PR_SET_SECCOMP,
        SECCOMP_MODE_FILTER,
        ctypes.cast(ctypes.pointer(fprog), ctypes.c_void_p),
        0,
        0,
    ):
        err = ctypes.get_errno()
        raise OSError(err, f"seccomp: {errno.errorcode.get(err, err)}")
