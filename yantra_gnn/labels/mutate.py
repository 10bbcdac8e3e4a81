"""Mutation operators: small, realistic bugs spliced into correct Python solutions.

Each operator finds candidate places in the parse of a correct program
(:func:`yantra_gnn.graph.parse.parse_flat`; names and their scopes come from
:class:`yantra_gnn.graph.scopes.ScopeTree`, the analysis the graph's dataflow uses) and
makes one change there as a **text splice**: the byte range of one node (or of one
statement, for deletions) is replaced and every other byte of the source is kept, so
a mutant differs from its original only where the bug is. Every mutant differs from
the original and compiles (``compile()``); candidates that do not are dropped.

The bug classes (:data:`BUG_CLASSES`, the vocabulary of the bug head):

- ``variable_misuse``: a read of variable ``a`` becomes a read of ``b``, another
  variable bound in the same function scope before that read.
- ``argument_swap``: two positional arguments of a call change places.
- ``wrong_binary_operator``: ``+`` ↔ ``-``, ``*`` → ``//``, ``//`` → ``*`` / ``/``, … in
  a binary expression or an augmented assignment (``+=`` → ``-=``).
- ``wrong_comparison_operator``: ``<`` → ``<=`` / ``>``, ``==`` ↔ ``!=``,
  ``in`` ↔ ``not in``, ``is`` ↔ ``is not``, …
- ``wrong_boolean_operator``: ``and`` ↔ ``or``, and ``not x`` → ``x``.
- ``off_by_one``: a decimal integer literal ``n`` → ``n + 1`` / ``n - 1`` (written as
  the new literal), or a non-literal ``range(...)`` bound ``e`` → ``e + 1`` / ``e - 1``.
- ``wrong_assignment_target``: ``x = ...`` (or ``x += ...``) assigns to another
  variable of the same scope.
- ``deleted_statement``: one simple statement of a block with at least two statements
  is deleted (a block's only statement becomes ``pass``).

Nothing inside import statements, string literals (f-string fields included),
comments, ``global`` / ``nonlocal`` / ``del`` statements or ``match`` patterns is
mutated. Mutants still have to be *run* to become training labels: a mutant that
passes its tests (an equivalent mutant) is not a bug; the labels module filters them.
"""

from __future__ import annotations

import logging
import random
import re
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from yantra_gnn.errors import ConfigError, SourceEncodingError, SourceTypeError
from yantra_gnn.graph import scopes
from yantra_gnn.graph.parse import FlatTree, kind_id, parse_flat
from yantra_gnn.graph.scopes import ScopeTree
from yantra_gnn.schema import BUG_CLASSES

logger = logging.getLogger(__name__)

#: Binary operator → the operators it is replaced by (also used for ``op=`` forms).
BINARY_OPERATOR_SWAPS: dict[str, tuple[str, ...]] = {
    "+": ("-",),
    "-": ("+",),
    "*": ("//",),
    "//": ("*", "/"),
    "/": ("//",),
    "%": ("//",),
    "**": ("*",),
    "<<": (">>",),
    ">>": ("<<",),
    "&": ("|",),
    "|": ("&",),
    "^": ("|",),
}

#: Comparison operator → the operators it is replaced by.
COMPARISON_OPERATOR_SWAPS: dict[str, tuple[str, ...]] = {
    "<": ("<=", ">"),
    "<=": ("<", ">="),
    ">": (">=", "<"),
    ">=": (">", "<="),
    "==": ("!=",),
    "!=": ("==",),
    "in": ("not in",),
    "not in": ("in",),
    "is": ("is not",),
    "is not": ("is",),
}

#: Boolean operator → its replacement.
BOOLEAN_OPERATOR_SWAPS: dict[str, str] = {"and": "or", "or": "and"}

_K = kind_id


def _kinds(names: str) -> frozenset[int]:
    """The kind ids of space-separated named kinds."""
    return frozenset(kind_id(name) for name in names.split())


