"""Int8 inference: the node-wise dense products of a ``YantraGNN`` on int8 weights.

``quantize_int8(model)`` returns a copy of the model for CPU inference in which every
wide linear map applied to all nodes of a batch — the ``SAGEConv`` maps of the layers
after the first (512 → 512, 512 → 256) and the bug-location head's per-node layer — is
a dynamically quantized linear map (``torch.ao.nn.quantized.dynamic.Linear``: fbgemm or
oneDNN on x86, qnnpack on ARM). Its weight is stored as int8 with one scale per output
channel; each call quantizes its whole input with one 8-bit scale and multiplies in
integers, so a program's outputs depend slightly on the other programs of its batch.
These products run about four times as fast as in float32 on one core, and they hold
most of a forward pass's operations.

What stays float32: the first layer (a sparse product over the ≈ 8 non-zero features of
a node, already cheap), the mean aggregations, the pooling, the heads on the pooled
embedding (a few rows per batch), and the import evidence's per-node layer (16
outputs: cheap, and in int8 it doubled the import probabilities' error). Outputs move
within the tolerance measured in docs/model.md; ``Predictor(..., precision="int8")`` is
the way to use it.
"""

from __future__ import annotations

import copy
import warnings
from typing import cast

import torch
from torch import Tensor, nn

from yantra_gnn.defaults import INFERENCE_PRECISIONS
from yantra_gnn.device import check_precision
from yantra_gnn.errors import ConfigError
from yantra_gnn.nn.encoder import GroupedSAGEConv
from yantra_gnn.nn.model import YantraGNN

#: Torch's quantized CPU engines that run ``quantized::linear_dynamic``.
INT8_ENGINES: tuple[str, ...] = ("x86", "fbgemm", "onednn", "qnnpack")


def int8_engine() -> str | None:
    """The quantized engine torch runs int8 products with here, or ``None`` if it has none."""
    try:
        engine = str(torch.backends.quantized.engine)
    except RuntimeError:  # a build without quantized kernels
        return None
    return engine if engine in INT8_ENGINES else None


def int8_linear(linear: nn.Module) -> nn.Module:
    """A dynamically quantized copy of ``linear`` (``torch.nn.Linear`` or PyG's ``Linear``).

    The weight ``[out, in]`` is quantized per output channel (symmetric int8); the bias
    stays float32. The returned module maps ``[*, in]`` float32 to ``[*, out]`` float32.

    Raises:
        ConfigError: this torch cannot make int8 weights (a release without
            ``torch.ao`` dynamic quantization, or without its kernels).
    """
    weight = cast(Tensor, linear.weight).detach().float().cpu()
    bias = getattr(linear, "bias", None)
    plain = nn.Linear(weight.size(1), weight.size(0), bias=bias is not None)
    with torch.no_grad():
        plain.weight.copy_(weight)
        if bias is not None:
            plain.bias.copy_(bias.detach().float().cpu())
    try:
        plain.qconfig = torch.ao.quantization.per_channel_dynamic_qconfig  # type: ignore[assignment]
        with warnings.catch_warnings():
            # torch 2.13 announces the quantized tensor types' removal in a later
            # release; their absence then becomes the ConfigError below.
            warnings.filterwarnings("ignore", message=r"torch\.quantize_per", category=UserWarning)
            return torch.ao.nn.quantized.dynamic.Linear.from_float(plain)
    except (AttributeError, RuntimeError) as error:
        raise ConfigError(
            f"this torch ({torch.__version__}) cannot make int8 weights ({error}); "
            "use precision 'fp32' or 'bf16'"
        ) from error


def quantize_int8(model: YantraGNN) -> YantraGNN:
    """A copy of ``model`` (on the CPU) in eval mode whose node-wise dense products run
    in int8.

    The model itself is left as it is. The copy is for inference only: its quantized
    maps have no gradients and cannot be saved as a checkpoint of this library.

    Raises:
        ConfigError: ``model`` is on another device than the CPU (int8 products run on
            CPUs only), this torch build has no quantized CPU engine, or it cannot make
            int8 weights (a torch release without ``torch.ao`` quantization).
    """
    device = model.device
    if device.type != "cpu":
        raise ConfigError(
            f"precision='int8' runs on the CPU only, and the model is on {device}: "
            "use precision 'bf16' there, or device 'cpu'"
        )
    if int8_engine() is None:
        raise ConfigError(
            "precision='int8' needs one of torch's quantized CPU engines "
            f"({', '.join(INT8_ENGINES)}); this torch build has none: use 'fp32' or 'bf16'"
        )
    quantized = copy.deepcopy(model).eval()
    for layer in list(quantized.encoder.layers)[1:]:
        for conv in cast(GroupedSAGEConv, layer).sage_convs():
            conv.lin_l = int8_linear(conv.lin_l)
            if conv.root_weight:
                conv.lin_r = int8_linear(conv.lin_r)
    head = quantized.bug_location_head
    # add_module: node_hidden is typed nn.Linear, and an int8 map is another module
    head.add_module("node_hidden", int8_linear(head.node_hidden))
    return quantized


def inference_model(model: YantraGNN, precision: str) -> YantraGNN:
    """The model a forward pass at ``precision`` runs: for ``"int8"`` the int8 copy of
    ``model`` (:func:`quantize_int8`), for ``"fp32"`` and ``"bf16"`` ``model`` itself
    (bf16 is the autocast around it, :func:`yantra_gnn.device.precision_context`).

    Raises:
        ConfigError: ``precision`` is not one of
            :data:`~yantra_gnn.defaults.INFERENCE_PRECISIONS`, or int8 cannot run (see
            :func:`quantize_int8`).
    """
    if check_precision(precision, INFERENCE_PRECISIONS) == "int8":
        return quantize_int8(model)
    return model
