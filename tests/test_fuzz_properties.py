"""Property-based fuzzing: hostile input gives a graph, a prediction or a documented error.

Every property sends generated input to one worker process (``benchmarks.fuzz``'s
:class:`~benchmarks.fuzz.FuzzWorker`) that runs the library under an address-space limit,
so a runaway allocation fails there, not in the test process. The property, for
``CodeGraphBuilder.build``, ``Predictor.predict`` / ``predict_batch`` (a tiny untrained
model), batching the built graphs with torch_geometric, and the sandbox's argument
handling: nothing but the library's documented errors (:mod:`yantra_gnn.errors`) is
raised, and no call takes 5 s of CPU.

A few hundred examples per property (``YANTRA_FUZZ_EXAMPLES`` sets how many); the long
run is ``python -m benchmarks.fuzz --minutes M`` (docs/reliability.md).
"""

from __future__ import annotations

import math
import os
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from benchmarks._common import load_solutions
from benchmarks.fuzz import MUTATIONS, NESTING, TOKENS, FuzzWorker, apply_mutations, nested_source

EXAMPLES = int(os.environ.get("YANTRA_FUZZ_EXAMPLES", "200"))
MAX_CPU_SECONDS = 5.0
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=15),  # a wall-clock guard; the property bounds CPU time
    database=None,  # no .hypothesis/ folder in the working tree
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PROGRAMS = load_solutions(limit=40)[0]


@pytest.fixture(scope="module")
def worker():
    with FuzzWorker(memory_mb=2048) as running:
        yield running


def _check(worker: FuzzWorker, op: str, *args) -> None:
    outcome = worker.call(op, *args)
    assert outcome.kind in ("ok", "documented"), (
        f"{op} gave {outcome.kind} {outcome.error}: {outcome.message}\n{outcome.traceback}"
    )
    assert outcome.cpu_seconds < MAX_CPU_SECONDS, f"{op} took {outcome.cpu_seconds:.1f} s of CPU"


# ---------------------------------------------------------------------------- inputs
#: Any code point: lone surrogates, NUL, line and paragraph separators included.
any_text = st.text(st.characters(exclude_categories=()), max_size=2000)
token_soup = st.lists(st.sampled_from(TOKENS), max_size=300).map("".join)
mutations = st.lists(
    st.tuples(
        st.sampled_from(MUTATIONS),
        st.floats(0, 1),
        st.floats(0, 1),
        st.sampled_from(TOKENS),
    ),
    min_size=1,
    max_size=8,
)
mutants = st.builds(apply_mutations, st.sampled_from(PROGRAMS), mutations)


@st.composite
def flipped_bytes(draw) -> bytes:
    """A mutant's UTF-8 with a few bits flipped (mostly invalid UTF-8)."""
    data = bytearray(draw(mutants).encode("utf-8", "surrogatepass"))
    for _ in range(draw(st.integers(1, 4))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] ^= 1 << draw(st.integers(0, 7))
    return bytes(data)


