"""The badge picture of an achievement: a small SVG, embedded in the credential as a
``data:`` URI (OB 3.0 ``Achievement.image``), so wallets show it without fetching anything."""

from __future__ import annotations

import base64
import textwrap
from xml.sax.saxutils import escape

#: (ring, fill) colours per focus track; AI foundations is the portal's primary blue.
TRACK_COLOURS = {
    "ai_foundations": ("#2446b8", "#e8edfb"),
    "smart_factory": ("#0f8a7e", "#e2f5f2"),
    "smart_mobility": ("#9a5b00", "#fff3dc"),
    "semiconductors": ("#6a2fb5", "#f1e9fc"),
    "smart_healthcare": ("#b3261e", "#fde8e7"),
}


def _lines(title: str, width: int = 12, most: int = 3) -> list[str]:
    lines = textwrap.wrap(title, width=width, break_long_words=True) or [title]
    if len(lines) > most:
        lines = [*lines[: most - 1], lines[most - 1][: width - 1] + "…"]
    return lines


def badge_svg(title: str, caption: str, track: str) -> str:
    """A round badge with ``title`` (wrapped) and a short ``caption`` under it."""
    ring, fill = TRACK_COLOURS.get(track, TRACK_COLOURS["ai_foundations"])
    lines = _lines(title)
    top = 100 - 11 * (len(lines) - 1)
    text = "".join(
        f'<text x="100" y="{top + 22 * i}" font-size="18" font-weight="700" '
        f'text-anchor="middle" fill="#1b2333">{escape(line)}</text>'
        for i, line in enumerate(lines)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" '
        'height="200" font-family="Noto Sans KR, Noto Sans CJK KR, sans-serif">'
        f'<circle cx="100" cy="100" r="94" fill="{fill}" stroke="{ring}" stroke-width="10"/>'
        f'<circle cx="100" cy="100" r="80" fill="none" stroke="{ring}" stroke-width="2" '
        'stroke-dasharray="4 4"/>'
        f"{text}"
        f'<text x="100" y="162" font-size="12" text-anchor="middle" fill="{ring}">'
        f"{escape(caption)}</text></svg>"
    )


def badge_data_uri(title: str, caption: str, track: str) -> str:
    svg = badge_svg(title, caption, track).encode()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