_IDENTIFIER = scopes.IDENTIFIER
_INTEGER = _K("integer")
_CALL = _K("call")
_ATTRIBUTE = _K("attribute")
_ARGUMENT_LIST = _K("argument_list")
_KEYWORD_ARGUMENT = _K("keyword_argument")
_AS_PATTERN = _K("as_pattern")
_BINARY_OPERATOR = _K("binary_operator")
_COMPARISON_OPERATOR = _K("comparison_operator")
_BOOLEAN_OPERATOR = _K("boolean_operator")
_NOT_OPERATOR = _K("not_operator")
_EXPRESSION_STATEMENT = _K("expression_statement")
_BLOCKS = frozenset({_K("block"), scopes.MODULE})
_STRINGS = frozenset({_K("string"), _K("concatenated_string")})
_SEMICOLON = _K(";", named=False)
_FUNCTIONS = frozenset({scopes.FUNCTION_DEFINITION, scopes.LAMBDA})
_DEFAULT_PARAMETERS = frozenset({scopes.DEFAULT_PARAMETER, scopes.TYPED_DEFAULT_PARAMETER})
# Scopes whose code runs inside the enclosing scope's frame and sees its names.
_SEES_ENCLOSING = scopes.COMPREHENSION_KINDS | {scopes.LAMBDA}

# Subtrees no operator looks into.
_SKIPPED_KINDS = _kinds(
    "comment string concatenated_string import_statement import_from_statement"
    " future_import_statement global_statement nonlocal_statement delete_statement"
    " case_pattern"
)
_DELETABLE_STATEMENTS = _kinds(
    "expression_statement return_statement break_statement continue_statement"
    " assert_statement raise_statement"
)
# Expressions that need parentheses before ``+ 1`` keeps their meaning.
_LOW_PRECEDENCE = _kinds(
    "conditional_expression lambda boolean_operator not_operator comparison_operator"
    " named_expression"
)
# Argument-list entries that are not positional arguments.
_NOT_POSITIONAL = _kinds(
    "keyword_argument list_splat dictionary_splat comment parenthesized_list_splat"
)
_ADDITIVE_OR_TIGHTER = frozenset({"+", "-", "*", "/", "//", "%", "**", "@"})
# Calls whose positional arguments commute: swapping them cannot be a bug.
_COMMUTATIVE_CALLS = frozenset({"max", "min", "gcd", "lcm", "hypot"})
_DECIMAL_INTEGER = re.compile(r"(?:0|[1-9](?:_?[0-9])*)")


Span = tuple[int, int, int, int]


@dataclass(frozen=True)
class Mutant:
    """One buggy variant of a source.

    Attributes:
        source: the mutant's full source text.
        bug_class: one of :data:`BUG_CLASSES`.
        span: ``(start_row, start_col, end_row, end_col)``, 0-based, columns in UTF-8
            bytes (tree-sitter points), of the changed text **in the mutant**: the new
            operator / name / literal / expression, the region of both swapped arguments,
            or the ``pass`` that replaced a block's only statement. For a deleted
            statement it is the statement that now follows it in its block, or, when the
            deleted one was last, the statement before it.
        original_span: the same for the replaced text in the original source (the
            deleted statement itself for ``deleted_statement``).
        description: human-readable change, e.g. ``"'<' → '<=' at line 7"``.
    """

    source: str
    bug_class: str
    span: Span
    original_span: Span
    description: str


@dataclass(frozen=True)
class _Edit:
    """Replace ``data[start:end]`` by ``replacement``; focus offsets are absolute bytes."""

    bug_class: str
    start: int
    end: int
    replacement: bytes
    focus: tuple[int, int]
    original_focus: tuple[int, int]
    description: str


