"""Distributed training: 2 CPU processes (gloo) against one process, rank 0's files,
a killed rank, resume under 2 ranks, and the sampler's shares.

The processes are real: one run goes through ``python -m torch.distributed.run`` and
``examples/train_codecontests.py`` (the user's command); the others are forked from this
process with torchrun's environment variables (``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR``, ``MASTER_PORT``), the same path through ``setup_distributed``, without
importing torch again in each process (a dozen seconds each on the loaded 2-core test
machine).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import torch
import torch.distributed as dist
from yantra_test_helpers import REPO_ROOT, TINY_TRAINING, write_tiny_prepared

from yantra_gnn.data.loader import GroupBatchSampler
from yantra_gnn.errors import ConfigError, DatasetError
from yantra_gnn.train import TrainConfig, Trainer
from yantra_gnn.train.distributed import torchrun_environment

pytestmark = [
    pytest.mark.skipif(
        not (dist.is_available() and dist.is_gloo_available()),
        reason="this torch build has no gloo backend",
    ),
    pytest.mark.skipif(
        "fork" not in multiprocessing.get_all_start_methods(),
        reason="the ranks are forked (no fork on this platform)",
    ),
]

EPOCHS = 3
PER_RANK = 4
#: The equivalence run: tiny model, no dropout, and only the loss terms that are means
#: over a batch's graphs (confidence BCE, imports BCE). The contrastive, ranking and bug
#: terms are computed over each rank's own batch, so with them a 2-rank step is not the
#: one-process step of the same global batch (docs/training.md, "Distributed training").
EQUIVALENT = {
    **TINY_TRAINING,
    "epochs": EPOCHS,
    "dropout": 0.0,
    "weight_code": 0.0,
    "weight_rank": 0.0,
    "weight_bugs": 0.0,
    "calibrate": False,
    "device": "cpu",
}
#: Every weight of the 2-process run within this of the one-process run's. Both sum the
#: same per-graph gradients in another order (two half-batch means averaged by the
#: all-reduce against one mean), so they differ by float32 rounding: 5e-8 measured after
#: the 6 steps of 3 epochs. 1e-5 leaves room for that to grow on another CPU, and is far
#: below what training moves the weights (checked: > 1e-3, about lr x steps).
TOLERANCE = 1e-5

#: Run by torchrun in place of the example: records what this rank writes inside a
#: folder (Python's audit events for opening to write, renaming, removing, making
#: directories), then runs examples/train_codecontests.py with the remaining arguments.
AUDITED_EXAMPLE = textwrap.dedent(
    """
    import atexit, json, os, runpy, sys

    folder, report, example = sys.argv[1:4]
    sys.argv = [example, *sys.argv[4:]]
    folder = os.path.realpath(folder)
    writes = []
    WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    PATH_EVENTS = ("os.rename", "os.remove", "os.mkdir", "os.rmdir", "shutil.rmtree")

    def inside(path):
        if isinstance(path, int):
            return False
        try:
            return os.path.realpath(os.fsdecode(path)).startswith(folder)
        except (TypeError, ValueError):
            return False

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            writing = any(c in mode for c in "wax+") if isinstance(mode, str) else flags & WRITING
            if writing and inside(path):
                writes.append([event, os.fsdecode(path)])
        elif event in PATH_EVENTS:
            paths = [a for a in args[:2] if isinstance(a, str | bytes | os.PathLike)]
            if any(inside(p) for p in paths):
                writes.append([event, *map(os.fsdecode, paths)])

    def dump():
        with open(f"{report}.rank{os.environ['RANK']}.json", "w") as handle:
            json.dump(writes, handle)

    atexit.register(dump)
    sys.addaudithook(hook)
    runpy.run_path(example, run_name="__main__")
    """
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def model_state(path: Path) -> dict[str, torch.Tensor]:
    return torch.load(path, weights_only=True)["model_state"]


def max_difference(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> float:
    assert a.keys() == b.keys()
    return max(float((a[key] - b[key]).abs().max()) for key in a)


def epochs_in(folder: Path) -> list[int]:
    return [int(row["epoch"]) for row in csv.DictReader((folder / "metrics.csv").open())]


def _rank_main(
    rank: int, port: int, settings: dict[str, Any], resume: str | None, kill_at: int | None
) -> None:
    """One rank, forked: torchrun's variables, then a Trainer run. With ``kill_at``, rank 1
    kills itself (SIGKILL) right after the first optimizer step of that epoch (0-based):
    rank 0 has then written the epoch before and waits in the next all-reduce."""
    os.environ.update(
        RANK=str(rank),
        WORLD_SIZE="2",
        LOCAL_RANK=str(rank),
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
    )
    trainer = Trainer(TrainConfig.from_dict(settings), resume=resume)
    if kill_at is not None and rank == 1:
        train_epoch, step = trainer.train_epoch, trainer.optimizer.step

        def step_then_die(*args: Any, **kwargs: Any) -> Any:
            result = step(*args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)
            return result

        def killing_epoch(epoch: int) -> dict[str, float]:
            if epoch == kill_at:
                trainer.optimizer.step = step_then_die  # type: ignore[method-assign]
            return train_epoch(epoch)

        trainer.train_epoch = killing_epoch  # type: ignore[method-assign]
    trainer.fit()


def run_two_ranks(
    settings: dict[str, Any], *, resume: str | None = None, kill_at: int | None = None
) -> list[int | None]:
    """Fork 2 ranks; their exit codes (``None``: still running after 90 s, then killed)."""
    context = multiprocessing.get_context("fork")
    port = free_port()
    ranks = [
        context.Process(target=_rank_main, args=(rank, port, settings, resume, kill_at))
        for rank in range(2)
    ]
    for process in ranks:
        process.start()
    codes = []
    for process in ranks:
        process.join(90)
        codes.append(process.exitcode)
    for process in ranks:
        if process.exitcode is None:
            process.kill()
            process.join()
    return codes


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The one-process reference and the runs of 2 processes, made once for the module."""
    base = tmp_path_factory.mktemp("ddp")
    root = write_tiny_prepared(base / "prepared")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("HOME", str(base / "home"))  # sandbox cache; the ranks inherit it
        settings = {**EQUIVALENT, "data": str(root)}
        # One process, global batch 8 = 2 ranks x 4 (labels and caches the data first).
        single = Trainer(
            TrainConfig.from_dict(
                {**settings, "batch_size": 2 * PER_RANK, "output": str(base / "one")}
            )
        )
        initial = {k: v.clone() for k, v in single.model.state_dict().items()}
        single.fit()

        # 2 ranks through torchrun and the example script, each rank's writes recorded.
        wrapper = base / "audited_example.py"
        wrapper.write_text(AUDITED_EXAMPLE)
        torchrun_out = base / "torchrun"
        options = {**settings, "batch_size": PER_RANK, "output": str(torchrun_out)}
        arguments = [
            f"--{name.replace('_', '-')}={','.join(map(str, v)) if isinstance(v, tuple) else v}"
            for name, v in options.items()
        ]
        completed = subprocess.run(
            [
                sys.executable,
                "-m",
                "torch.distributed.run",
                "--standalone",
                "--nproc_per_node=2",
                str(wrapper),
                str(torchrun_out),
                str(base / "writes"),
                str(REPO_ROOT / "examples" / "train_codecontests.py"),
                *arguments,
            ],
            capture_output=True,
            text=True,
            timeout=150,
        )

        # 2 forked ranks: rank 1 dies in epoch 2, then both resume to the end.
        resumed_settings = {**settings, "batch_size": PER_RANK, "output": str(base / "killed")}
        killed_codes = run_two_ranks(resumed_settings, kill_at=1)
        killed_epochs = epochs_in(base / "killed")
        resumed_codes = run_two_ranks(resumed_settings, resume="last")
    return {
        "base": base,
        "initial": initial,
        "single": single,
        "torchrun": completed,
        "torchrun_out": torchrun_out,
        "killed_codes": killed_codes,
        "killed_epochs": killed_epochs,
        "resumed_codes": resumed_codes,
        "resumed_out": base / "killed",
    }


