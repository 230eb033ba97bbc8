"""Similarity flags on 500 submissions: time to normalise and fingerprint the answer code,
and to find the pairs through the inverted index (lms.grading.similarity, no database).

    .venv/bin/python bench/similarity_bench.py [--n 500] [--copies 25]

Each synthetic learner writes a program of its own (random operations, loops and
conditions over five functions, ~60 lines); ``--copies`` of them are copied by another
learner with every name renamed and comments added. Prints timings and how many copies
were found at the default threshold and how many other pairs were reported.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lms.grading.similarity import fingerprints, normalise, similar_pairs  # noqa: E402

OPS = ["+", "-", "*", "//", "%", "**"]
CALLS = ["np.sum", "np.mean", "np.max", "len", "abs", "sorted", "np.cumsum", "np.diff"]


def program(rng: random.Random) -> str:
    lines = []
    for f in range(5):
        lines.append(f"def step{f}(data, k):")
        lines.append("    acc = 0")
        for _ in range(rng.randint(6, 12)):
            kind = rng.random()
            a, b = rng.choice(["acc", "k", "data[0]"]), rng.randint(1, 9)
            if kind < 0.4:
                lines.append(f"    acc = {a} {rng.choice(OPS)} {b}")
            elif kind < 0.7:
                lines.append(f"    for i in range({b}):")
                lines.append(
                    f"        acc {rng.choice(['+', '-', '*'])}= {rng.choice(CALLS)}(data) + i"
                )
            else:
                lines.append(f"    if {a} > {b}:")
                lines.append(f"        acc = {rng.choice(CALLS)}(data) {rng.choice(OPS)} {b}")
        lines.append("    return acc")
    return "\n".join(lines) + "\n"


def disguise(code: str, rng: random.Random) -> str:
    names = {"acc": "total", "data": "xs", "k": "param", "i": "j"}
    code = re.sub(r"\b(acc|data|k|i)\b", lambda m: names[m.group(1)], code)
    code = re.sub(r"def step(\d)", lambda m: f"def my_func_{m.group(1)}", code)
    return "\n".join(f"{line}  # {rng.randint(0, 99)}" for line in code.splitlines()) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--copies", type=int, default=25)
    args = parser.parse_args()
    rng = random.Random(2026)
    codes = {i: program(rng) for i in range(args.n - args.copies)}
    copies = {}
    for c, original in enumerate(rng.sample(sorted(codes), args.copies)):
        copies[f"copy{c}"] = original
        codes[f"copy{c}"] = disguise(codes[original], rng)
    start = time.perf_counter()
    prints = {key: fingerprints(normalise(code)) for key, code in codes.items()}
    fingerprinted = time.perf_counter()
    pairs = similar_pairs(prints, 0.7)
    paired = time.perf_counter()
    found = {frozenset((a, b)) for a, b, _ in pairs}
    hits = sum(frozenset((c, o)) in found for c, o in copies.items())
    lines = sum(code.count("\n") for code in codes.values()) / len(codes)
    print(f"submissions: {len(codes)} (~{lines:.0f} lines each), disguised copies: {len(copies)}")
    print(f"normalise + fingerprint: {fingerprinted - start:.2f} s")
    print(f"pairs via index:         {paired - fingerprinted:.2f} s")
    print(f"copies found at 0.70: {hits}/{len(copies)}; other pairs reported: {len(pairs) - hits}")


if __name__ == "__main__":
    main()
