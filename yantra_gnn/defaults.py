"""Defaults shared by the library and the command line, in a module that imports nothing.

The modules that use them (:mod:`yantra_gnn.checkpoint`, :mod:`yantra_gnn.predict`,
:mod:`yantra_gnn.graph.html`) re-export them; the command line reads them from here so
that ``yantra-gnn COMMAND --help`` shows them without loading torch.
"""

from __future__ import annotations

#: The model shipped inside the package (``Predictor.from_pretrained(DEFAULT_MODEL)``,
#: ``yantra-gnn predict`` without ``--model``); docs/model_card.md describes it.
DEFAULT_MODEL = "yantra-gnn/default"

#: CPU threads of a forward pass. One: on a 2-core machine with the other core busy, a
#: median solution's forward took p50 4.9 / p95 8.5 ms with one thread and p50 4.0 / p95
#: 115 ms with torch's default two (threads wait on each other); docs/model.md.
DEFAULT_NUM_THREADS = 1

#: The confidence at or above which a program is called likely correct
#: (:meth:`yantra_gnn.predict.Prediction.verdict`, ``yantra-gnn predict --threshold``).
#: The confidence is calibrated, so 0.5 is "more likely correct than not".
DEFAULT_THRESHOLD = 0.5

#: The share of correct programs ``Predictor`` assumes before reading one
#: (``Predictor(prior=...)``, ``yantra-gnn predict --prior``). A model's confidence is
#: calibrated at the base rate of its validation candidates (22 % for the shipped model:
#: one solution among its mutants), where a correct program rarely reaches 0.5; at 0.5
#: the confidence says whether the program reads more like correct or failing code.
DEFAULT_PRIOR = 0.5

#: Functions ``yantra-gnn pretrain`` draws from the corpus by default: about 3 graphs each
#: (the function, its mutants, a rewrite), sized so that an epoch takes minutes on 2 CPU
#: cores.
DEFAULT_PRETRAIN_UNITS = 3000

#: Graphs with more nodes are drawn in part by ``yantra-gnn graph --html``: the first
#: nodes in pre-order (the top of the program), so the drawing stays light enough for a
#: browser.
DEFAULT_MAX_DRAWN_NODES = 600

#: Numeric precisions of a forward pass: ``fp32`` (the default), or ``bf16`` autocast
#: (``yantra_gnn.device.precision_context``) for speed within bf16's precision.
PRECISIONS: tuple[str, ...] = ("fp32", "bf16")

#: Numeric precisions of prediction: those of :data:`PRECISIONS`, and ``int8``: the
#: node-wise dense products on int8 weights (``yantra_gnn.nn.quantize``, CPU only).
INFERENCE_PRECISIONS: tuple[str, ...] = (*PRECISIONS, "int8")

#: What the bug-location loss learns a real bug's location as (``TrainConfig.fault_target``):
#: ``line``, every node on its fault line; ``node``, the one node holding the line.
FAULT_TARGETS: tuple[str, ...] = ("line", "node")