@dataclass
class _Program:
    """A parsed source and what the operators look at.

    Attributes:
        tree: the parse.
        scopes: its scopes (:class:`~yantra_gnn.graph.scopes.ScopeTree`).
        walked: pre-order ids of every node outside the subtrees no operator touches.
        reads: identifiers read (outside those subtrees).
        assignment_targets: identifiers assigned by ``=`` / ``op=``.
        bindings: per scope node, each name bound there and the byte offset of its
            first binding: a parameter at its ``(``, an assignment / ``as`` / walrus
            target at the end of its statement or expression, a ``for`` target at the
            end of the iterable, a comprehension variable at the comprehension's start.
    """

    tree: FlatTree
    scopes: ScopeTree
    walked: list[int] = field(default_factory=list)
    reads: list[int] = field(default_factory=list)
    assignment_targets: list[int] = field(default_factory=list)
    bindings: dict[int, dict[str, int]] = field(default_factory=dict)
    _visible: dict[int, dict[str, int]] = field(default_factory=dict)

    def bind(self, identifiers: list[int], offset: int) -> None:
        """Bind ``identifiers`` in their scopes, ``offset`` unless bound earlier."""
        scope_of, name = self.scopes.scope_of, self.scopes.name
        for ident in identifiers:
            names = self.bindings.setdefault(scope_of[ident], {})
            text = name(ident)
            if text not in names or offset < names[text]:
                names[text] = offset

    def visible(self, scope: int) -> dict[str, int]:
        """Names readable in ``scope``: its own bindings, plus, for lambdas and
        comprehensions, those of the scope around them (their bodies run inside it)."""
        names = self._visible.get(scope)
        if names is None:
            names = {}
            s = scope
            while True:
                for text, offset in self.bindings.get(s, {}).items():
                    names.setdefault(text, offset)
                if self.scopes.scope_kind[s] not in _SEES_ENCLOSING:
                    break
                s = self.scopes.scope_of[s]
            self._visible[scope] = names
        return names


def _child(tree: FlatTree, node: int, field_name: str) -> int:
    """First child (named or not) of ``node`` in field ``field_name``, or ``-1``."""
    wanted, field_ids = scopes.FIELD[field_name], tree.field_id
    for c in tree.children[node]:
        if field_ids[c] == wanted:
            return c
    return -1


def _field_children(tree: FlatTree, node: int, field_name: str) -> list[int]:
    wanted, field_ids = scopes.FIELD[field_name], tree.field_id
    return [c for c in tree.children[node] if field_ids[c] == wanted]


def _named_children(tree: FlatTree, node: int) -> list[int]:
    """Named children, comments included (as tree-sitter counts them)."""
    named = tree.named
    return [c for c in tree.children[node] if named[c]]


def _short(text: str, limit: int = 40) -> str:
    """First line of ``text``, cut to ``limit`` characters, for descriptions."""
    stripped = text.strip()
    first = stripped.splitlines()[0] if stripped else ""
    if len(first) > limit:
        return first[: limit - 1] + "…"
    return first if first == stripped else first + " …"


def _line(tree: FlatTree, node: int) -> int:
    return tree.start_row[node] + 1


def _walk(tree: FlatTree) -> list[int]:
    """Pre-order node ids, skipping the subtrees no operator may touch."""
    kind, n = tree.kind, len(tree)
    walked = []
    node = 0
    while node < n:
        if kind[node] in _SKIPPED_KINDS:
            node = tree.subtree_end(node)
            continue
        walked.append(node)
        node += 1
    return walked


# --------------------------------------------------------------------------- names


