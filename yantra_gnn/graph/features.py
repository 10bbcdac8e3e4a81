"""The 978-dim node feature layout (documented in ``docs/features.md``).

Every block but the last is one-hot or multi-hot, so a node's features are kept as a
short sorted list of column indices (plus values for the structural scalars) and the
graph's ``x`` is a sparse COO tensor. All scalars are multiples of 1/64, so they survive
a float16 round trip exactly (the compact on-disk form, :func:`pack_features`).

The identifier hash is CRC-32 (``zlib.crc32``), not Python's salted ``hash()``: the same
source gives the same features in every process.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch

from yantra_gnn.graph.parse import ERROR_KIND_ID, kind_id, python_language
from yantra_gnn.schema import FEATURE_DIM

# Sparse COO features are built here and concatenated by PyG's collate; torch warns on
# every first use unless the (default) choice of not checking invariants is explicit.
torch.sparse.check_sparse_tensor_invariants.disable()


@dataclass(frozen=True)
class FeatureBlock:
    """A contiguous block of feature columns: ``[offset, offset + size)``."""

    name: str
    offset: int
    size: int

    @property
    def end(self) -> int:
        return self.offset + self.size


KIND_BLOCK = FeatureBlock("node_kind", 0, 280)
FIELD_BLOCK = FeatureBlock("field", 280, 32)
TOKEN_BLOCK = FeatureBlock("operator_keyword_token", 312, 64)
SUBTOKEN_BLOCK = FeatureBlock("identifier_subtoken_hash", 376, 496)
NAME_BLOCK = FeatureBlock("known_name", 872, 64)
SCALAR_BLOCK = FeatureBlock("structure_scalar", 936, 42)
FEATURE_BLOCKS = (KIND_BLOCK, FIELD_BLOCK, TOKEN_BLOCK, SUBTOKEN_BLOCK, NAME_BLOCK, SCALAR_BLOCK)

#: Column of ERROR nodes and of kinds the grammar may add later, inside the kind block.
ERROR_KIND_SLOT = 278
UNKNOWN_KIND_SLOT = 279

#: Anonymous tokens folded into their named parent (operators and keywords).
TOKENS: tuple[str, ...] = (
    "+", "-", "*", "/", "//", "%", "**", "@", "<<", ">>", "&", "|", "^", "~",
    "<", "<=", ">", ">=", "==", "!=", "<>", "in", "not in", "is", "is not",
    "and", "or", "not",
    "=", "+=", "-=", "*=", "/=", "//=", "%=", "**=", "@=", "<<=", ">>=", "&=", "|=", "^=",
    ":=", "->", "lambda", "await", "async", "yield", "from", "if", "else", "for", "while",
    "return", "del", "raise", "assert", "global", "nonlocal", "print", "exec", "with", "as",
    "def",
)  # fmt: skip

#: Builtins, stdlib modules and well-known attributes of competitive-programming code.
KNOWN_NAMES: tuple[str, ...] = (
    "print", "input", "range", "len", "int", "str", "float", "list", "dict", "set",
    "tuple", "map", "sorted", "sum", "min", "max", "abs", "enumerate", "zip", "open",
    "bool", "reversed", "any", "all", "ord", "chr", "divmod", "pow",
    "sys", "stdin", "stdout", "readline", "read", "write", "split", "strip", "append",
    "pop", "sort", "join", "count", "index",
    "math", "sqrt", "gcd", "ceil", "floor", "inf",
    "collections", "defaultdict", "Counter", "deque",
    "heapq", "heappush", "heappop", "bisect", "bisect_left", "bisect_right",
    "itertools", "permutations", "combinations", "accumulate",
    "functools", "lru_cache",
)  # fmt: skip

#: Structural scalar columns, in order, starting at ``SCALAR_BLOCK.offset``.
SCALARS: tuple[str, ...] = (
    "depth",  # AST depth of the node, min(d, 64) / 64
    "named_child_count",  # min(c, 16) / 16
    "sibling_index",  # position among named siblings, min(i, 16) / 16
    "is_leaf",
    "is_error",  # an ERROR node
    "is_missing",  # a token tree-sitter inserted to recover
    "int_zero",  # integer literal buckets: 0, 1, 2, 3-9, 10-99, 100-9999, 10^4-10^6-1, >= 10^6
    "int_one",
    "int_two",
    "int_small",
    "int_tens",
    "int_hundreds",
    "int_large",
    "int_huge",
    "float_literal_nonzero",
    "string_empty",
    "string_single_char",
    "string_length",  # min(len, 32) / 32
    "var_read",
    "var_write",
    "var_param",
    "def_name",  # the name of a def or class
    "call_target",  # the callee name of a call
    "attribute_name",
    "keyword_argument_name",
    "global_declared",
    "defined_function_name",  # an identifier that names a function defined in this file
    "unbound_read",  # a read no write reaches (builtin, import or a bug)
    "dead_write",  # a write no read reaches
    "reaching_writes",  # how many writes may reach a read, min(k, 4) / 4
    "loop_depth",  # enclosing loops, min(d, 4) / 4
    "branch_depth",  # enclosing if/elif/else/conditional expressions, min(d, 4) / 4
    "function_depth",  # enclosing def/lambda, min(d, 4) / 4
    "in_comprehension",
    "in_try",
    "in_lambda",
    "in_condition",  # inside the condition of an if/elif/while
    "relative_line",  # (start row - first code row) / code rows, in 1/64 steps
    "subtree_size",  # log2(1 + named descendants) / 16, in 1/64 steps
    "is_constant_name",  # an ALL_CAPS identifier
    "is_underscore_name",  # ``_`` or a name starting with ``_``
    "has_error_descendant",
)

_TOKEN_SLOT: dict[int, int] = {}
_language = python_language()
for _kind in range(_language.node_kind_count):
    _name = _language.node_kind_for_id(_kind)
    if not _language.node_kind_is_named(_kind) and _name in TOKENS:
        _TOKEN_SLOT[_kind] = TOKEN_BLOCK.offset + TOKENS.index(_name)
_NAME_SLOT = {name: NAME_BLOCK.offset + i for i, name in enumerate(KNOWN_NAMES)}
_SCALAR_SLOT = {name: SCALAR_BLOCK.offset + i for i, name in enumerate(SCALARS)}
_SUBTOKEN_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")

IDENTIFIER = kind_id("identifier")
INTEGER = kind_id("integer")
FLOAT = kind_id("float")
STRING_CONTENT = kind_id("string_content")
STRING = kind_id("string")


def token_slot(token_kind: int) -> int | None:
    """Column of an anonymous token kind, or ``None`` when it carries no meaning."""
    return _TOKEN_SLOT.get(token_kind)


def kind_slot(kind: int) -> int:
    """Column of a node kind in the one-hot kind block."""
    if kind == ERROR_KIND_ID:
        return ERROR_KIND_SLOT
    return kind if kind < ERROR_KIND_SLOT else UNKNOWN_KIND_SLOT


def scalar_slot(name: str) -> int:
    return _SCALAR_SLOT[name]


def subtokens(identifier: str) -> list[str]:
    """Lower-case sub-tokens of an identifier: ``maxValue_2`` → ``max, value, 2``."""
    return [part.lower() for part in _SUBTOKEN_RE.findall(identifier)]


@lru_cache(maxsize=65536)
def subtoken_slots(text: str, prefix: str = "") -> frozenset[int]:
    """Hashed columns of the sub-tokens of ``text`` (and of the whole lower-cased name)."""
    parts = subtokens(text)
    words = {*parts, text.lower()} if len(parts) > 1 else set(parts) or {text.lower()}
    size, offset = SUBTOKEN_BLOCK.size, SUBTOKEN_BLOCK.offset
    return frozenset(offset + zlib.crc32((prefix + word).encode()) % size for word in words)


def name_slot(text: str) -> int | None:
    return _NAME_SLOT.get(text)


def integer_bucket(text: str) -> str | None:
    """Scalar name of an integer literal's magnitude bucket (``None`` if unparsable)."""
    try:
        value = int(text.replace("_", ""), 0)
    except ValueError:
        return None
    value = abs(value)
    if value <= 2:
        return ("int_zero", "int_one", "int_two")[value]
    if value < 10:
        return "int_small"
    if value < 100:
        return "int_tens"
    if value < 10_000:
        return "int_hundreds"
    if value < 1_000_000:
        return "int_large"
    return "int_huge"


