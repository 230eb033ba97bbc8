"""Start a command (an ipykernel) inside the job sandbox: ``kernel_launch SPEC PROCS -- CMD...``.

Run as root by the kernel executor through jupyter_client. This process joins the job's cgroup,
builds the sandbox (:func:`autograder.sandbox.run_isolated`) and stays outside it as the
supervisor: it forwards SIGINT (kernel interrupts) to the sandboxed kernel, which is PID 1 of
the job's PID namespace, and exits with the kernel's status.
"""

from __future__ import annotations

import json
import os
import sys

from autograder.sandbox import PR_SET_PDEATHSIG, SandboxSpec, prctl, run_isolated


def main(argv: list[str]) -> int:
    if "--" not in argv or len(argv) < 4:
        print("usage: kernel_launch SPEC_JSON PROCS_JSON -- COMMAND...", file=sys.stderr)
        return 2
    split = argv.index("--")
    spec = SandboxSpec.from_json(argv[0])
    procs = json.loads(argv[1])
    command = argv[split + 1 :]
    prctl(PR_SET_PDEATHSIG, 9)
    for path in procs:
        with open(path, "w") as fh:
            fh.write(str(os.getpid()))

    def start() -> int:
        os.execv(command[0], command)
        return 127  # not reached

    return run_isolated(spec, start, on_error=lambda m: print(m, file=sys.stderr))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
