"""The test session itself: it leaves the user's Hugging Face caches alone."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


def _files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*") if p.is_file()} if folder.is_dir() else set()


def test_hugging_face_caches_are_a_temporary_folder_not_the_users(tmp_path):
    import datasets
    import huggingface_hub.constants

    cache = Path(os.environ["HF_HOME"])
    assert Path(tempfile.gettempdir()).resolve() in cache.resolve().parents
    assert Path(datasets.config.HF_DATASETS_CACHE) == cache / "datasets"
    assert Path(huggingface_hub.constants.HF_HOME) == cache
    users = [Path(p) for p in os.environ["YANTRA_TESTS_USER_HF_CACHES"].split(os.pathsep)]
    assert all(user.resolve() != cache.resolve() for user in users)

    # What the data tests do: read a local .jsonl through datasets.load_dataset("json").
    before = {user: _files(user) for user in users}
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"name": "a"}) + "\n" + json.dumps({"name": "b"}) + "\n")
    loaded = datasets.load_dataset("json", data_files=[str(rows)], split="train")
    assert loaded["name"] == ["a", "b"]
    assert {user: _files(user) for user in users} == before  # no lock file, no Arrow cache
    assert any(p.suffix == ".lock" for p in _files(cache / "datasets"))  # they went here
