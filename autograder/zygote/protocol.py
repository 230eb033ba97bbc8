"""Length-prefixed JSON frames over pipes between the grader and a job's runner.

A frame is a 4-byte big-endian length followed by that many bytes of UTF-8 JSON (an object).
The reader refuses frames above its cap, so a runaway or hostile child cannot make the grader
allocate without bound, and it never blocks past its deadline.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time
from typing import Any

HEADER = struct.Struct(">I")
ERROR_TEXT_LIMIT = 4_000  # characters kept of an exception message / of one traceback entry
TRACEBACK_LIMIT = 40  # traceback entries kept (the last ones: where the error happened)


def clip_error(output: dict[str, Any]) -> dict[str, Any]:
    """An nbformat ``error`` output with its message and traceback cut to a bounded size, so
    an enormous exception (``raise ValueError("x" * 10**8)``) stays an ordinary error."""

    def clip(text: Any) -> str:
        text = str(text)
        if len(text) <= ERROR_TEXT_LIMIT:
            return text
        return text[:ERROR_TEXT_LIMIT] + f"... [{len(text) - ERROR_TEXT_LIMIT} characters cut]"

    traceback = [clip(line) for line in list(output.get("traceback") or [])[-TRACEBACK_LIMIT:]]
    return {
        **output,
        "ename": clip(output.get("ename", ""))[:200],
        "evalue": clip(output.get("evalue", "")),
        "traceback": traceback,
    }


class FrameError(Exception):
    """The byte stream is not a valid sequence of frames (tampering or a crash mid-write)."""


class FrameTimeout(Exception):
    """No complete frame arrived before the deadline."""


def encode(obj: dict[str, Any]) -> bytes:
    data = json.dumps(obj, separators=(",", ":"), default=str).encode()
    return HEADER.pack(len(data)) + data


def write_frame(fd: int, obj: dict[str, Any]) -> None:
    """Write one whole frame (blocking)."""
    view = memoryview(encode(obj))
    while view:
        view = view[os.write(fd, view) :]


class FrameReader:
    """Reads frames from ``fd`` with an overall size cap per frame."""

    def __init__(self, fd: int, max_frame_bytes: int) -> None:
        self.fd = fd
        self.max_frame_bytes = max_frame_bytes
        self.buffer = bytearray()
        self.eof = False

    def read(self, deadline: float | None = None) -> dict[str, Any] | None:
        """Next frame, or ``None`` at end of stream; raises FrameTimeout / FrameError."""
        while True:
            frame = self._parse()
            if frame is not None:
                return frame
            if self.eof:
                if self.buffer:
                    raise FrameError(f"stream ended inside a frame ({len(self.buffer)} bytes)")
                return None
            self._fill(deadline)

    def _parse(self) -> dict[str, Any] | None:
        if len(self.buffer) < HEADER.size:
            return None
        (length,) = HEADER.unpack_from(self.buffer)
        if length > self.max_frame_bytes:
            raise FrameError(f"frame of {length} bytes exceeds the cap of {self.max_frame_bytes}")
        if len(self.buffer) < HEADER.size + length:
            return None
        data = bytes(self.buffer[HEADER.size : HEADER.size + length])
        del self.buffer[: HEADER.size + length]
        try:
            obj = json.loads(data)
        except ValueError as exc:
            raise FrameError(f"frame is not JSON: {exc}") from None
        if not isinstance(obj, dict):
            raise FrameError("frame is not a JSON object")
        return obj

    def _fill(self, deadline: float | None) -> None:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
                raise FrameTimeout()
        chunk = os.read(self.fd, 1 << 16)
        if not chunk:
            self.eof = True
        self.buffer += chunk

    def pending(self) -> bool:
        """True when bytes are buffered or immediately readable (unexpected extra frames)."""
        if self.buffer:
            return True
        return not self.eof and bool(select.select([self.fd], [], [], 0)[0])
