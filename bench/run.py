"""Benchmark at a clinic group's sizes: times the front desk's operations on seeded clinics and
prints one table with growth factors and ✓/✗ against the targets of issue 13.

    .venv/bin/python bench/run.py                         # every size, SQLite files in var/bench/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/acuclinic .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py clinic-10k group-500k  # some sizes only
    DATABASE_URL=… .venv/bin/python bench/run.py --summary   # the lead's check: see BENCHMARKS.md

Each size lives in a database of its own (``<name>_bench_<size>`` on the PostgreSQL server of
``DATABASE_URL``, or ``var/bench/<size>.sqlite3``), seeded once by ``bench/seed.py`` and reused
by later runs. ``BENCH_RUNS`` (default 15) timed runs follow two warm-up runs; the median is
shown. Queries are counted and peak Python memory (tracemalloc) measured on one more run each.
"""

import json
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sizes import SIZES  # noqa: E402

# (operation, ms at the largest size, queries, growth from the group's smallest to largest)
TARGETS = {
    "book a 12-session series": (25, 25, 1.3),
    "free slots, one day": (3, None, 1.5),
    "free slots, 12 weeks": (25, None, 1.5),
    "day calendar page": (25, None, 1.3),
    "week calendar page": (40, None, 1.3),
    "patient search": (15, None, None),
    "Book a series page": (30, None, None),
}
PAGE_KB_TARGET = 50
GROWTH = ("group-5k", "group-500k")
COLUMN = 42


def database_for(size: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        name = urllib.parse.urlparse(url).path.lstrip("/") or "acuclinic"
        return f"{name}_bench_{size.replace('-', '_')}"
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    return str(ROOT / "var" / "bench" / f"{size}.sqlite3")


def measure_size(size: str) -> list[dict]:
    """Runs one size in a child process (one database per process) and returns its rows."""
    env = dict(os.environ, ACUCLINIC_BENCH_DB=database_for(size), DJANGO_SETTINGS_MODULE="bench.settings")
    out = subprocess.run(
        [sys.executable, "-m", "bench.operations", size], cwd=ROOT, env=env, check=True,
        stdout=subprocess.PIPE, text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def verdict(name: str, rows_by_size: dict[str, dict], largest: str) -> str:
    ms_target, query_target, growth_target = TARGETS[name]
    row = rows_by_size.get(largest)
    if row is None:
        return ""
    ok = row["median_ms"] <= ms_target and (query_target is None or row["queries"] <= query_target)
    if name == "Book a series page":
        ok = ok and row.get("bytes", 0) <= PAGE_KB_TARGET * 1024
    growth = _growth(name, rows_by_size)
    if growth_target and growth is not None:
        ok = ok and growth <= growth_target
    return "✓" if ok else "✗"


def _growth(name: str, rows_by_size: dict[str, dict]) -> float | None:
    small, large = (rows_by_size.get(s) for s in GROWTH)
    if not small or not large or not small["median_ms"]:
        return None
    return large["median_ms"] / small["median_ms"]


def print_table(results: dict[str, list[dict]]) -> None:
    sizes = list(results)
    by_name: dict[str, dict[str, dict]] = {}
    for size, rows in results.items():
        for row in rows:
            by_name.setdefault(row["what"], {})[size] = row
    header = f"{'operation':<26}" + "".join(f"{s:>{COLUMN}}" for s in sizes) + f"{'growth':>9}  target (largest size)"
    print(header)
    print("-" * len(header))
    for name, cells in by_name.items():
        line = f"{name:<26}"
        for size in sizes:
            row = cells.get(size)
            if row is None:
                line += f"{'':>{COLUMN}}"
                continue
            extra = f" {row['bytes'] / 1024:.0f}kB" if "bytes" in row else ""
            cpu = f" cpu {row['cpu_ms']:.1f}" if "cpu_ms" in row else ""
            line += f"{row['median_ms']:>8.1f}ms{cpu} {row['queries']:>3}q {row['peak_kib']:>5.0f}KiB{extra}".rjust(COLUMN)
        growth = _growth(name, cells)
        line += f"{growth:>8.2f}×" if growth is not None else f"{'':>9}"
        ms, queries, growth_target = TARGETS.get(name, (None, None, None))
        if ms is not None:
            target = f"≤ {ms} ms" + (f", ≤ {queries} q" if queries else "") + (f", ≤ {growth_target}×" if growth_target else "")
            if name == "Book a series page":
                target += f", ≤ {PAGE_KB_TARGET} kB"
            line += f"  {verdict(name, cells, sizes[-1])} {target}"
        print(line)


def summary() -> None:
    """The check a lead runs on a quiet machine: the group's two sizes (targets and growth),
    then the load test on the larger, with the load average and the time it all took."""
    import time

    from bench import load

    started = time.monotonic()
    main(list(GROWTH))
    print()
    load.main([GROWTH[-1]])
    print(f"\nsummary done in {time.monotonic() - started:.0f} s")


def main(argv: list[str]) -> None:
    if argv == ["--summary"]:
        return summary()
    sizes = argv or [name for name in SIZES if name != "tiny"]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        sys.exit(f"unknown size(s) {unknown}; choose from {list(SIZES)}")
    load = os.getloadavg()
    results = {size: measure_size(size) for size in sizes}
    vendor = "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
    runs = os.environ.get("BENCH_RUNS", "15")
    print(f"\n{vendor}; median of {runs} runs after 2 warm-up runs; queries and peak Python memory of one run")
    print(f"load average at start {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, at end "
          + " ".join(f"{x:.2f}" for x in os.getloadavg()) + f"; {os.cpu_count()} CPUs\n")
    print_table(results)


if __name__ == "__main__":
    main(sys.argv[1:])