def _analyse(tree: FlatTree) -> _Program:
    """Scopes, the walk, and the reads, assignment targets and bindings of ``tree``.

    Names are collected where code is evaluated: not in the subtrees no operator touches,
    nor in ``def`` / ``class`` names, type parameters, keyword-argument names or
    attribute names, and a comprehension target only binds. Each identifier belongs to
    the scope :class:`~yantra_gnn.graph.scopes.ScopeTree` gives it; binding sites bind
    the identifiers it lists for them.
    """
    scope_tree = ScopeTree(tree)
    program = _Program(tree, scope_tree, walked=_walk(tree))
    kind, start, end = tree.kind, tree.start_byte, tree.end_byte
    nchildren = scope_tree.nchildren
    stack = [0]

    def push(node: int) -> None:
        if node >= 0:
            stack.append(node)

    def target(node: int, offset: int, assign: bool) -> None:
        """Bind a target's names; the parts it evaluates (``a[i]``, ``o.x``) are read."""
        for part, binds in scope_tree.target_parts(node):
            if binds:
                program.bind([part], offset)
                if assign:
                    program.assignment_targets.append(part)
            else:
                stack.append(part)

    while stack:
        node = stack.pop()
        k = kind[node]
        if k in _SKIPPED_KINDS:
            continue
        if k == _IDENTIFIER:
            program.reads.append(node)
        elif k in _FUNCTIONS:
            parameters = _child(tree, node, "parameters")
            if parameters >= 0:
                program.bind(scope_tree.parameter_identifiers(parameters), start[parameters])
                for parameter in nchildren[parameters]:
                    pk = kind[parameter]
                    if pk in _DEFAULT_PARAMETERS:
                        push(_child(tree, parameter, "type"))
                        push(_child(tree, parameter, "value"))
                    elif pk == scopes.TYPED_PARAMETER:
                        push(_child(tree, parameter, "type"))
            push(_child(tree, node, "return_type"))
            push(_child(tree, node, "body"))
        elif k == scopes.CLASS_DEFINITION:
            push(_child(tree, node, "superclasses"))
            push(_child(tree, node, "body"))
        elif k in scopes.COMPREHENSION_KINDS:
            for c in nchildren[node]:
                if kind[c] == scopes.FOR_IN_CLAUSE:
                    for left in _field_children(tree, c, "left"):
                        program.bind(scope_tree.target_identifiers(left), start[node])
                    stack.extend(_field_children(tree, c, "right"))
                else:
                    stack.append(c)
        elif k == scopes.ASSIGNMENT or k == scopes.AUGMENTED_ASSIGNMENT:
            push(_child(tree, node, "right"))
            push(_child(tree, node, "type"))
            target(_child(tree, node, "left"), end[node], assign=True)
        elif k == scopes.FOR_STATEMENT:
            push(_child(tree, node, "alternative"))
            push(_child(tree, node, "body"))
            right = _child(tree, node, "right")
            push(right)
            bound_at = end[right] if right >= 0 else start[node]
            target(_child(tree, node, "left"), bound_at, assign=False)
        elif k == _AS_PATTERN:
            for c in nchildren[node]:
                if kind[c] == scopes.AS_PATTERN_TARGET:
                    target(c, end[node], assign=False)
                else:
                    stack.append(c)
        elif k == scopes.NAMED_EXPRESSION:
            push(_child(tree, node, "value"))
            target(_child(tree, node, "name"), end[node], assign=False)
        elif k == _ATTRIBUTE:
            push(_child(tree, node, "object"))
        elif k == _KEYWORD_ARGUMENT:
            push(_child(tree, node, "value"))
        else:
            stack.extend(nchildren[node])
    return program


# --------------------------------------------------------------------------- operators


def _replace_node(bug_class: str, tree: FlatTree, node: int, new: str, description: str) -> _Edit:
    data = new.encode("utf-8")
    start, end = tree.start_byte[node], tree.end_byte[node]
    return _Edit(
        bug_class=bug_class,
        start=start,
        end=end,
        replacement=data,
        focus=(start, start + len(data)),
        original_focus=(start, end),
        description=description,
    )


def _variable_misuse(program: _Program) -> list[_Edit]:
    tree, scope_of = program.tree, program.scopes.scope_of
    edits = []
    for node in program.reads:
        name = tree.text(node)
        visible = program.visible(scope_of[node])
        if name not in visible:
            continue
        alternatives = sorted(
            (offset, other)
            for other, offset in visible.items()
            if other != name and offset < tree.start_byte[node]
        )
        for _, other in alternatives:
            edits.append(
                _replace_node(
                    "variable_misuse",
                    tree,
                    node,
                    other,
                    f"read of {name!r} → {other!r} at line {_line(tree, node)}",
                )
            )
    return edits


def _wrong_assignment_target(program: _Program) -> list[_Edit]:
    tree, scope_of = program.tree, program.scopes.scope_of
    edits = []
    for node in program.assignment_targets:
        name = tree.text(node)
        bound = program.bindings.get(scope_of[node], {})
        alternatives = sorted((offset, other) for other, offset in bound.items() if other != name)
        for _, other in alternatives:
            edits.append(
                _replace_node(
                    "wrong_assignment_target",
                    tree,
                    node,
                    other,
                    f"assignment to {name!r} → {other!r} at line {_line(tree, node)}",
                )
            )
    return edits


