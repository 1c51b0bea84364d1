"""The benchmark runs end to end at a tiny size, so it never rots: seeding, every operation,
and the table with its verdicts."""

from bench import operations
from bench.run import TARGETS, print_table
from bench.seed import is_seeded, seed
from bench.sizes import SIZES
from scheduling.models import Visit


def test_the_seed_builds_the_size_asked_without_overlaps(db):
    size = SIZES["tiny"]
    count = seed(size)
    assert is_seeded(size)
    assert count == Visit.objects.count() > size.visits * 0.8
    # The database would refuse overlaps on PostgreSQL; on SQLite check the generator itself.
    seen = set()
    for practitioner_id, room_id, patient_id, starts_at in Visit.objects.filter(status__in=Visit.BLOCKING).values_list(
        "practitioner_id", "room_id", "patient_id", "starts_at"
    ):
        for key in (("practitioner", practitioner_id), ("room", room_id), ("patient", patient_id)):
            assert (key, starts_at) not in seen
            seen.add((key, starts_at))


def test_every_operation_is_timed_and_judged(db, capsys):
    rows = operations.run(SIZES["tiny"], runs=1)
    assert [row["what"] for row in rows] == list(TARGETS)
    assert all(row["median_ms"] > 0 and row["queries"] > 0 for row in rows)
    print_table({"tiny": rows})
    table = capsys.readouterr().out
    for name in TARGETS:
        line = next(line for line in table.splitlines() if line.startswith(name))
        assert "✓" in line or "✗" in line
