"""Semantics-preserving rewrites of a program: positives for the embedding head.

Each rewrite changes how the code looks, not what it does: consistent variable
renaming, mirrored comparisons (``a < b`` → ``b > a`` where both sides are free of side
effects) and comment removal. The labels module keeps a rewrite only after running it
against the problem's tests, so a rewrite that is not equivalent after all is dropped.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from yantra_gnn.graph import dataflow as df
from yantra_gnn.graph.parse import FlatTree, kind_id, parse_flat, python_language

#: Rewrite kinds, in the order :func:`rewrites` tries them.
REWRITE_KINDS: tuple[str, ...] = ("rename_variables", "mirror_comparisons", "strip_comments")

_REPLACEMENT_NAMES = (
    "alpha", "beta", "gamma", "delta", "node", "cur", "tmp", "acc", "val", "elem", "idx",
    "cnt", "buf", "item", "key", "left", "right", "lo", "hi", "res", "total", "state",
)  # fmt: skip
_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_SIDE_EFFECT_FREE = frozenset(
    {
        kind_id("identifier"),
        kind_id("integer"),
        kind_id("float"),
        kind_id("true"),
        kind_id("false"),
        kind_id("none"),
        kind_id("string"),
    }
)
_COMPARISON = kind_id("comparison_operator")
_COMMENT = kind_id("comment")
_KEYWORD_ARGUMENT = kind_id("keyword_argument")
_F_NAME = python_language().field_id_for_name("name")
_F_ATTRIBUTE = python_language().field_id_for_name("attribute")


@dataclass(frozen=True)
class Rewrite:
    """A rewritten program and how it was made."""

    source: str
    kind: str
    description: str


def _splice(source: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply non-overlapping ``(start, end, replacement)`` byte edits."""
    out, position = [], 0
    for start, end, replacement in sorted(edits):
        out += [source[position:start], replacement]
        position = end
    out.append(source[position:])
    return b"".join(out)


def rename_variables(tree: FlatTree, seed: int = 0) -> Rewrite | None:
    """Rename every variable bound in the program (not functions, not keyword names)."""
    flow = df.analyze(tree)
    keyword_names = {
        tree.text(c)
        for v in range(len(tree))
        if tree.kind[v] == _KEYWORD_ARGUMENT
        for c in tree.children[v]
        if tree.field_id[c] == _F_NAME
    }
    attribute_names = {
        tree.text(c)
        for v in range(len(tree))
        if tree.kind[v] == df.ATTRIBUTE
        for c in tree.children[v]
        if tree.field_id[c] == _F_ATTRIBUTE
    }
    imported = {
        tree.text(v)
        for start in range(len(tree))
        if tree.kind[start] in df.IMPORT_KINDS
        for v in range(start, tree.subtree_end(start))
        if tree.kind[v] == df.IDENTIFIER
    }
    def_names = {tree.text(v) for v in flow.def_names}
    used = {tree.text(v) for v in range(len(tree)) if tree.kind[v] == df.IDENTIFIER}
    kept = def_names | keyword_names | attribute_names | imported | {"_", "self", "cls"}
    variables = sorted({tree.text(v) for v in flow.writes} - kept)
    if not variables:
        return None
    fresh = [name for name in _REPLACEMENT_NAMES if name not in used]
    start = zlib.crc32(f"{seed}".encode()) % max(len(fresh), 1)
    fresh = fresh[start:] + fresh[:start]
    mapping = dict(zip(variables, fresh, strict=False))
    occurrences = flow.reads | flow.writes | flow.global_names
    edits = [
        (tree.start_byte[v], tree.end_byte[v], mapping[tree.text(v)].encode())
        for v in occurrences
        if tree.text(v) in mapping
    ]
    if not edits:
        return None
    renamed = ", ".join(f"{a}→{b}" for a, b in mapping.items())
    return Rewrite(_splice(tree.source, edits).decode(), "rename_variables", f"renamed {renamed}")


def mirror_comparisons(tree: FlatTree) -> Rewrite | None:
    """``a < b`` → ``b > a`` for two-operand comparisons whose operands cannot have effects."""
    edits = []
    for v in range(len(tree)):
        if tree.kind[v] != _COMPARISON:
            continue
        named = [c for c in tree.children[v] if tree.named[c]]
        operators = [c for c in tree.children[v] if not tree.named[c]]
        if len(named) != 2 or len(operators) != 1:
            continue
        operator = python_language().node_kind_for_id(tree.kind[operators[0]])
        if operator not in _MIRROR or any(tree.kind[c] not in _SIDE_EFFECT_FREE for c in named):
            continue
        left, right = (tree.text(c) for c in named)
        edits.append(
            (tree.start_byte[v], tree.end_byte[v], f"{right} {_MIRROR[operator]} {left}".encode())
        )
    if not edits:
        return None
    return Rewrite(
        _splice(tree.source, edits).decode(),
        "mirror_comparisons",
        f"mirrored {len(edits)} comparison(s)",
    )


def strip_comments(tree: FlatTree) -> Rewrite | None:
    """Remove every comment (the graph drops comments, so features stay equal)."""
    edits = [
        (tree.start_byte[v], tree.end_byte[v], b"")
        for v in range(len(tree))
        if tree.kind[v] == _COMMENT
    ]
    if not edits:
        return None
    return Rewrite(
        _splice(tree.source, edits).decode(), "strip_comments", f"removed {len(edits)} comment(s)"
    )


def rewrites(source: str, seed: int = 0) -> list[Rewrite]:
    """Every applicable rewrite of ``source`` (each one a separate program).

    Sources with syntax errors get none: equivalence cannot be reasoned about there.
    """
    tree = parse_flat(source.encode("utf-8"))
    if tree.has_error:
        return []
    found = [rename_variables(tree, seed), mirror_comparisons(tree), strip_comments(tree)]
    return [r for r in found if r is not None and r.source != source]
