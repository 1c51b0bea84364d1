"""The clinics the benchmark builds (plain data: the runner reads it before Django is set up)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    name: str
    practitioners: int
    patients: int
    visits: int


SIZES = {
    size.name: size
    for size in (
        Size("tiny", 2, 300, 400),
        Size("clinic-10k", 10, 5_000, 10_000),
        Size("clinic-100k", 10, 5_000, 100_000),
        Size("group-5k", 50, 50_000, 5_000),
        Size("group-500k", 50, 50_000, 500_000),
    )
}

# The front-desk login the benchmark and the load test use.
DESK_USERNAME, DESK_PASSWORD = "bench-desk", "bench-desk-2026"
