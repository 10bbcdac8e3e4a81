"""resolve_device with mocked CUDA / MPS availability."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.data import Data

import yantra_gnn.device as device_module
from yantra_gnn.device import available_devices, batch_to_device, resolve_device
from yantra_gnn.errors import DeviceError


def _machine(monkeypatch, cuda: int = 0, mps: bool = False) -> None:
    """Pretend the machine has ``cuda`` CUDA devices and MPS when ``mps``."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: cuda)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)


@pytest.mark.parametrize(
    ("cuda", "mps", "expected"),
    [(2, True, "cuda"), (1, False, "cuda"), (0, True, "mps"), (0, False, "cpu")],
)
def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch, cuda, mps, expected):
    _machine(monkeypatch, cuda=cuda, mps=mps)
    assert resolve_device("auto").type == expected
    assert resolve_device().type == expected


def test_explicit_available_devices_resolve(monkeypatch):
    _machine(monkeypatch, cuda=2, mps=True)
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device(torch.device("cpu")) == torch.device("cpu")
    assert resolve_device("cuda") == torch.device("cuda")
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    assert resolve_device(" CUDA:0 ") == torch.device("cuda", 0)
    assert resolve_device("mps") == torch.device("mps")
    assert available_devices() == ["cpu", "cuda:0", "cuda:1", "mps"]


def test_cuda_without_cuda_is_an_error_listing_what_exists(monkeypatch):
    _machine(monkeypatch, cuda=0, mps=True)
    with pytest.raises(DeviceError, match=r"CUDA is not available.*available: cpu, mps"):
        resolve_device("cuda")
    with pytest.raises(DeviceError, match="CUDA is not available"):
        resolve_device(torch.device("cuda", 0))


def test_cuda_index_beyond_the_count_is_an_error(monkeypatch):
    _machine(monkeypatch, cuda=1)
    assert resolve_device("cuda:0") == torch.device("cuda", 0)
    with pytest.raises(DeviceError, match=r"1 CUDA device\(s\).*available: cpu, cuda:0"):
        resolve_device("cuda:1")


def test_mps_without_mps_is_an_error(monkeypatch):
    _machine(monkeypatch, cuda=0, mps=False)
    with pytest.raises(DeviceError, match=r"MPS is not available.*available: cpu"):
        resolve_device("mps")


@pytest.mark.parametrize("bad", ["gpu", "banana:3", "", "xla", 0, None])
def test_unknown_devices_are_errors(monkeypatch, bad):
    _machine(monkeypatch)
    with pytest.raises(DeviceError, match="available"):
        resolve_device(bad)


def test_mps_reports_unavailable_without_a_backend(monkeypatch):
    monkeypatch.delattr(torch.backends, "mps")
    assert device_module.mps_is_available() is False


def test_batch_to_device_on_cpu_keeps_sparse_features():
    x = torch.sparse_coo_tensor(torch.tensor([[0, 1], [3, 5]]), torch.ones(2), (2, 978))
    data = Data(x=x, edge_index=torch.tensor([[0], [1]]), num_nodes=2)
    moved = batch_to_device(data, "cpu")
    assert moved.x.is_sparse and moved.edge_index.device.type == "cpu"
