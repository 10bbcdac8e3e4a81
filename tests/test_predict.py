"""Predictor: prediction fields, batching, strip_imports, errors and the CLI."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch

from yantra_gnn.checkpoint import save_model_for_inference
from yantra_gnn.cli import build_parser
from yantra_gnn.errors import (
    CheckpointError,
    ConfigError,
    EmptySourceError,
    SourceEncodingError,
    SourceError,
    SourceTypeError,
)
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.nn import ModelConfig, YantraGNN
from yantra_gnn.predict import Prediction, Predictor

warnings.filterwarnings("ignore", message="Sparse invariant checks")

SMALL = ModelConfig(
    layer_channels=(32, 32, 16),
    head_hidden_channels=16,
    embedding_dim=12,
    import_vocab=("sys", "math", "collections", "heapq"),
)
SOURCES = [
    "import sys\ninput = sys.stdin.readline\nn = int(input())\nprint(n * 2)\n",
    "from math import gcd\n\na, b = map(int, input().split())\nprint(gcd(a, b))\n",
    "def f(xs):\n    best = 0\n    for x in xs:\n        if x > best:\n            best = x\n"
    "    return best\n\nprint(f([3, 1, 4]))\n",
    "while True print('x')\n",  # syntax error
]


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return YantraGNN(SMALL)


@pytest.fixture(scope="module")
def predictor(model):
    return Predictor(model, device="cpu")


def _forward(model, source):
    """The model's own output on ``source``'s graph, built as the Predictor builds it."""
    with torch.no_grad():
        return model(CodeGraphBuilder().build(source, strip_imports=True))


def test_predict_fields_are_the_models_outputs(predictor, model):
    source = SOURCES[2]
    prediction = predictor.predict(source)
    out = _forward(model, source)
    assert isinstance(prediction, Prediction)
    assert prediction.embedding.dtype == np.float32 and prediction.embedding.shape == (12,)
    assert abs(float(np.linalg.norm(prediction.embedding)) - 1.0) < 1e-5
    assert np.allclose(prediction.embedding, out.embedding[0].numpy(), atol=1e-6)
    assert prediction.confidence == pytest.approx(
        float(torch.sigmoid(out.confidence_logit[0])), abs=1e-6
    )
    assert [m for m, _ in sorted(prediction.imports)] == sorted(SMALL.import_vocab)
    probabilities = [p for _, p in prediction.imports]
    assert probabilities == sorted(probabilities, reverse=True)
    import_probability = dict(
        zip(SMALL.import_vocab, torch.sigmoid(out.import_logits[0]).tolist(), strict=True)
    )
    for name, p in prediction.imports:
        assert p == pytest.approx(float(import_probability[name]), abs=1e-6), name
    assert {c for c, _, _ in prediction.bugs} == set(SMALL.bug_classes)
    bug_probabilities = [p for _, p, _ in prediction.bugs]
    assert bug_probabilities == sorted(bug_probabilities, reverse=True)
    num_lines = source.count("\n")
    for _, _, (start, end) in prediction.bugs:
        assert 1 <= start <= end <= num_lines
    assert prediction.has_error is False


def test_bug_location_is_the_highest_scoring_node(predictor, model):
    source = SOURCES[2]
    graph = CodeGraphBuilder().build(source, strip_imports=True)
    with torch.no_grad():
        scores = model(graph).bug_node_logits
    span = graph.node_span[int(scores.argmax())]
    _, _, lines = predictor.predict(source).bugs[0]
    assert lines == (int(span[0]) + 1, int(span[2]) + 1)


def test_syntax_errors_still_predict(predictor, model):
    prediction = predictor.predict(SOURCES[3])
    assert prediction.has_error is True
    expected = float(torch.sigmoid(_forward(model, SOURCES[3]).confidence_logit[0]))
    assert prediction.confidence == pytest.approx(expected, abs=1e-6)


def test_predict_batch_equals_one_by_one(predictor):
    batched = predictor.predict_batch(SOURCES, batch_size=3)
    assert len(batched) == len(SOURCES)
    for source, together in zip(SOURCES, batched, strict=True):
        alone = predictor.predict(source)
        assert np.allclose(alone.embedding, together.embedding, atol=1e-5)
        assert alone.confidence == pytest.approx(together.confidence, abs=1e-5)
        assert [m for m, _ in alone.imports] == [m for m, _ in together.imports]
        assert alone.bugs[0][2] == together.bugs[0][2]
        assert alone.has_error == together.has_error


def test_embed_stacks_the_embeddings(predictor):
    embeddings = predictor.embed(SOURCES[:3])
    assert embeddings.shape == (3, 12) and embeddings.dtype == np.float32
    assert np.allclose(np.linalg.norm(embeddings, axis=1), 1.0, atol=1e-5)
    assert np.allclose(embeddings[1], predictor.predict(SOURCES[1]).embedding, atol=1e-5)
    assert predictor.embed(SOURCES[0]).shape == (1, 12)
    assert predictor.embed([]).shape == (0, 12)


def test_graphs_are_always_built_with_imports_stripped(model):
    calls = []

    class RecordingBuilder(CodeGraphBuilder):
        def build(self, source, strip_imports=False):
            calls.append(strip_imports)
            return super().build(source, strip_imports=strip_imports)

    predictor = Predictor(model, device="cpu", builder=RecordingBuilder())
    predictor.predict(SOURCES[0])
    predictor.predict_batch(SOURCES[:2])
    assert calls == [True, True, True]


def test_invalid_input_raises_the_library_errors(predictor):
    with pytest.raises(SourceTypeError):
        predictor.predict(42)
    with pytest.raises(EmptySourceError):
        predictor.predict("   \n")
    with pytest.raises(SourceEncodingError):
        predictor.predict(b"x = '\xff'\n")
    with pytest.raises(SourceTypeError, match="list of sources"):
        predictor.predict_batch("print(1)\n")
    with pytest.raises(EmptySourceError, match=r"sources\[1\]"):
        predictor.predict_batch(["print(1)\n", ""])
    with pytest.raises(ConfigError, match="batch_size"):
        predictor.predict_batch(["print(1)\n"], batch_size=0)


def test_from_pretrained_gives_the_same_predictions(tmp_path, predictor, model):
    path = save_model_for_inference(model, tmp_path / "model.safetensors")
    loaded = Predictor.from_pretrained(path, device="cpu")
    a, b = predictor.predict(SOURCES[1]), loaded.predict(SOURCES[1])
    assert np.array_equal(a.embedding, b.embedding)
    assert a.imports == b.imports and a.bugs == b.bugs and a.confidence == b.confidence
    with pytest.raises(CheckpointError):
        Predictor.from_pretrained(tmp_path / "missing.safetensors", device="cpu")


def test_the_saved_confidence_temperature_is_applied(tmp_path, model):
    calibrated = YantraGNN(ModelConfig(**{**SMALL.to_dict(), "confidence_temperature": 3.0}))
    calibrated.load_state_dict(model.state_dict())  # the same weights, a fitted temperature
    calibrated.eval()
    path = save_model_for_inference(calibrated, tmp_path / "calibrated.safetensors")
    predictor = Predictor.from_pretrained(path, device="cpu")
    assert predictor.model.config.confidence_temperature == 3.0
    raw = Predictor(model, device="cpu")
    for source in SOURCES:
        logit = float(_forward(calibrated, source).confidence_logit[0])  # raw logit
        got = predictor.predict(source)
        assert got.confidence == pytest.approx(1 / (1 + np.exp(-logit / 3.0)), abs=1e-6)
        assert raw.predict(source).confidence == pytest.approx(1 / (1 + np.exp(-logit)), abs=1e-6)
        # Everything but the confidence is the uncalibrated model's.
        assert got.imports == raw.predict(source).imports


def test_a_syntax_only_model_is_fed_syntax_edges_only(tmp_path, model):
    from yantra_gnn.graph.transforms import SyntaxEdgesOnly

    syntax = YantraGNN(ModelConfig(**{**SMALL.to_dict(), "edges": "syntax"}))
    syntax.load_state_dict(model.state_dict())  # the same weights, another edge setting
    path = save_model_for_inference(syntax, tmp_path / "syntax.safetensors")
    predictor = Predictor.from_pretrained(path, device="cpu")
    every_edge = Predictor(model, device="cpu")
    graphs = [predictor.build_graph(source) for source in SOURCES]
    expected = every_edge.predict_graphs([SyntaxEdgesOnly()(g) for g in graphs])
    unfiltered = every_edge.predict_graphs(graphs)
    differs = []
    for source, graph, want, whole in zip(SOURCES, graphs, expected, unfiltered, strict=True):
        got = predictor.predict(source)
        np.testing.assert_allclose(got.embedding, want.embedding, atol=1e-6)
        assert got.confidence == pytest.approx(want.confidence, abs=1e-6)
        if SyntaxEdgesOnly()(graph).edge_index.size(1) < graph.edge_index.size(1):
            differs.append(not np.allclose(got.embedding, whole.embedding, atol=1e-5))
    assert differs and all(differs)  # graphs with dataflow edges: not the all-edge output


def test_predictor_refuses_a_model_of_another_feature_width():
    with pytest.raises(ConfigError, match="978"):
        Predictor(YantraGNN(ModelConfig(**{**SMALL.to_dict(), "in_channels": 100})), "cpu")


def _cli(argv: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_prints_json_and_a_table(tmp_path, model, capsys):
    model_path = save_model_for_inference(model, tmp_path / "model.safetensors")
    files = []
    for i, source in enumerate(SOURCES[:2]):
        files.append(tmp_path / f"s{i}.py")
        files[-1].write_text(source)
    argv = ["predict", *map(str, files), "--model", str(model_path), "--device", "cpu"]
    assert _cli([*argv, "--json", "--top-k", "2"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert [r["file"] for r in results] == [str(f) for f in files]
    assert len(results[0]["imports"]) == 2 and len(results[0]["bugs"]) == 2
    direct = Predictor(model, device="cpu").predict(SOURCES[0])
    assert results[0]["confidence"] == pytest.approx(direct.confidence, abs=1e-6)
    assert "embedding" not in results[0]
    # The keys stay those of before (new ones only added), each with its type.
    first = results[0]
    assert set(first) == {
        "file", "confidence", "has_error", "imports", "bugs", "likely_correct", "threshold",
        "prior",
    }  # fmt: skip
    assert set(first["imports"][0]) == {"module", "probability"}
    assert set(first["bugs"][0]) == {"class", "probability", "lines"}
    assert first["threshold"] == 0.5
    assert first["likely_correct"] is (first["confidence"] >= 0.5)
    assert _cli([*argv, "--json", "--threshold", "0"]) == 0
    assert all(r["likely_correct"] for r in json.loads(capsys.readouterr().out))
    assert _cli(argv) == 0
    table = capsys.readouterr().out
    assert str(files[0]) in table and "confidence" in table and "imports" in table
    # a verdict with its threshold, and the bug location once per file
    block = table.split(str(files[1]))[0]
    verdict = direct.verdict(0.5)
    assert f"  verdict        {verdict}\n" in block
    start, end = direct.bug_lines
    where = f"line {start}" if start == end else f"lines {start}-{end}"
    assert block.count("bug location") == 1
    assert f"  bug location   {where}" in block
    bugs_row = next(line for line in block.splitlines() if line.startswith("  bugs"))
    assert "line" not in bugs_row  # not repeated after each class
    assert _cli([*argv, "--threshold", "1"]) == 0
    assert "likely wrong" in capsys.readouterr().out
    with pytest.raises(ConfigError, match="--threshold"):
        _cli([*argv, "--threshold", "1.5"])


def test_a_verdict_reads_the_confidence_against_its_threshold():
    def prediction(confidence: float) -> Prediction:
        return Prediction(np.zeros(4, np.float32), confidence, [], [], False)

    assert prediction(0.91).verdict() == "likely correct (0.91 \u2265 0.50)"
    assert prediction(0.12).verdict() == "likely wrong (0.12 < 0.50)"
    assert prediction(0.5).verdict() == "likely correct (0.50 \u2265 0.50)"
    assert prediction(0.4996).verdict() == "likely wrong (0.4996 < 0.5000)"  # never "0.50 < 0.50"
    assert prediction(0.7).verdict(0.8, ascii_only=True) == "likely wrong (0.70 < 0.80)"
    assert prediction(0.9).verdict(0.8, ascii_only=True) == "likely correct (0.90 >= 0.80)"
    assert prediction(0.7).likely_correct(0.7) and not prediction(0.7).likely_correct(0.71)
    with pytest.raises(ConfigError, match="threshold"):
        prediction(0.5).verdict(2.0)
    assert prediction(0.5).bug_lines is None


def test_repr_is_short_and_leaves_the_embedding_out(predictor):
    prediction = predictor.predict(SOURCES[0])
    text = repr(prediction)
    assert len(text) < 300 and "\n" not in text
    assert text.startswith(f"Prediction(confidence={prediction.confidence:.3f}, imports=[")
    top_import, p = prediction.imports[0]
    assert f"imports=[{top_import} {p:.2f}, " in text and "+1 more]" in text  # 4 modules
    top_bug, q, _ = prediction.bugs[0]
    assert f"bugs=[{top_bug} {q:.2f}, " in text
    assert f"bug_lines={prediction.bug_lines}" in text
    assert text.endswith("embedding=<12 floats>)")  # its size, not its numbers


def test_cli_reports_unreadable_and_bad_files_by_name(tmp_path, model, capsys):
    model_path = save_model_for_inference(model, tmp_path / "model.safetensors")
    good = tmp_path / "good.py"
    good.write_text(SOURCES[0])
    empty = tmp_path / "empty.py"
    empty.write_text("")
    missing = tmp_path / "missing.py"
    code = _cli(
        ["predict", str(missing), str(empty), str(good), "--model", str(model_path), "--json"]
    )
    captured = capsys.readouterr()
    assert code == 1
    assert f"{missing}: no such file" in captured.err
    assert f"{empty}:" in captured.err
    assert [r["file"] for r in json.loads(captured.out)] == [str(good)]
    with pytest.raises(ConfigError, match="top-k"):
        _cli(["predict", str(good), "--model", str(model_path), "--top-k", "0"])


def test_model_paths_with_a_tilde_are_expanded(tmp_path, model, monkeypatch):
    """The README's ``Predictor.from_pretrained("~/.yantra/...")`` works as in a shell."""
    monkeypatch.setenv("HOME", str(tmp_path))
    saved = save_model_for_inference(model, "~/.yantra/models/small.safetensors")
    assert saved == tmp_path / ".yantra" / "models" / "small.safetensors" and saved.is_file()
    predictor = Predictor.from_pretrained("~/.yantra/models/small.safetensors", device="cpu")
    direct = Predictor(model, device="cpu").predict(SOURCES[0])
    assert predictor.predict(SOURCES[0]).confidence == pytest.approx(direct.confidence)


