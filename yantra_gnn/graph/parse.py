"""Source validation and a flat, array-based view of the tree-sitter parse.

Everything after parsing works on :class:`FlatTree`: plain Python lists indexed by a
pre-order node id. That keeps later passes free of recursion (deeply nested code must
not raise ``RecursionError``) and of repeated calls into the tree-sitter bindings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import tree_sitter
import tree_sitter_python

from yantra_gnn.errors import (
    EmptySourceError,
    GraphTooLargeError,
    SourceEncodingError,
    SourceTooLargeError,
    SourceTypeError,
)

#: Default cap on the size of one source file, in bytes.
DEFAULT_MAX_SOURCE_BYTES = 1_000_000

#: Default cap on the named nodes of one parse (a graph has at most this many nodes).
DEFAULT_MAX_NODES = 100_000

#: ``kind_id`` tree-sitter gives ERROR nodes (``(TSSymbol) -1``).
ERROR_KIND_ID = 65535


@lru_cache(maxsize=1)
def python_language() -> tree_sitter.Language:
    """The tree-sitter Python grammar (loaded once per process)."""
    return tree_sitter.Language(tree_sitter_python.language())


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(python_language())


def kind_id(name: str, named: bool = True) -> int:
    """The grammar's ``kind_id`` for a node kind name, e.g. ``kind_id("identifier")``."""
    value = python_language().id_for_node_kind(name, named)
    if value is None:
        raise KeyError(
            f"tree-sitter-python has no {'named' if named else 'anonymous'} kind {name!r}"
        )
    return value


def decode_source(source: object, max_source_bytes: int = DEFAULT_MAX_SOURCE_BYTES) -> bytes:
    """Validate ``source`` and return it as UTF-8 bytes.

    Raises:
        SourceTypeError: ``source`` is neither ``str`` nor ``bytes``.
        SourceEncodingError: ``bytes`` that are not valid UTF-8 (the message gives the offset).
        SourceTooLargeError: more than ``max_source_bytes`` bytes.
        EmptySourceError: empty or whitespace-only source.
    """
    if isinstance(source, str):
        try:
            data = source.encode("utf-8")
        except UnicodeEncodeError as error:
            raise SourceEncodingError(
                f"source string holds a character that cannot be encoded as UTF-8 at index "
                f"{error.start} (a lone surrogate?); clean the text before building a graph"
            ) from None
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise SourceEncodingError(
                f"source bytes are not valid UTF-8: byte 0x{data[error.start]:02x} at offset "
                f"{error.start} ({error.reason}); decode the file with its real encoding and "
                f"pass a str"
            ) from None
    else:
        raise SourceTypeError(
            f"source must be str or bytes, got {type(source).__name__}; read the file first "
            f"(e.g. Path(p).read_text())"
        )
    if len(data) > max_source_bytes:
        raise SourceTooLargeError(
            f"source is {len(data):,} bytes, over the cap of {max_source_bytes:,} bytes; "
            f"raise the cap if you mean it (CodeGraphBuilder(max_source_bytes=...), or "
            f"--max-bytes on the command line)"
        )
    if not data.strip():
        raise EmptySourceError(
            "source is empty or whitespace-only: there is no code to build a graph from"
        )
    return data


@dataclass
class FlatTree:
    """Every tree-sitter node (named and anonymous) in pre-order, as parallel lists.

    Node ``0`` is the ``module`` root. ``parent[i]`` is ``-1`` for the root. Byte offsets
    and points (row, byte column) are recorded for every node, anonymous tokens (operators,
    keywords, punctuation) included; the root starts at the first token, not at byte 0.
    """

    source: bytes
    kind: list[int] = field(default_factory=list)
    named: list[bool] = field(default_factory=list)
    missing: list[bool] = field(default_factory=list)
    field_id: list[int] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    children: list[list[int]] = field(default_factory=list)
    start_byte: list[int] = field(default_factory=list)
    end_byte: list[int] = field(default_factory=list)
    start_row: list[int] = field(default_factory=list)
    start_col: list[int] = field(default_factory=list)
    end_row: list[int] = field(default_factory=list)
    end_col: list[int] = field(default_factory=list)
    has_error: bool = False

    def __len__(self) -> int:
        return len(self.kind)

    def text(self, node: int) -> str:
        """The source text of ``node``."""
        return self.source[self.start_byte[node] : self.end_byte[node]].decode("utf-8", "replace")

    def subtree_end(self, node: int) -> int:
        """One past the last pre-order id in ``node``'s subtree."""
        while self.children[node]:
            node = self.children[node][-1]
        return node + 1


def parse_flat(source: bytes, max_nodes: int | None = None) -> FlatTree:
    """Parse UTF-8 ``source`` and flatten the tree with an iterative cursor walk.

    Raises:
        GraphTooLargeError: the parse has more than ``max_nodes`` named nodes (checked
            during the walk, so the flat tree never grows past the cap).
    """
    tree = _parser().parse(source)
    limit = max_nodes if max_nodes is not None else -1
    named_count = 0
    flat = FlatTree(source=source, has_error=tree.root_node.has_error)
    kind, named, missing = flat.kind, flat.named, flat.missing
    field_ids, parent, depth, children = flat.field_id, flat.parent, flat.depth, flat.children
    start_byte, end_byte = flat.start_byte, flat.end_byte
    start_row, start_col = flat.start_row, flat.start_col
    end_row, end_col = flat.end_row, flat.end_col

    cursor = tree.walk()
    stack = [-1]  # pre-order ids of the ancestors of the cursor's node
    while True:
        node = cursor.node
        if node is None:  # a cursor over a tree always has a node
            raise AssertionError("tree-sitter cursor lost its node")
        index = len(kind)
        up = stack[-1]
        is_named = node.is_named
        if is_named:
            named_count += 1
            if named_count == limit + 1:
                raise GraphTooLargeError(
                    f"the source parses into more than {limit:,} named nodes; raise "
                    f"max_nodes if you really mean it (CodeGraphBuilder(max_nodes=...))"
                )
        kind.append(node.kind_id)
        named.append(is_named)
        missing.append(node.is_missing)
        field_ids.append(cursor.field_id or 0)
        parent.append(up)
        depth.append(len(stack) - 1)
        children.append([])
        start_byte.append(node.start_byte)
        end_byte.append(node.end_byte)
        row, col = node.start_point
        start_row.append(row)
        start_col.append(col)
        row, col = node.end_point
        end_row.append(row)
        end_col.append(col)
        if up >= 0:
            children[up].append(index)
        if cursor.goto_first_child():
            stack.append(index)
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return flat
            stack.pop()