def _operator_edits(
    bug_class: str, tree: FlatTree, token: int, swaps: Sequence[str], label: str
) -> list[_Edit]:
    return [
        _replace_node(
            bug_class, tree, token, new, f"{label!r} → {new!r} at line {_line(tree, token)}"
        )
        for new in swaps
    ]


def _wrong_binary_operator(program: _Program) -> list[_Edit]:
    tree, kind = program.tree, program.tree.kind
    edits = []
    for node in program.walked:
        if kind[node] != _BINARY_OPERATOR and kind[node] != scopes.AUGMENTED_ASSIGNMENT:
            continue
        token = _child(tree, node, "operator")
        if token < 0:
            continue
        symbol = tree.text(token)
        if kind[node] == scopes.AUGMENTED_ASSIGNMENT:
            swaps = [new + "=" for new in BINARY_OPERATOR_SWAPS.get(symbol[:-1], ())]
        else:
            swaps = list(BINARY_OPERATOR_SWAPS.get(symbol, ()))
        edits.extend(_operator_edits("wrong_binary_operator", tree, token, swaps, symbol))
    return edits


def _wrong_comparison_operator(program: _Program) -> list[_Edit]:
    tree, kind = program.tree, program.tree.kind
    edits = []
    for node in program.walked:
        if kind[node] != _COMPARISON_OPERATOR:
            continue
        for token in _field_children(tree, node, "operators"):
            symbol = " ".join(tree.text(token).split())
            swaps = COMPARISON_OPERATOR_SWAPS.get(symbol, ())
            edits.extend(_operator_edits("wrong_comparison_operator", tree, token, swaps, symbol))
    return edits


def _wrong_boolean_operator(program: _Program) -> list[_Edit]:
    tree, kind = program.tree, program.tree.kind
    edits = []
    for node in program.walked:
        if kind[node] == _BOOLEAN_OPERATOR:
            token = _child(tree, node, "operator")
            symbol = tree.text(token) if token >= 0 else ""
            if symbol in BOOLEAN_OPERATOR_SWAPS:
                swaps = [BOOLEAN_OPERATOR_SWAPS[symbol]]
                edits.extend(_operator_edits("wrong_boolean_operator", tree, token, swaps, symbol))
        elif kind[node] == _NOT_OPERATOR:
            argument = _child(tree, node, "argument")
            if argument >= 0:
                text = tree.text(argument)
                edits.append(
                    _replace_node(
                        "wrong_boolean_operator",
                        tree,
                        node,
                        text,
                        f"removed 'not' before {_short(text)!r} at line {_line(tree, node)}",
                    )
                )
    return edits


def _positional_arguments(tree: FlatTree, call: int) -> list[int]:
    arguments = _child(tree, call, "arguments")
    if arguments < 0 or tree.kind[arguments] != _ARGUMENT_LIST:
        return []
    return [c for c in _named_children(tree, arguments) if tree.kind[c] not in _NOT_POSITIONAL]


def _call_name(tree: FlatTree, call: int) -> str:
    function = _child(tree, call, "function")
    if function < 0:
        return ""
    if tree.kind[function] == _ATTRIBUTE:
        attribute = _child(tree, function, "attribute")
        return tree.text(attribute) if attribute >= 0 else ""
    return tree.text(function)


def _off_by_one(program: _Program) -> list[_Edit]:
    tree, kind = program.tree, program.tree.kind
    edits = []
    for node in program.walked:
        if kind[node] == _INTEGER:
            text = tree.text(node)
            if not _DECIMAL_INTEGER.fullmatch(text):
                continue
            value = int(text.replace("_", ""))
            for shifted in (value + 1, value - 1):
                if shifted >= 0:
                    edits.append(
                        _replace_node(
                            "off_by_one",
                            tree,
                            node,
                            str(shifted),
                            f"{text} → {shifted} at line {_line(tree, node)}",
                        )
                    )
        elif kind[node] == _CALL and _is_range_call(tree, node):
            arguments = _child(tree, node, "arguments")
            positional = _positional_arguments(tree, node)
            if len(positional) != len(_named_children(tree, arguments)):
                continue
            if not 1 <= len(positional) <= 3:
                continue
            bounds = positional[:1] if len(positional) == 1 else positional[:2]
            for bound in bounds:
                if _covered_by_literal_rule(tree, bound):
                    continue
                text = tree.text(bound)
                operand = f"({text})" if _needs_parentheses(tree, bound) else text
                for sign in ("+", "-"):
                    new = f"{operand} {sign} 1"
                    edits.append(
                        _replace_node(
                            "off_by_one",
                            tree,
                            bound,
                            new,
                            f"range bound {_short(text)!r} → {_short(new)!r} "
                            f"at line {_line(tree, bound)}",
                        )
                    )
    return edits