def test_a_path_is_read_and_a_path_like_string_warns(tmp_path, predictor, monkeypatch):
    from pathlib import Path

    program = tmp_path / "solution.py"
    program.write_text(SOURCES[0])
    from_path = predictor.predict(program)
    assert from_path.confidence == pytest.approx(predictor.predict(SOURCES[0]).confidence)
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning, match=r"Path\('solution.py'\)"):
        predictor.predict("solution.py")  # the text "solution.py", not the file
    with pytest.raises(SourceError, match="missing.py: no such file"):
        predictor.predict(Path(tmp_path / "missing.py"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        predictor.predict(SOURCES[1])  # ordinary source: no warning


def test_cli_max_bytes_caps_files_and_names_the_option(tmp_path, model, capsys):
    model_path = save_model_for_inference(model, tmp_path / "model.safetensors")
    big = tmp_path / "big.py"
    big.write_text(SOURCES[0] * 20)
    argv = ["predict", str(big), "--model", str(model_path), "--json"]
    assert _cli([*argv, "--max-bytes", "100"]) == 1
    err = capsys.readouterr().err
    assert "big.py" in err and "--max-bytes" in err
    assert _cli(argv) == 0


def test_forward_threads_are_set_per_call_and_restored(model, monkeypatch):
    seen = []
    real_forward = model.forward

    def spy(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return real_forward(*args, **kwargs)

    monkeypatch.setattr(model, "forward", spy)
    original = torch.get_num_threads()
    torch.set_num_threads(2)  # the caller's setting, which predict must leave as it was
    try:
        one = Predictor(model, device="cpu")  # the default: one thread
        assert one.num_threads == 1
        one.predict(SOURCES[0])
        Predictor(model, device="cpu", num_threads=None).predict(SOURCES[0])  # leave torch's
        assert seen == [1, 2]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(original)
    with pytest.raises(ConfigError, match="num_threads"):
        Predictor(model, device="cpu", num_threads=0)


def test_the_shipped_default_model_loads_by_name_and_reads_imports():
    from yantra_gnn.checkpoint import DEFAULT_MODEL, PRETRAINED_DIR, PRETRAINED_MODELS

    path = PRETRAINED_DIR / PRETRAINED_MODELS[DEFAULT_MODEL]
    assert path.is_file() and path.stat().st_size <= 12 * 2**20
    predictor = Predictor.from_pretrained(DEFAULT_MODEL, device="cpu")
    config = predictor.model.config
    assert config.import_evidence and config.confidence_temperature != 1.0  # calibrated
    uses_math = predictor.predict("import math\nn = int(input())\nprint(math.isqrt(n))\n")
    plain = predictor.predict("n = int(input())\nprint(n + 1)\n")
    math_score = dict(uses_math.imports)["math"]
    assert math_score > 0.5 > dict(plain.imports)["math"]
    assert 0.0 <= uses_math.confidence <= 1.0


def test_bf16_predictions_are_close_to_fp32_and_the_cli_takes_the_option(tmp_path, capsys):
    # The shipped model on real programs: bf16 autocast moves probabilities by at most
    # a few thousandths and picks the same bug line.
    exact = Predictor.from_pretrained("yantra-gnn/default", device="cpu")
    fast = Predictor.from_pretrained("yantra-gnn/default", device="cpu", precision="bf16")
    assert "precision=bf16" in repr(fast)
    for want, got in zip(exact.predict_batch(SOURCES), fast.predict_batch(SOURCES), strict=True):
        assert abs(got.confidence - want.confidence) < 0.01
        got_imports, want_imports = dict(got.imports), dict(want.imports)
        assert max(abs(got_imports[m] - p) for m, p in want_imports.items()) < 0.01
        assert got.bug_lines == want.bug_lines
        assert got.embedding.dtype == np.float32
    program = tmp_path / "solution.py"
    program.write_text(SOURCES[0])
    assert _cli(["predict", str(program), "--precision", "bf16", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["file"] == str(program)
    with pytest.raises(ConfigError, match="precision must be one of"):
        Predictor(exact.model, device="cpu", precision="fp16")


def test_int8_predictions_are_close_to_fp32_and_the_cli_takes_the_option(tmp_path, capsys):
    # The shipped model on real programs: int8 node-wise products move probabilities by
    # at most a few hundredths (docs/model.md: 0.016 over the 200 sample solutions).
    exact = Predictor.from_pretrained("yantra-gnn/default", device="cpu")
    fast = Predictor.from_pretrained("yantra-gnn/default", device="cpu", precision="int8")
    assert "precision=int8" in repr(fast)
    assert fast.forward_model is not fast.model  # the float model stays as it is
    assert exact.forward_model is exact.model
    for want, got in zip(exact.predict_batch(SOURCES), fast.predict_batch(SOURCES), strict=True):
        assert 0 < abs(got.confidence - want.confidence) < 0.02
        got_imports, want_imports = dict(got.imports), dict(want.imports)
        assert max(abs(got_imports[m] - p) for m, p in want_imports.items()) < 0.05
        assert float(np.dot(got.embedding, want.embedding)) > 0.99  # unit vectors
    program = tmp_path / "solution.py"
    program.write_text(SOURCES[0])
    assert _cli(["predict", str(program), "--precision", "int8", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["file"] == str(program)


def test_one_graph_skips_collating_and_gets_the_collated_outputs_bit_for_bit():
    # A single graph goes to the model as it is, not through Batch.from_data_list; the
    # outputs must equal those of the collated one-graph batch exactly.
    from torch_geometric.data import Batch

    predictor = Predictor.from_pretrained("yantra-gnn/default", device="cpu")
    graph = predictor.build_graph(SOURCES[1])
    alone = predictor.predict_graphs([graph])[0]
    with torch.inference_mode():
        collated = predictor.model(Batch.from_data_list([graph]))
    assert np.array_equal(alone.embedding, collated.embedding[0].numpy())
    want_imports = torch.sigmoid(collated.import_logits[0]).tolist()
    assert dict(alone.imports) == dict(
        zip(predictor.model.config.import_vocab, want_imports, strict=True)
    )
