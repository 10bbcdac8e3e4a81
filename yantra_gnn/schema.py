"""The vocabularies that graphs, labels and the model share, in one dependency-free module.

The graph builder writes these columns and edge types, the labelling writes these
bug classes, and the model reads them; keeping them here lets :mod:`yantra_gnn.nn`
know them without importing the parser (``nn/`` never imports tree-sitter).
:mod:`yantra_gnn.graph` re-exports the graph names.
"""

from __future__ import annotations

#: Width of the node feature vector (``docs/features.md`` gives the layout).
FEATURE_DIM = 978

#: Bump whenever the meaning of any column changes; saved in every checkpoint.
FEATURE_SPEC_VERSION = "yantra-features-1.1/tree-sitter-python-kinds-274"

#: Forward dataflow edge kinds (the dataflow pass makes them).
DATAFLOW_EDGE_KINDS: tuple[str, ...] = (
    "last_write",
    "last_read",
    "computed_from",
    "calls",
    "returns_to",
    "formal_arg",
)

#: Forward edge kinds; ``EDGE_TYPES[i]`` names ``edge_type == i``.
FORWARD_EDGE_TYPES: tuple[str, ...] = (
    "ast_child",
    "next_sibling",
    "next_token",
    *DATAFLOW_EDGE_KINDS,
)
#: Every edge type: the forward kinds, then their reverses (``<kind>_rev``).
EDGE_TYPES: tuple[str, ...] = (
    *FORWARD_EDGE_TYPES,
    *(f"{name}_rev" for name in FORWARD_EDGE_TYPES),
)
NUM_EDGE_TYPES = len(EDGE_TYPES)
EDGE_TYPE_ID: dict[str, int] = {name: i for i, name in enumerate(EDGE_TYPES)}

#: Edges that follow the syntax tree and the token order (and their reverses).
SYNTAX_EDGE_TYPES: tuple[str, ...] = (
    "ast_child",
    "ast_child_rev",
    "next_sibling",
    "next_sibling_rev",
    "next_token",
    "next_token_rev",
)

#: Edges that follow data and control flow between definitions and uses.
DATAFLOW_EDGE_TYPES: tuple[str, ...] = tuple(
    name for kind in DATAFLOW_EDGE_KINDS for name in (kind, f"{kind}_rev")
)

#: The edge settings (``ModelConfig.edges``, ``--edges``) → the edge types read: every
#: edge, or the syntax edges only (the ablation that shows what the dataflow edges add).
EDGE_SETS: dict[str, tuple[str, ...]] = {"all": EDGE_TYPES, "syntax": SYNTAX_EDGE_TYPES}

#: Typed message passing: one SAGEConv aggregation for syntax edges, one for dataflow
#: edges (``ModelConfig(edge_groups=SYNTAX_DATAFLOW_GROUPS)``). Not the default: on the
#: measurements in docs/model.md it learned no better than one group and costs 1.4×.
SYNTAX_DATAFLOW_GROUPS: tuple[tuple[str, ...], ...] = (SYNTAX_EDGE_TYPES, DATAFLOW_EDGE_TYPES)

#: The bug classes the mutation operators make, in the order they are enumerated (the
#: bug head's label vocabulary; ``yantra_gnn.labels.mutate`` documents each).
BUG_CLASSES: tuple[str, ...] = (
    "variable_misuse",
    "argument_swap",
    "wrong_binary_operator",
    "wrong_comparison_operator",
    "wrong_boolean_operator",
    "off_by_one",
    "wrong_assignment_target",
    "deleted_statement",
)