def _is_range_call(tree: FlatTree, call: int) -> bool:
    function = _child(tree, call, "function")
    arguments = _child(tree, call, "arguments")
    return (
        function >= 0
        and tree.kind[function] == _IDENTIFIER
        and tree.text(function) == "range"
        and arguments >= 0
        and tree.kind[arguments] == _ARGUMENT_LIST
    )


def _covered_by_literal_rule(tree: FlatTree, bound: int) -> bool:
    """A literal bound, or ``e ± literal``: moving the literal already shifts it by one."""
    if tree.kind[bound] == _INTEGER:
        return True
    if tree.kind[bound] == _BINARY_OPERATOR:
        operator = _child(tree, bound, "operator")
        right = _child(tree, bound, "right")
        return (
            operator >= 0
            and tree.text(operator) in ("+", "-")
            and right >= 0
            and tree.kind[right] == _INTEGER
        )
    return False


def _needs_parentheses(tree: FlatTree, node: int) -> bool:
    if tree.kind[node] in _LOW_PRECEDENCE:
        return True
    if tree.kind[node] == _BINARY_OPERATOR:
        operator = _child(tree, node, "operator")
        return operator < 0 or tree.text(operator) not in _ADDITIVE_OR_TIGHTER
    return False


def _argument_swap(program: _Program) -> list[_Edit]:
    tree, kind = program.tree, program.tree.kind
    source, start, end = tree.source, tree.start_byte, tree.end_byte
    edits = []
    for node in program.walked:
        if kind[node] != _CALL or _call_name(tree, node) in _COMMUTATIVE_CALLS:
            continue
        positional = _positional_arguments(tree, node)
        for i, first in enumerate(positional):
            for second in positional[i + 1 :]:
                first_text = source[start[first] : end[first]]
                second_text = source[start[second] : end[second]]
                if first_text == second_text:
                    continue
                replacement = second_text + source[end[first] : start[second]] + first_text
                edits.append(
                    _Edit(
                        bug_class="argument_swap",
                        start=start[first],
                        end=end[second],
                        replacement=replacement,
                        focus=(start[first], start[first] + len(replacement)),
                        original_focus=(start[first], end[second]),
                        description=(
                            f"swapped arguments {_short(first_text.decode('utf-8'))!r} and "
                            f"{_short(second_text.decode('utf-8'))!r} of "
                            f"{_call_name(tree, node) or 'a call'}(...) at line {_line(tree, node)}"
                        ),
                    )
                )
    return edits


def _deleted_statement(program: _Program) -> list[_Edit]:
    tree, kind, named = program.tree, program.tree.kind, program.tree.named
    start, end = tree.start_byte, tree.end_byte
    # The module's text, which starts at its first token (after any leading blank lines),
    # while the offsets below are from the start of the file, as they always were.
    data = tree.source[start[0] : end[0]]
    edits = []
    for block in program.walked:
        if kind[block] not in _BLOCKS:
            continue
        statements = [c for c in tree.children[block] if named[c] and kind[c] != scopes.COMMENT]
        for index, statement in enumerate(statements):
            if kind[statement] not in _DELETABLE_STATEMENTS or _is_docstring(tree, statement):
                continue
            text, line = _short(tree.text(statement)), _line(tree, statement)
            if len(statements) == 1:
                label = f"replaced {text!r} by 'pass' at line {line}"
                edits.append(_replace_node("deleted_statement", tree, statement, "pass", label))
                continue
            removed_start, removed_end = _deletion_range(tree, data, statement)
            removed = removed_end - removed_start
            if index + 1 < len(statements):
                following = statements[index + 1]
                focus = (start[following] - removed, end[following] - removed)
            else:
                preceding = statements[index - 1]
                focus = (start[preceding], end[preceding])
            edits.append(
                _Edit(
                    bug_class="deleted_statement",
                    start=removed_start,
                    end=removed_end,
                    replacement=b"",
                    focus=focus,
                    original_focus=(start[statement], end[statement]),
                    description=f"deleted {text!r} at line {line}",
                )
            )
    return edits


