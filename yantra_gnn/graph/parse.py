"""Source validation and a flat, array-based view of the tree-sitter parse.

Everything after parsing works on :class:`FlatTree`: plain Python lists indexed by a
pre-order node id. That keeps later passes free of recursion (deeply nested code must
not raise ``RecursionError``) and of repeated calls into the tree-sitter bindings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
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


@lru_cache(maxsize=1)
def _named_of_kind() -> list[bool]:
    """``is_named`` of every ``kind_id`` (ERROR, 65535, is named), read off the grammar.

    A node's ``is_named`` is its kind's: tree-sitter merges symbols (and aliases) only
    when both their name and their named-ness agree.
    """
    language = python_language()
    table = [False] * (ERROR_KIND_ID + 1)
    for k in range(language.node_kind_count):
        table[k] = language.node_kind_is_named(k)
    table[ERROR_KIND_ID] = True
    return table


_COMMENT = kind_id("comment")

#: Named nodes parsed between two checks of ``max_nodes`` (the flat tree never holds
#: more than this many nodes past the cap).
_CAP_CHECK_EVERY = 4096


@dataclass
class FlatTree:
    """Every tree-sitter node (named and anonymous) in pre-order, as parallel lists.

    Node ``0`` is the ``module`` root. ``parent[i]`` is ``-1`` for the root. Byte offsets
    and points (row, byte column) are recorded for every node, anonymous tokens (operators,
    keywords, punctuation) included; the root starts at the first token, not at byte 0.
    Points are derived from the byte offsets when first asked for (tree-sitter counts
    rows at ``\\n`` only and columns in bytes, so they are the same numbers).
    """

    source: bytes
    kind: list[int] = field(default_factory=list)
    named: list[bool] = field(default_factory=list)
    missing: list[bool] = field(default_factory=list)
    field_id: list[int] = field(default_factory=list)
    parent: list[int] = field(default_factory=list)
    depth: list[int] = field(default_factory=list)
    children: list[list[int]] = field(default_factory=list)
    #: The named children of each node that are not comments (what scopes, dataflow
    #: and mutations walk).
    named_children: list[list[int]] = field(default_factory=list)
    #: One past the last pre-order id of each node's subtree.
    end: list[int] = field(default_factory=list)
    start_byte: list[int] = field(default_factory=list)
    end_byte: list[int] = field(default_factory=list)
    has_error: bool = False

    def __len__(self) -> int:
        return len(self.kind)

    def text(self, node: int) -> str:
        """The source text of ``node``."""
        return self.source[self.start_byte[node] : self.end_byte[node]].decode("utf-8", "replace")

    def subtree_end(self, node: int) -> int:
        """One past the last pre-order id in ``node``'s subtree."""
        return self.end[node]

    def points(self, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row, byte column) of each byte offset in ``offsets``, as tree-sitter counts."""
        newlines = self._newlines
        rows = np.searchsorted(newlines, offsets, side="left")
        line_starts = np.concatenate((np.zeros(1, dtype=np.int64), newlines + 1))
        return rows, offsets - line_starts[rows]

    @cached_property
    def _newlines(self) -> np.ndarray:
        return np.flatnonzero(np.frombuffer(self.source, dtype=np.uint8) == 10)

    @cached_property
    def _start_points(self) -> tuple[list[int], list[int]]:
        rows, cols = self.points(np.asarray(self.start_byte, dtype=np.int64))
        return rows.tolist(), cols.tolist()

    @cached_property
    def _end_points(self) -> tuple[list[int], list[int]]:
        rows, cols = self.points(np.asarray(self.end_byte, dtype=np.int64))
        return rows.tolist(), cols.tolist()

    @property
    def start_row(self) -> list[int]:
        """0-based start row of every node."""
        return self._start_points[0]

    @property
    def start_col(self) -> list[int]:
        """Start column (in bytes) of every node."""
        return self._start_points[1]

    @property
    def end_row(self) -> list[int]:
        """0-based end row of every node."""
        return self._end_points[0]

    @property
    def end_col(self) -> list[int]:
        """End column (in bytes) of every node."""
        return self._end_points[1]


def parse_flat(source: bytes, max_nodes: int | None = None) -> FlatTree:
    """Parse UTF-8 ``source`` and flatten the tree with an iterative cursor walk.

    The walk makes the fewest calls into the bindings and allocates no Python container
    per node (a list or tuple per node made the cyclic garbage collector run often);
    children and subtree ends are derived afterwards.

    Raises:
        GraphTooLargeError: the parse has more than ``max_nodes`` named nodes (checked
            during the walk, so the flat tree never grows far past the cap).
    """
    tree = _parser().parse(source)
    named_of = _named_of_kind()
    limit = max_nodes if max_nodes is not None else -1
    counted, check_at = 0, _CAP_CHECK_EVERY

    kind: list[int] = []
    start_byte: list[int] = []
    end_byte: list[int] = []
    fields: list[int | None] = []
    parent: list[int] = []
    depth: list[int] = []
    kind_append, start_append, end_append = kind.append, start_byte.append, end_byte.append
    field_append, parent_append, depth_append = fields.append, parent.append, depth.append
    internal: list[int] = []  # nodes with children, and one past their last descendant
    cursor = tree.walk()
    goto_first_child, goto_next_sibling = cursor.goto_first_child, cursor.goto_next_sibling
    goto_parent = cursor.goto_parent
    ancestors: list[int] = []  # pre-order ids of the ancestors of ``up``
    up, level, index = -1, 0, 0
    while True:
        node = cursor.node
        if node is None:  # a cursor over a tree always has a node
            raise AssertionError("tree-sitter cursor lost its node")
        kind_append(node.kind_id)
        start_append(node.start_byte)
        end_append(node.end_byte)
        field_append(cursor.field_id)
        parent_append(up)
        depth_append(level)
        index += 1
        if index == check_at:
            counted = _count_named(named_of, kind[check_at - _CAP_CHECK_EVERY :], counted, limit)
            check_at += _CAP_CHECK_EVERY
        if goto_first_child():
            ancestors.append(up)
            up = index - 1
            level += 1
            continue
        while not goto_next_sibling():
            if not goto_parent():
                _count_named(named_of, kind[check_at - _CAP_CHECK_EVERY :], counted, limit)
                return _flat_tree(
                    source, tree, kind, start_byte, end_byte, fields, parent, depth, internal
                )
            internal.append(up)
            internal.append(index)
            up = ancestors.pop()
            level -= 1


_NO_CHILDREN: list[int] = []  # shared by every leaf; never appended to


def _flat_tree(
    source: bytes,
    tree: tree_sitter.Tree,
    kind: list[int],
    start_byte: list[int],
    end_byte: list[int],
    fields: list[int | None],
    parent: list[int],
    depth: list[int],
    internal: list[int],
) -> FlatTree:
    """The :class:`FlatTree` of the walk's lists (``internal``: node, end, node, end ...)."""
    named_of, comment = _named_of_kind(), _COMMENT
    named = [named_of[k] for k in kind]
    n = len(kind)
    end = list(range(1, n + 1))
    children = [_NO_CHILDREN] * n
    named_children = [_NO_CHILDREN] * n
    for i in range(0, len(internal), 2):
        node = internal[i]
        end[node] = internal[i + 1]
        children[node] = []
        named_children[node] = []
    for node in range(1, n):
        up = parent[node]
        children[up].append(node)
        if named[node] and kind[node] != comment:
            named_children[up].append(node)
    has_error = tree.root_node.has_error  # MISSING tokens only occur in such trees
    return FlatTree(
        source=source,
        kind=kind,
        named=named,
        missing=_missing_flags(tree) if has_error else [False] * n,
        field_id=[f or 0 for f in fields],
        parent=parent,
        depth=depth,
        children=children,
        named_children=named_children,
        end=end,
        start_byte=start_byte,
        end_byte=end_byte,
        has_error=has_error,
    )


def _missing_flags(tree: tree_sitter.Tree) -> list[bool]:
    """``is_missing`` of every node in pre-order (a second walk, for trees with errors)."""
    flags: list[bool] = []
    cursor = tree.walk()
    while True:
        node = cursor.node
        if node is None:
            raise AssertionError("tree-sitter cursor lost its node")
        flags.append(node.is_missing)
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return flags


def _count_named(named_of: list[bool], kinds: list[int], counted: int, limit: int) -> int:
    """``counted`` plus the named nodes among ``kinds``; raises when that is more than
    ``limit`` (``-1``: no limit)."""
    counted += sum([named_of[k] for k in kinds])
    if 0 <= limit < counted:
        raise GraphTooLargeError(
            f"the source parses into more than {limit:,} named nodes; raise "
            f"max_nodes if you really mean it (CodeGraphBuilder(max_nodes=...))"
        )
    return counted
