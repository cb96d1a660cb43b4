"""Benchmark: how the Markdown → Telegram converter's time grows with the size of an answer.

    .venv/bin/python bench/formatting_speed.py [--size 4000] [--runs 5]

For each kind of input (LLM-like Markdown from random tokens, a paragraph of unclosed markers,
many links, a long code block, a table, deep quotes and lists) it times `render_for_telegram`
(split, converted to HTML and to plain text) at `--size` characters and at 8x that size, and
`html.escape` over the same text as a floor. After one warm-up the three take turns for --runs
rounds (see benchtiming.py), and only ratios of the CPU time of calls in the same round are
judged, so other jobs on the machine change little:

* growth  - (time at 8x the size / time at the size) / 8; 1.0 is linear;
* vs floor - conversion time / `html.escape` time at 8x the size (for information);
* CPU per 1,000 characters at 8x the size (for information).

Target: growth <= 3 for every input: a quadratic path shows as about 8, while splitting into
4,096-character parts alone lifts a linear one towards 2. The exit status is 1 when the target
is missed. This replaces the wall-clock limit the formatting unit test used to have.
"""

import argparse
import html
import random
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchtiming import Timing, in_turns

from bot.formatting import render_for_telegram

GROWTH = 8
GROWTH_TARGET = 3.0
# No fence: one unclosed ``` would turn the rest of a long input into a cheap code block.
TOKENS = [
    "*", "**", "_", "__", "~~", "`", "[", "]", "(", ")", "[a](https://x.y)", "<", ">",
    "&", "\\", "# ", "> ", "- ", "1. ", "|", "---", "\n", "\n\n", " ", " ", " ", "word",
    "snake_case", "2*3", "https://a.b/_c_", "é", "😀",
]  # fmt: skip


def random_markdown(size: int) -> str:
    rng = random.Random(20240601)
    parts, length = [], 0
    while length < size:
        token = rng.choice(TOKENS)
        parts.append(token)
        length += len(token)
    return "".join(parts)


def repeated(unit: str) -> Callable[[int], str]:
    return lambda size: (unit * (size // len(unit) + 1))[:size]


def code_block(size: int) -> str:
    return "```python\n" + repeated("x = a_b * 2  # <tag> & more\n")(size) + "\n```"


def table(size: int) -> str:
    return "| name | price |\n|---|---|\n" + repeated("| **Audit** | 5 000 ₽ |\n")(size)


INPUTS = {
    "random Markdown": random_markdown,
    "unclosed markers": repeated("**bold _it ~~del `code [link "),
    "many links": repeated("see [the price](https://example.com/a_b?x=1&y=2) and "),
    "long code block": code_block,
    "table": table,
    "quotes and lists": repeated("> - *item* with _words_\n>   - nested **more**\n"),
}


def measure(make: Callable[[int], str], size: int, runs: int) -> tuple[Timing, float, float]:
    """The conversion at 8x the size, its growth from 1x and its ratio to the floor.

    The three calls take turns, so the ratios come from timings taken side by side; they are
    ratios of CPU time, as the work is all in this process.
    """
    small, large = make(size), make(size * GROWTH)
    timings = in_turns(
        {
            "small": lambda: render_for_telegram(small),
            "large": lambda: render_for_telegram(large),
            "floor": lambda: html.escape(large),
        },
        runs,
    )
    large_time = timings["large"]
    growth = large_time.cpu_ratio(timings["small"]) / GROWTH
    return large_time, growth, large_time.cpu_ratio(timings["floor"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    large = args.size * GROWTH
    print(
        f"{'input':<18} {'ms at ' + str(large):>12} {'CPU µs per 1,000 chars':>23} "
        f"{'growth':>8} {'vs floor':>10}"
    )
    failed = []
    for name, make in INPUTS.items():
        timing, growth, floor_ratio = measure(make, args.size, args.runs)
        verdict = "" if growth <= GROWTH_TARGET else "  FAIL"
        per_thousand = timing.cpu_ms * 1_000_000 / large
        print(
            f"{name:<18} {timing.wall_ms:>12.1f} {per_thousand:>23.1f} {growth:>8.2f} "
            f"{floor_ratio:>9.0f}x{verdict}"
        )
        if verdict:
            failed.append(name)
    print(f"target: growth <= {GROWTH_TARGET} for every input: {'FAIL' if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