def _is_docstring(tree: FlatTree, statement: int) -> bool:
    children = _named_children(tree, statement)
    return (
        tree.kind[statement] == _EXPRESSION_STATEMENT
        and len(children) == 1
        and tree.kind[children[0]] in _STRINGS
    )


def _deletion_range(tree: FlatTree, data: bytes, statement: int) -> tuple[int, int]:
    """Bytes to remove for a statement: its whole lines when it has them to itself,
    otherwise the statement and the ``;`` that joins it to a neighbour."""
    start, end = tree.start_byte[statement], tree.end_byte[statement]
    line_start = data.rfind(b"\n", 0, start) + 1
    newline = data.find(b"\n", end)
    line_end = len(data) if newline < 0 else newline + 1
    before = data[line_start:start]
    after = data[end:line_end].strip()
    if not before.strip() and (not after or after.startswith(b"#")):
        return line_start, line_end
    kind, named = tree.kind, tree.named
    siblings = tree.children[tree.parent[statement]]
    index = siblings.index(statement)
    if index + 1 < len(siblings) and kind[siblings[index + 1]] == _SEMICOLON:
        semicolon = index + 1
        after_semicolon = next((c for c in siblings[semicolon + 1 :] if named[c]), -1)
        semicolon_row = tree.end_row[siblings[semicolon]]
        if after_semicolon >= 0 and tree.start_row[after_semicolon] == semicolon_row:
            return start, tree.start_byte[after_semicolon]
        return start, tree.end_byte[siblings[semicolon]]
    if index > 0 and kind[siblings[index - 1]] == _SEMICOLON:
        previous_statement = next((c for c in reversed(siblings[: index - 1]) if named[c]), -1)
        if previous_statement >= 0:
            return tree.end_byte[previous_statement], end
    return start, end


_OPERATORS: dict[str, Callable[[_Program], list[_Edit]]] = {
    "variable_misuse": _variable_misuse,
    "argument_swap": _argument_swap,
    "wrong_binary_operator": _wrong_binary_operator,
    "wrong_comparison_operator": _wrong_comparison_operator,
    "wrong_boolean_operator": _wrong_boolean_operator,
    "off_by_one": _off_by_one,
    "wrong_assignment_target": _wrong_assignment_target,
    "deleted_statement": _deleted_statement,
}


# --------------------------------------------------------------------------- public API


def _check_classes(classes: Sequence[str] | None) -> tuple[str, ...]:
    if classes is None:
        return BUG_CLASSES
    if isinstance(classes, str):
        classes = (classes,)
    unknown = [name for name in classes if name not in _OPERATORS]
    if unknown:
        raise ConfigError(f"unknown bug classes {unknown}; choose from {list(BUG_CLASSES)}")
    return tuple(name for name in BUG_CLASSES if name in set(classes))