def test_two_ranks_match_one_process_with_the_same_global_batch(runs):
    completed = runs["torchrun"]
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    one = model_state(runs["base"] / "one" / "last_model.pt")
    two = model_state(runs["torchrun_out"] / "last_model.pt")
    assert max_difference(one, two) < TOLERANCE
    assert max_difference(one, runs["initial"]) > 100 * TOLERANCE  # training moved them
    assert epochs_in(runs["torchrun_out"]) == list(range(1, EPOCHS + 1))
    # the train loss of an epoch is over the graphs of both ranks: the one-process value
    ddp_rows = list(csv.DictReader((runs["torchrun_out"] / "metrics.csv").open()))
    for row, reference in zip(ddp_rows, runs["single"].history, strict=True):
        assert float(row["train_loss"]) == pytest.approx(reference["train_loss"], rel=1e-5)
        assert float(row["val_loss"]) == pytest.approx(reference["val_loss"], rel=1e-5)


def test_rank_0_alone_writes_the_run_and_its_logs(runs):
    completed = runs["torchrun"]
    assert completed.returncode == 0, completed.stderr[-3000:]
    base = runs["base"]
    rank0 = json.loads((base / "writes.rank0.json").read_text())
    rank1 = json.loads((base / "writes.rank1.json").read_text())
    assert rank1 == []
    written = Counter(Path(entry[-1]).name for entry in rank0)
    assert {"config.yaml", "metrics.csv", "training.png"} <= set(written)  # the audit sees
    out = runs["torchrun_out"]
    assert sorted(p.name for p in out.glob("*.pt")) == [
        "best_model.pt",
        *(f"epoch_{e:03d}.pt" for e in range(1, EPOCHS + 1)),
        "last_model.pt",
    ]
    assert (out / "best_model.safetensors").exists()
    # one rank logs: each epoch's line and the final summary's log once
    output = completed.stdout + completed.stderr
    for epoch in range(1, EPOCHS + 1):
        assert output.count(f"epoch {epoch}/{EPOCHS}: train loss") == 1, output[-3000:]
    assert output.count("distributed training: 2 processes (gloo)") == 1


