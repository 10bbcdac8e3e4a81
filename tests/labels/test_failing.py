"""The shared mutate → run → keep-the-failing routine, with a fake runner (no sandbox)."""

from __future__ import annotations

from yantra_gnn.labels.failing import choose_mutants, failing_mutants
from yantra_gnn.labels.mutate import sample_mutants

SOURCE = "a = int(input())\nb = a + 1\nif a < b and b > 0:\n    print(a * b, a - b)\n"


def test_choose_mutants_filters_then_caps_with_a_seeded_subset() -> None:
    everything = sample_mutants(SOURCE, per_class=2, seed=5)
    uncapped = choose_mutants(SOURCE, per_class=2, seed=5, limit=100, subset_seed="s")
    assert uncapped == everything
    kept = choose_mutants(
        SOURCE, per_class=2, seed=5, limit=100, subset_seed="s", keep=lambda m: m.span[0] >= 2
    )
    assert kept == [m for m in everything if m.span[0] >= 2] and 0 < len(kept) < len(everything)
    capped = choose_mutants(SOURCE, per_class=2, seed=5, limit=3, subset_seed="s")
    assert len(capped) == 3 and capped == [m for m in everything if m in capped]
    assert capped == choose_mutants(SOURCE, per_class=2, seed=5, limit=3, subset_seed="s")
    others = [
        choose_mutants(SOURCE, per_class=2, seed=5, limit=3, subset_seed=f"t{i}") for i in range(5)
    ]
    assert any(other != capped for other in others)


def test_failing_mutants_runs_one_batch_and_keeps_the_failures_per_program() -> None:
    first = choose_mutants(SOURCE, per_class=1, seed=0, limit=4, subset_seed="0")
    second = choose_mutants(SOURCE, per_class=1, seed=1, limit=2, subset_seed="1")
    assert len(first) == 4 and len(second) == 2
    batches: list[list[tuple[int, str]]] = []

    def run(jobs: list[tuple[int, str]]) -> list[str]:
        batches.append(jobs)
        return ["fail" if position % 2 == 0 else "pass" for position in range(len(jobs))]

    runs = failing_mutants([first, [], second], run, lambda outcome: outcome == "pass")
    assert batches == [[(0, m.source) for m in first] + [(2, m.source) for m in second]]
    assert runs.tried == [first, [], second]
    everything = [*first, *second]
    failed = [m for position, m in enumerate(everything) if position % 2 == 0]
    assert [m for program in runs.failing for m, _ in program] == failed
    assert all(outcome == "fail" for program in runs.failing for _, outcome in program)
    assert runs.runs == len(everything)
    assert sum(runs.tried_by_class().values()) == len(everything)
    assert runs.tried_by_class([2]) == runs.tried_by_class([1, 2])
    assert sum(runs.kept_by_class().values()) == len(failed)


def test_nothing_to_run_runs_nothing() -> None:
    def run(jobs: list[tuple[int, str]]) -> list[bool]:
        raise AssertionError("no mutants: the runner must not be called")

    runs = failing_mutants([[], []], run, bool)
    assert runs.tried == [[], []] and runs.failing == [[], []] and runs.runs == 0