def compiles(source: str, filename: str = "<mutant>") -> bool:
    """Whether ``source`` compiles as a module (warnings silenced; a syntax error, a null
    byte, too deep nesting or memory exhaustion all say no)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(source, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _point(data: bytes, offset: int) -> tuple[int, int]:
    row = data.count(b"\n", 0, offset)
    return row, offset - (data.rfind(b"\n", 0, offset) + 1)


def _span(data: bytes, start: int, end: int) -> Span:
    return (*_point(data, start), *_point(data, end))


def _prepare(source: object) -> tuple[bytes, FlatTree] | None:
    """Encode and parse ``source``; ``None`` when it is not valid Python 3."""
    if not isinstance(source, str):
        raise SourceTypeError(f"source must be str, got {type(source).__name__}")
    try:
        data = source.encode("utf-8")
    except UnicodeEncodeError as error:
        raise SourceEncodingError(
            f"source is not encodable as UTF-8 ({error.reason} at character {error.start}); "
            "pass text without lone surrogates"
        ) from error
    if not compiles(source):
        logger.debug("source does not compile: no mutants")
        return None
    tree = parse_flat(data)
    if tree.has_error:
        logger.debug("tree-sitter cannot parse the source cleanly: no mutants")
        return None
    return data, tree


def _candidate_edits(tree: FlatTree, classes: Sequence[str]) -> dict[str, list[_Edit]]:
    program = _analyse(tree)
    result = {}
    for bug_class in classes:
        edits = _OPERATORS[bug_class](program)
        edits.sort(key=lambda edit: (edit.start, edit.end))  # stable: keeps generation order
        result[bug_class] = edits
    return result


def _apply(data: bytes, edit: _Edit) -> Mutant | None:
    mutated = data[: edit.start] + edit.replacement + data[edit.end :]
    if mutated == data:
        return None
    source = mutated.decode("utf-8")
    if not compiles(source):
        return None
    return Mutant(
        source=source,
        bug_class=edit.bug_class,
        span=_span(mutated, *edit.focus),
        original_span=_span(data, *edit.original_focus),
        description=edit.description,
    )


def enumerate_mutants(source: str, classes: Sequence[str] | None = None) -> list[Mutant]:
    """Every mutant of ``source`` for the given bug classes (default: all).

    Order: by bug class (as in :data:`BUG_CLASSES`), then by position in the source (the
    replacements of one place in a fixed order). Mutants that equal the original, fail to
    compile or repeat another mutant of the same class are dropped. A source that is not
    valid Python 3 gives ``[]``.

    Raises:
        SourceTypeError: ``source`` is not a ``str``.
        SourceEncodingError: ``source`` holds lone surrogates.
        ConfigError: an unknown bug class.
    """
    selected = _check_classes(classes)
    prepared = _prepare(source)
    if prepared is None:
        return []
    data, tree = prepared
    mutants = []
    for edits in _candidate_edits(tree, selected).values():
        seen: set[str] = set()
        for edit in edits:
            mutant = _apply(data, edit)
            if mutant is not None and mutant.source not in seen:
                seen.add(mutant.source)
                mutants.append(mutant)
    return mutants


def sample_mutants(
    source: str,
    *,
    per_class: int,
    seed: int,
    classes: Sequence[str] | None = None,
) -> list[Mutant]:
    """Up to ``per_class`` mutants of each bug class, chosen with a seeded generator.

    The same ``(source, per_class, seed, classes)`` gives the same mutants in every
    process (``random.Random`` seeded with a string, no salted ``hash()``). Candidates
    are tried in a seeded shuffled order and only the chosen ones are compiled, so
    sampling a few mutants of a long program is much cheaper than enumerating them all.
    Order of the result: as in :func:`enumerate_mutants`.

    Raises:
        ConfigError: ``per_class`` is negative or an unknown bug class.
        SourceTypeError, SourceEncodingError: as :func:`enumerate_mutants`.
    """
    if isinstance(per_class, bool) or not isinstance(per_class, int) or per_class < 0:
        raise ConfigError(f"per_class must be a non-negative integer, got {per_class!r}")
    selected = _check_classes(classes)
    prepared = _prepare(source)
    if prepared is None or per_class == 0:
        return []
    data, tree = prepared
    chosen: list[tuple[int, int, Mutant]] = []
    for class_index, (bug_class, edits) in enumerate(_candidate_edits(tree, selected).items()):
        order = list(range(len(edits)))
        random.Random(f"yantra-mutate/{seed}/{bug_class}").shuffle(order)
        seen: set[str] = set()
        for position in order:
            mutant = _apply(data, edits[position])
            if mutant is None or mutant.source in seen:
                continue
            seen.add(mutant.source)
            chosen.append((class_index, position, mutant))
            if len(seen) == per_class:
                break
    chosen.sort(key=lambda item: (item[0], item[1]))
    return [mutant for _, _, mutant in chosen]
