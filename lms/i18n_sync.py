"""Bring the Korean catalogue up to date with the code, safely when several people edit it.

    .venv/bin/python -m lms.i18n_sync [TRANSLATIONS.json ...]

Under an exclusive lock (so concurrent runs never overwrite each other's work) it extracts
every msgid from ``lms/`` with ``babel.cfg``, updates ``lms/translations/ko`` (no fuzzy
matching), fills empty ``msgstr`` entries from the given JSON files (``{"msgid": "번역"}``;
for a plural entry the value is a list ``["singular", "plural"]``), compiles the ``.mo`` and
prints the msgids still untranslated. Exit status 1 when some remain.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "lms" / "translations" / "ko" / "LC_MESSAGES" / "messages.po"
LOCK = Path(tempfile.gettempdir()) / "lms-i18n-sync.lock"


def _pybabel(*args: str) -> None:
    pybabel = Path(sys.executable).with_name("pybabel")
    subprocess.run([str(pybabel), "-q", *args], cwd=ROOT, check=True)


def _fill(translations: dict[str, object]) -> list[str]:
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle, locale="ko")
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        value = translations.get(key)
        empty = not any(message.string) if message.pluralizable else not message.string
        if empty and value:
            if message.pluralizable:
                message.string = tuple(value) if isinstance(value, list) else (value,)
            else:
                message.string = value
        elif empty:
            missing.append(key)
    with CATALOGUE.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    return missing


def main(argv: list[str]) -> int:
    translations: dict[str, object] = {}
    for name in argv:
        translations.update(json.loads(Path(name).read_text(encoding="utf-8")))
    with LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with tempfile.TemporaryDirectory() as tmp:
            pot = str(Path(tmp) / "messages.pot")
            _pybabel(
                "extract", "-F", "babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", pot, "lms"
            )
            _pybabel(
                "update", "-i", pot, "-d", "lms/translations", "-l", "ko", "--no-fuzzy-matching"
            )
        missing = _fill(translations)
        _pybabel("compile", "-d", "lms/translations")
    for key in missing:
        print(f"untranslated: {key!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