def sparse_from_entries(
    rows: np.ndarray, cols: np.ndarray, values: np.ndarray, num_nodes: int
) -> torch.Tensor:
    """Coalesced sparse COO ``[num_nodes, FEATURE_DIM]`` from (row, column, value) entries.

    Duplicate entries (two sub-tokens hashing to one column) keep one copy: the multi-hot
    blocks are sets, not counts.
    """
    keys, first = np.unique(rows * FEATURE_DIM + cols, return_index=True)
    indices = torch.from_numpy(np.stack([keys // FEATURE_DIM, keys % FEATURE_DIM]))
    return torch.sparse_coo_tensor(
        indices,
        torch.from_numpy(values[first].astype(np.float32)),
        (num_nodes, FEATURE_DIM),
        is_coalesced=True,
        check_invariants=False,
    )


def pack_features(x: torch.Tensor) -> dict[str, torch.Tensor]:
    """Compact storage of a sparse feature matrix: CSR row pointers, int16 columns, fp16 values.

    About 4 bytes per non-zero instead of 20 for COO; :func:`unpack_features` inverts it
    exactly (every value is a multiple of 1/64).
    """
    x = x.coalesce()
    rows, cols = x.indices()
    counts = torch.bincount(rows, minlength=x.size(0))
    row_ptr = torch.zeros(x.size(0) + 1, dtype=torch.int32)
    row_ptr[1:] = torch.cumsum(counts, 0)
    return {
        "row_ptr": row_ptr,
        "col": cols.to(torch.int16),
        "value": x.values().to(torch.float16),
    }


def unpack_features(packed: dict[str, torch.Tensor]) -> torch.Tensor:
    """Sparse COO ``[N, FEATURE_DIM]`` tensor from :func:`pack_features` output."""
    row_ptr = packed["row_ptr"].long()
    num_nodes = row_ptr.numel() - 1
    rows = torch.repeat_interleave(torch.arange(num_nodes), row_ptr.diff())
    indices = torch.stack([rows, packed["col"].long()])
    return torch.sparse_coo_tensor(
        indices,
        packed["value"].float(),
        (num_nodes, FEATURE_DIM),
        is_coalesced=True,
        check_invariants=False,
    )


def to_dense_features(data_or_x) -> torch.Tensor:
    """Dense ``[N, FEATURE_DIM]`` float matrix of a graph (or of its ``x``)."""
    x = getattr(data_or_x, "x", data_or_x)
    return x.to_dense() if x.is_sparse else x


def column_name(column: int) -> str:
    """A readable name for a feature column, e.g. ``node_kind:identifier`` or ``token:<=``."""
    if not 0 <= column < FEATURE_DIM:
        raise IndexError(f"feature column {column} is outside [0, {FEATURE_DIM})")
    if column < KIND_BLOCK.end:
        if column == ERROR_KIND_SLOT:
            return "node_kind:ERROR"
        if column == UNKNOWN_KIND_SLOT or column >= _language.node_kind_count:
            return f"node_kind:reserved_{column}"
        return f"node_kind:{_language.node_kind_for_id(column)}"
    if column < FIELD_BLOCK.end:
        return f"field:{_language.field_name_for_id(column - FIELD_BLOCK.offset + 1)}"
    if column < TOKEN_BLOCK.end:
        return f"token:{TOKENS[column - TOKEN_BLOCK.offset]}"
    if column < SUBTOKEN_BLOCK.end:
        return f"subtoken_hash:{column - SUBTOKEN_BLOCK.offset}"
    if column < NAME_BLOCK.end:
        return f"name:{KNOWN_NAMES[column - NAME_BLOCK.offset]}"
    return f"scalar:{SCALARS[column - SCALAR_BLOCK.offset]}"


assert sum(block.size for block in FEATURE_BLOCKS) == FEATURE_DIM
assert len(TOKENS) == TOKEN_BLOCK.size, len(TOKENS)
assert len(KNOWN_NAMES) == NAME_BLOCK.size, len(KNOWN_NAMES)
assert len(SCALARS) == SCALAR_BLOCK.size, len(SCALARS)
assert _language.node_kind_count <= ERROR_KIND_SLOT
assert _language.field_count <= FIELD_BLOCK.size