def test_a_killed_rank_ends_the_job_and_resume_under_two_ranks_continues_it(runs):
    # rank 1 killed (SIGKILL) in epoch 2; rank 0 fails in its next collective: nobody hangs
    assert runs["killed_codes"][1] == -signal.SIGKILL
    assert runs["killed_codes"][0] not in (0, None)
    assert runs["killed_epochs"] == [1]  # last_model.pt holds epoch 1
    # both ranks resumed from last_model.pt and finished the run
    assert runs["resumed_codes"] == [0, 0]
    out = runs["resumed_out"]
    assert epochs_in(out) == list(range(1, EPOCHS + 1))
    assert torch.load(out / "last_model.pt", weights_only=True)["epoch"] == EPOCHS
    # ... to the very weights of the uninterrupted 2-rank run (same settings)
    resumed = model_state(out / "last_model.pt")
    uninterrupted = model_state(runs["torchrun_out"] / "last_model.pt")
    for key, value in uninterrupted.items():
        assert torch.equal(value, resumed[key]), key


# ---------------------------------------------------------------------- the sampler
GROUPS = [0] * 7 + [1] * 5 + [2] * 9 + [3] * 2  # 23 programs of 4 problems


def test_the_ranks_share_the_one_process_batches_of_the_global_batch_size():
    one = GroupBatchSampler(GROUPS, batch_size=8, per_group=4, seed=3)
    ranks = [
        GroupBatchSampler(GROUPS, batch_size=4, per_group=4, seed=3, num_replicas=2, rank=r)
        for r in range(2)
    ]
    for epoch in (0, 1):
        for sampler in (one, *ranks):
            sampler.set_epoch(epoch)
        steps = list(zip(*ranks, strict=True))
        assert len(ranks[0]) == len(ranks[1]) == len(one) == 3
        for (a, b), whole in zip(steps, one, strict=True):
            assert a + b == whole  # the same programs, rank 0's batch first
        assert ranks[0].global_batch_sizes() == [len(batch) for batch in one] == [8, 8, 7]
    # a new epoch, other batches
    ranks[0].set_epoch(0)
    first = list(ranks[0])
    ranks[0].set_epoch(1)
    assert list(ranks[0]) != first


def test_ranks_left_short_repeat_the_first_batches_so_every_rank_runs_as_many_steps():
    shares = [
        GroupBatchSampler(GROUPS, batch_size=4, per_group=2, seed=0, num_replicas=4, rank=r)
        for r in range(4)
    ]
    batches = [list(s) for s in shares]
    assert {len(b) for b in batches} == {2}  # 6 batches of 4 (the last 3) -> 8 over 4 ranks
    every = [index for rank in batches for batch in rank for index in batch]
    assert sorted(set(every)) == list(range(len(GROUPS)))  # every program in the epoch
    single = list(GroupBatchSampler(GROUPS, batch_size=4, per_group=2, seed=0))
    assert batches[2][1] == single[0] and batches[3][1] == single[1]  # the repeats
    assert shares[0].global_batch_sizes() == [16, 15]  # 4 + 3, then the 2 repeats
    alone = GroupBatchSampler(GROUPS, batch_size=4, per_group=2, seed=0)
    assert list(alone) == single and alone.global_batch_sizes() == [len(b) for b in single]
    with pytest.raises(DatasetError, match="rank must be in"):
        GroupBatchSampler(GROUPS, batch_size=4, num_replicas=2, rank=2)


def test_torchrun_variables_are_read_whole_or_refused(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert torchrun_environment() is None
    monkeypatch.setenv("RANK", "1")
    with pytest.raises(ConfigError, match="set but not WORLD_SIZE, LOCAL_RANK"):
        torchrun_environment()
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("LOCAL_RANK", "1")
    assert torchrun_environment() == (1, 2, 1)
    monkeypatch.setenv("RANK", "2")
    with pytest.raises(ConfigError, match="inconsistent torchrun variables"):
        torchrun_environment()
