"""Collecting one cell's outputs as nbformat v4 dicts under the job's output budget."""

from __future__ import annotations

from typing import Any

TRUNCATED_NOTE = "\n[output truncated: the submission's output limit was reached]\n"


class OutputSink:
    """Collects one cell's nbformat v4 outputs under the job's remaining byte budget."""

    def __init__(self, budget: int) -> None:
        self.outputs: list[dict[str, Any]] = []
        self.budget = budget
        self.used = 0
        self.truncated = False

    def _take(self, size: int) -> bool:
        if self.used + size > self.budget:
            if not self.truncated:
                self.truncated = True
                self.outputs.append(
                    {"output_type": "stream", "name": "stderr", "text": TRUNCATED_NOTE}
                )
            return False
        self.used += size
        return True

    def stream(self, name: str, text: str) -> None:
        if not text or self.truncated:
            return
        data = text.encode(errors="replace")
        room = self.budget - self.used
        if len(data) > room:
            self._take(room)
            text = data[: max(room, 0)].decode(errors="ignore")
            self._append_stream(name, text)
            self._take(len(data))  # records the truncation note
            return
        self._take(len(data))
        self._append_stream(name, text)

    def _append_stream(self, name: str, text: str) -> None:
        last = self.outputs[-1] if self.outputs else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        elif text:
            self.outputs.append({"output_type": "stream", "name": name, "text": text})

    def rich(self, output: dict[str, Any]) -> None:
        size = sum(len(str(v)) for v in output.get("data", {}).values())
        if not self.truncated and self._take(size):
            self.outputs.append(output)

    def clear(self) -> None:
        self.outputs.clear()