nested = st.builds(nested_source, st.sampled_from(NESTING), st.integers(1, 5_000))
sources = st.one_of(
    any_text,
    token_soup,
    st.binary(max_size=2000),
    st.binary(max_size=200).map(bytearray),  # accepted as bytes
    mutants,
    flipped_bytes(),
)
not_sources = st.one_of(
    st.none(),
    st.integers(),
    st.floats(),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


# ---------------------------------------------------------------------------- build
@FUZZ
@given(source=st.one_of(any_text, token_soup), strip_imports=st.booleans())
def test_build_on_random_text(worker, source, strip_imports):
    _check(worker, "build", source, strip_imports)


@FUZZ
@given(source=st.binary(max_size=4000))
def test_build_on_random_bytes(worker, source):
    _check(worker, "build", source)


@FUZZ
@given(source=st.one_of(mutants, flipped_bytes()), strip_imports=st.booleans())
def test_build_on_mutated_real_programs(worker, source, strip_imports):
    _check(worker, "build", source, strip_imports)


@FUZZ
@given(source=nested)
def test_build_on_deep_nesting(worker, source):
    _check(worker, "build", source)


@FUZZ
@given(source=not_sources)
def test_build_on_values_that_are_not_source(worker, source):
    outcome = worker.call("build", source)
    assert outcome.kind == "documented" and outcome.error == "SourceTypeError", outcome


# ---------------------------------------------------------------------------- predict
@FUZZ
@given(source=st.one_of(sources, nested))
def test_predict(worker, source):
    _check(worker, "predict", source)


@FUZZ
@given(
    batch=st.one_of(st.lists(st.one_of(sources, not_sources), max_size=6), not_sources, sources),
    batch_size=st.one_of(st.integers(-2, 8), st.booleans(), st.none(), st.floats()),
)
def test_predict_batch(worker, batch, batch_size):
    _check(worker, "predict_batch", batch, batch_size)


@FUZZ
@given(batch=st.lists(st.one_of(sources, nested), max_size=8))
def test_batching_built_graphs_for_the_model(worker, batch):
    """Built graphs batch with torch_geometric (Batch and DataLoader) and run the model."""
    _check(worker, "loader", batch)


# ---------------------------------------------------------------------------- sandbox
#: Small programs (never a loop: valid timeouts go up to 3,600 s).
programs = st.one_of(
    st.sampled_from(
        ["print(1)\n", "", "import sys\nprint(sys.stdin.read()[:10])\n", "raise SystemExit(3)\n"]
    ),
    st.text(max_size=40).filter(lambda text: "while" not in text and "for" not in text),
    st.binary(max_size=40).filter(lambda data: b"while" not in data and b"for" not in data),
)
odd_values = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
)
VALID_ARGUMENTS = {
    "source": programs,
    "stdin": st.one_of(st.text(max_size=50), st.binary(max_size=50)),
    "timeout_s": st.floats(0.01, 2.0),
    "memory_mb": st.integers(32, 2048),
    "max_output_bytes": st.integers(1, 1 << 20),
    "disk_mb": st.integers(1, 64),
    "python": st.none(),
}
ODD_ARGUMENTS = {
    **{name: odd_values for name in VALID_ARGUMENTS},
    "python": st.sampled_from(["", "/nonexistent/python3"]),
}


@st.composite
def run_arguments(draw) -> dict:
    """Keyword arguments of ``sandbox.run``: half the time all valid, else one or two odd."""
    kwargs = {name: draw(valid) for name, valid in VALID_ARGUMENTS.items()}
    if draw(st.booleans()):
        odd = draw(st.lists(st.sampled_from(sorted(ODD_ARGUMENTS)), min_size=1, max_size=2))
        for name in odd:
            kwargs[name] = draw(ODD_ARGUMENTS[name])
    kwargs["isolate"] = draw(
        st.one_of(st.booleans(), st.none(), st.integers(), st.text(max_size=3))
    )
    return kwargs


@FUZZ
@given(kwargs=run_arguments())
def test_sandbox_run_arguments(worker, kwargs):
    outcome = worker.call("sandbox", kwargs)
    event(f"{outcome.kind} {outcome.error or outcome.detail.get('status')}")
    assert outcome.kind in ("ok", "documented"), (
        f"{outcome.kind} {outcome.error}: {outcome.message}\n{outcome.traceback}"
    )
    # the sandbox works on this machine: an odd argument is the caller's error, refused
    # before any run, never a run that fails to set up
    assert outcome.error != "SandboxError", f"{kwargs}: {outcome.message}"
    if outcome.kind == "ok":  # it ran: the limits were valid
        memory, timeout = kwargs["memory_mb"], kwargs["timeout_s"]
        assert not isinstance(memory, bool) and memory >= 32, kwargs
        assert isinstance(timeout, int | float) and math.isfinite(timeout), kwargs
    assert outcome.seconds < MAX_CPU_SECONDS, f"took {outcome.seconds:.1f} s"
