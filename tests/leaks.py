"""Card-data leak checks for the fault and card-data tests (imported as `leaks`).

A leak is anything that shows more of a card than BIN + last four: the full PAN, the PAN without
its last four, or the digits after the BIN. CVVs are searched only where a chance match cannot
happen: as a whole number in text (not part of a longer number, not a process id) and, in binary
files such as the encrypted database, only next to JSON or argument syntax.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterable
from pathlib import Path

# Distinctive test cards (valid Luhn, never real) and a CVV unlikely to occur by chance.
LEAK_VISA = "4929381057462289"
LEAK_MASTERCARD = "5351729046180533"
LEAK_CVV = "9183"
LEAK_CARDS = (LEAK_VISA, LEAK_MASTERCARD)

_PID = re.compile(r'(process |"pid": ?|pid=)\d+')


def pan_needles(pan: str) -> list[str]:
    """Strings whose presence shows more than BIN + last four of `pan`."""
    spaced = " ".join(pan[i : i + 4] for i in range(0, len(pan), 4))
    return [pan, pan[:-4], pan[6:], spaced]


def card_needles(cards: Iterable[str] = LEAK_CARDS) -> list[str]:
    return [needle for pan in cards for needle in pan_needles(pan)]


def text_leaks(
    text: str, cards: Iterable[str] = LEAK_CARDS, cvvs: Iterable[str] = (LEAK_CVV,)
) -> list[str]:
    """The needles (shortened) found in a log line, message or output."""
    found = [f"card {n[:6]}…" for n in card_needles(cards) if n in text]
    unpidded = _PID.sub(r"\1<pid>", text)
    for cvv in cvvs:
        # Not inside a longer number, a decimal or a hex id (a uuid can hold "…-9183-…"-like runs).
        if re.search(rf"(?<![\w.-]){re.escape(cvv)}(?![\w-])", unpidded):
            found.append("cvv")
    return found


def _binary_cvv_contexts(cvv: str) -> list[bytes]:
    return [
        f'"{cvv}"'.encode(),
        f"'{cvv}'".encode(),
        f'{cvv}"'.encode(),
        f"cvv={cvv}".encode(),
        f"--cvv {cvv}".encode(),
        f"cvv {cvv}".encode(),
    ]


def file_leaks(
    root: Path, cards: Iterable[str] = LEAK_CARDS, cvvs: Iterable[str] = (LEAK_CVV,)
) -> list[str]:
    """Every file under `root` holding card data: plain bytes, UTF-16, or (text files) as text."""
    cards = list(cards)
    hits: list[str] = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        name = str(path.relative_to(root))
        for needle in card_needles(cards):
            if needle.encode() in data or needle.encode("utf-16-le") in data:
                hits.append(f"{name} holds card digits {needle[:6]}…")
        for cvv in cvvs:
            if any(ctx in data for ctx in _binary_cvv_contexts(cvv)):
                hits.append(f"{name} holds the CVV")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
        hits.extend(f"{name}: {leak}" for leak in text_leaks(text, cards, cvvs))
    return hits


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under `root` (relative path -> digest)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def loose_permissions(root: Path) -> list[str]:
    """Files not 0600 and folders not 0700 under (and including) `root`; POSIX only."""
    if os.name == "nt":
        return []
    problems = []
    for path in [root, *sorted(root.rglob("*"))]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        wanted = 0o700 if path.is_dir() else 0o600
        if mode != wanted:
            problems.append(f"{path.relative_to(root) if path != root else '.'} is {mode:o}")
    return problems
