"""Timing for the benchmarks: variants take turns, and each is judged against a baseline.

Timing one variant several times and then the next lets a change of load between them (other
jobs on a shared machine) skew the comparison. Here every round runs each variant once, in
turn (A, B, C, A, B, C, ...), so a change of load falls on all of them alike; a ratio is the
median over the rounds of the variant's time / the baseline's time in the same round. Beside
the wall clock each call's CPU time is taken (`time.process_time`: every thread of this
process, none of a database server's), the figure a busy machine disturbs least; where all
the work is in this process, its ratios (`Timing.cpu_ratio`) are the ones to judge.
"""

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    """One variant's rounds: wall-clock and CPU milliseconds of each call, in round order."""

    walls: tuple[float, ...]
    cpus: tuple[float, ...]

    @property
    def wall_ms(self) -> float:
        """The median wall-clock time of a call, in milliseconds."""
        return statistics.median(self.walls)

    @property
    def cpu_ms(self) -> float:
        """The median CPU time of a call, in milliseconds."""
        return statistics.median(self.cpus)

    def ratio(self, baseline: "Timing") -> float:
        """Median over the rounds of this call's wall time / the baseline's in the same round."""
        return _median_ratio(self.walls, baseline.walls)

    def cpu_ratio(self, baseline: "Timing") -> float:
        """The same for CPU time: for work that is all in this process, waiting for a core
        (other jobs on the machine) does not count."""
        return _median_ratio(self.cpus, baseline.cpus)


def _median_ratio(values: tuple[float, ...], baselines: tuple[float, ...]) -> float:
    pairs = zip(values, baselines, strict=True)
    return statistics.median(value / max(base, 1e-9) for value, base in pairs)


def in_turns(calls: dict[str, Callable[[], object]], runs: int) -> dict[str, Timing]:
    """Each call once to warm up, then `runs` rounds in which every call runs once, in turn."""
    for call in calls.values():
        call()
    walls: dict[str, list[float]] = {name: [] for name in calls}
    cpus: dict[str, list[float]] = {name: [] for name in calls}
    for _round in range(runs):
        for name, call in calls.items():
            wall, cpu = time.perf_counter(), time.process_time()
            call()
            cpus[name].append((time.process_time() - cpu) * 1000)
            walls[name].append((time.perf_counter() - wall) * 1000)
    return {name: Timing(tuple(walls[name]), tuple(cpus[name])) for name in calls}
