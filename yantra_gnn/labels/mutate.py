"""Mutation operators: small, realistic bugs spliced into correct Python solutions.

Each operator finds candidate places in a tree-sitter parse of a correct program and
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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import tree_sitter
import tree_sitter_python

from yantra_gnn.errors import ConfigError, SourceEncodingError, SourceTypeError
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

# Subtrees no operator looks into.
_SKIPPED_KINDS = frozenset(
    {
        "comment",
        "string",
        "concatenated_string",
        "import_statement",
        "import_from_statement",
        "future_import_statement",
        "global_statement",
        "nonlocal_statement",
        "delete_statement",
        "case_pattern",
    }
)
_COMPREHENSIONS = frozenset(
    {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
)
_TARGET_CONTAINERS = frozenset(
    {
        "pattern_list",
        "tuple_pattern",
        "list_pattern",
        "tuple",
        "list",
        "parenthesized_expression",
        "as_pattern_target",
        "list_splat_pattern",
        "list_splat",
    }
)
_DELETABLE_STATEMENTS = frozenset(
    {
        "expression_statement",
        "return_statement",
        "break_statement",
        "continue_statement",
        "assert_statement",
        "raise_statement",
    }
)
# Expressions that need parentheses before ``+ 1`` keeps their meaning.
_LOW_PRECEDENCE = frozenset(
    {
        "conditional_expression",
        "lambda",
        "boolean_operator",
        "not_operator",
        "comparison_operator",
        "named_expression",
    }
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
class _Scope:
    """A Python name scope; ``bindings`` maps a name to its first binding's byte offset."""

    kind: str
    parent: _Scope | None
    bindings: dict[str, int] = field(default_factory=dict)

    def bind(self, name: str, offset: int) -> None:
        if name not in self.bindings or offset < self.bindings[name]:
            self.bindings[name] = offset

    def visible(self) -> dict[str, int]:
        """Names readable here: own bindings, plus the enclosing function's for lambdas
        and comprehensions (their bodies run inside that function)."""
        names = dict(self.bindings)
        if self.kind in ("lambda", "comprehension") and self.parent is not None:
            for name, offset in self.parent.visible().items():
                names.setdefault(name, offset)
        return names


@dataclass
class _Names:
    """Identifier occurrences found by the scope walk."""

    reads: list[tuple[tree_sitter.Node, _Scope]] = field(default_factory=list)
    assignment_targets: list[tuple[tree_sitter.Node, _Scope]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8")


def _short(text: str, limit: int = 40) -> str:
    """First line of ``text``, cut to ``limit`` characters, for descriptions."""
    stripped = text.strip()
    first = stripped.splitlines()[0] if stripped else ""
    if len(first) > limit:
        return first[: limit - 1] + "…"
    return first if first == stripped else first + " …"


def _line(node: tree_sitter.Node) -> int:
    return node.start_point[0] + 1


def _walk(root: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Pre-order walk (iterative: deep expressions must not hit the recursion limit),
    skipping the subtrees no operator may touch."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type in _SKIPPED_KINDS:
            continue
        yield node
        stack.extend(reversed(node.children))


# --------------------------------------------------------------------------- scopes


def _collect_names(root: tree_sitter.Node) -> _Names:
    """Walk the tree once, binding names to scopes and recording reads and assignments.

    Modes: ``load`` (expression), ``bind`` (a binding target: ``for``, ``with ... as``,
    walrus, comprehension, ``except ... as``) and ``assign`` (an ``=`` / ``op=`` target).
    """
    names = _Names()
    module = _Scope("module", None)
    stack: list[tuple[tree_sitter.Node, _Scope, str, int]] = [(root, module, "load", 0)]

    def push(
        node: tree_sitter.Node | None, scope: _Scope, mode: str = "load", bound_at: int = 0
    ) -> None:
        if node is not None:
            stack.append((node, scope, mode, bound_at))

    def push_parameters(parameters: tree_sitter.Node | None, inner: _Scope, outer: _Scope) -> None:
        if parameters is None:
            return
        offset = parameters.start_byte
        for parameter in parameters.named_children:
            kind = parameter.type
            if kind == "identifier":
                inner.bind(_text(parameter), offset)
            elif kind in ("list_splat_pattern", "dictionary_splat_pattern"):
                for child in parameter.named_children:
                    if child.type == "identifier":
                        inner.bind(_text(child), offset)
            elif kind in ("default_parameter", "typed_default_parameter"):
                name = parameter.child_by_field_name("name")
                if name is not None and name.type == "identifier":
                    inner.bind(_text(name), offset)
                push(parameter.child_by_field_name("type"), outer)
                push(parameter.child_by_field_name("value"), outer)
            elif kind == "typed_parameter":
                for child in parameter.named_children:
                    if child.type == "identifier":
                        inner.bind(_text(child), offset)
                    elif child.type in ("list_splat_pattern", "dictionary_splat_pattern"):
                        for grandchild in child.named_children:
                            if grandchild.type == "identifier":
                                inner.bind(_text(grandchild), offset)
                push(parameter.child_by_field_name("type"), outer)

    while stack:
        node, scope, mode, bound_at = stack.pop()
        kind = node.type
        if kind in _SKIPPED_KINDS:
            continue
        if mode != "load":
            if kind == "identifier":
                scope.bind(_text(node), bound_at)
                if mode == "assign":
                    names.assignment_targets.append((node, scope))
            elif kind in _TARGET_CONTAINERS:
                for child in node.named_children:
                    push(child, scope, mode, bound_at)
            else:  # attribute / subscript targets and anything else: their parts are reads
                push(node, scope, "load")
            continue
        if kind == "identifier":
            names.reads.append((node, scope))
        elif kind == "function_definition":
            inner = _Scope("function", scope)
            push_parameters(node.child_by_field_name("parameters"), inner, scope)
            push(node.child_by_field_name("return_type"), scope)
            push(node.child_by_field_name("body"), inner)
        elif kind == "lambda":
            inner = _Scope("lambda", scope)
            push_parameters(node.child_by_field_name("parameters"), inner, scope)
            push(node.child_by_field_name("body"), inner)
        elif kind == "class_definition":
            push(node.child_by_field_name("superclasses"), scope)
            push(node.child_by_field_name("body"), _Scope("class", scope))
        elif kind in _COMPREHENSIONS:
            inner = _Scope("comprehension", scope)
            first_clause = True
            for child in node.named_children:
                if child.type == "for_in_clause":
                    for target in child.children_by_field_name("left"):
                        _bind_targets(target, inner, node.start_byte)
                    # The first iterable is evaluated in the enclosing scope.
                    for iterable in child.children_by_field_name("right"):
                        push(iterable, scope if first_clause else inner)
                    first_clause = False
                else:
                    push(child, inner)
        elif kind in ("assignment", "augmented_assignment"):
            push(node.child_by_field_name("right"), scope)
            push(node.child_by_field_name("type"), scope)
            push(node.child_by_field_name("left"), scope, "assign", node.end_byte)
        elif kind == "for_statement":
            push(node.child_by_field_name("alternative"), scope)
            push(node.child_by_field_name("body"), scope)
            right = node.child_by_field_name("right")
            push(right, scope)
            bound_at = right.end_byte if right is not None else node.start_byte
            push(node.child_by_field_name("left"), scope, "bind", bound_at)
        elif kind == "as_pattern":
            for child in node.named_children:
                if child.type == "as_pattern_target":
                    push(child, scope, "bind", node.end_byte)
                else:
                    push(child, scope)
        elif kind == "named_expression":
            push(node.child_by_field_name("value"), scope)
            push(node.child_by_field_name("name"), scope, "bind", node.end_byte)
        elif kind == "attribute":
            push(node.child_by_field_name("object"), scope)
        elif kind == "keyword_argument":
            push(node.child_by_field_name("value"), scope)
        else:
            for child in reversed(node.named_children):
                push(child, scope)
    return names


def _bind_targets(target: tree_sitter.Node, scope: _Scope, offset: int) -> None:
    """Bind every plain name in a comprehension target (``i``, ``(i, j)``, ``*rest``)."""
    stack = [target]
    while stack:
        node = stack.pop()
        if node.type == "identifier":
            scope.bind(_text(node), offset)
        elif node.type in _TARGET_CONTAINERS:
            stack.extend(node.named_children)


# --------------------------------------------------------------------------- operators


def _replace_node(bug_class: str, node: tree_sitter.Node, new: str, description: str) -> _Edit:
    data = new.encode("utf-8")
    return _Edit(
        bug_class=bug_class,
        start=node.start_byte,
        end=node.end_byte,
        replacement=data,
        focus=(node.start_byte, node.start_byte + len(data)),
        original_focus=(node.start_byte, node.end_byte),
        description=description,
    )


def _variable_misuse(root: tree_sitter.Node, names: _Names) -> list[_Edit]:
    edits = []
    for node, scope in names.reads:
        name = _text(node)
        visible = scope.visible()
        if name not in visible:
            continue
        alternatives = sorted(
            (offset, other)
            for other, offset in visible.items()
            if other != name and offset < node.start_byte
        )
        for _, other in alternatives:
            edits.append(
                _replace_node(
                    "variable_misuse",
                    node,
                    other,
                    f"read of {name!r} → {other!r} at line {_line(node)}",
                )
            )
    return edits


def _wrong_assignment_target(root: tree_sitter.Node, names: _Names) -> list[_Edit]:
    edits = []
    for node, scope in names.assignment_targets:
        name = _text(node)
        alternatives = sorted(
            (offset, other) for other, offset in scope.bindings.items() if other != name
        )
        for _, other in alternatives:
            edits.append(
                _replace_node(
                    "wrong_assignment_target",
                    node,
                    other,
                    f"assignment to {name!r} → {other!r} at line {_line(node)}",
                )
            )
    return edits


def _operator_edits(
    bug_class: str, token: tree_sitter.Node, swaps: Sequence[str], label: str
) -> list[_Edit]:
    return [
        _replace_node(bug_class, token, new, f"{label!r} → {new!r} at line {_line(token)}")
        for new in swaps
    ]


def _wrong_binary_operator(root: tree_sitter.Node, names: _Names) -> list[_Edit]:
    edits = []
    for node in _walk(root):
        if node.type not in ("binary_operator", "augmented_assignment"):
            continue
        token = node.child_by_field_name("operator")
        if token is None:
            continue
        symbol = _text(token)
        if node.type == "augmented_assignment":
            base = symbol[:-1]
            swaps = [new + "=" for new in BINARY_OPERATOR_SWAPS.get(base, ())]
        else:
            swaps = list(BINARY_OPERATOR_SWAPS.get(symbol, ()))
        edits.extend(_operator_edits("wrong_binary_operator", token, swaps, symbol))
    return edits


def _wrong_comparison_operator(root: tree_sitter.Node, names: _Names) -> list[_Edit]:
    edits = []
    for node in _walk(root):
        if node.type != "comparison_operator":
            continue
        for token in node.children_by_field_name("operators"):
            symbol = " ".join(_text(token).split())
            swaps = COMPARISON_OPERATOR_SWAPS.get(symbol, ())
            edits.extend(_operator_edits("wrong_comparison_operator", token, swaps, symbol))
    return edits


def _wrong_boolean_operator(root: tree_sitter.Node, names: _Names) -> list[_Edit]:
    edits = []
    for node in _walk(root):
        if node.type == "boolean_operator":
            token = node.child_by_field_name("operator")
            if token is not None and _text(token) in BOOLEAN_OPERATOR_SWAPS:
                symbol = _text(token)
                edits.extend(
                    _operator_edits(
                        "wrong_boolean_operator", token, [BOOLEAN_OPERATOR_SWAPS[symbol]], symbol
                    )
                )
        elif node.type == "not_operator":
            argument = node.child_by_field_name("argument")
            if argument is not None:
                edits.append(
                    _replace_node(
                        "wrong_boolean_operator",
                        node,
                        _text(argument),
                        f"removed 'not' before {_short(_text(argument))!r} at line {_line(node)}",
                    )
                )
    return edits


def _positional_arguments(call: tree_sitter.Node) -> list[tree_sitter.Node]:
    arguments = call.child_by_field_name("arguments")
    if arguments is None or arguments.type != "argument_list":
        return []
    return [
        child
        for child in arguments.named_children
        if child.type
        not in (
            "keyword_argument",
            "list_splat",
            "dictionary_splat",
            "comment",
            "parenthesized_list_splat",
        )
    ]


def _call_name(call: tree_sitter.Node) -> str:
    function = call.child_by_field_name("function")
    if function is None:
        return ""
    if function.type == "attribute":
        attribute = function.child_by_field_name("attribute")
        return _text(attribute) if attribute is not None else ""
    return _text(function)


def _off_by_one(root: tree_sitter.Node, names: _Names) -> list[_Edit]:
    edits = []
    for node in _walk(root):
        if node.type == "integer":
            text = _text(node)
            if not _DECIMAL_INTEGER.fullmatch(text):
                continue
            value = int(text.replace("_", ""))
            for new in (value + 1, value - 1):
                if new >= 0:
                    edits.append(
                        _replace_node(
                            "off_by_one", node, str(new), f"{text} → {new} at line {_line(node)}"
                        )
                    )
        elif node.type == "call" and _is_range_call(node):
            arguments = node.child_by_field_name("arguments")
            positional = _positional_arguments(node)
            if len(positional) != len(arguments.named_children) or not 1 <= len(positional) <= 3:
                continue
            bounds = positional[:1] if len(positional) == 1 else positional[:2]
            for bound in bounds:
                if _covered_by_literal_rule(bound):
                    continue
                text = _text(bound)
                operand = f"({text})" if _needs_parentheses(bound) else text
                for sign in ("+", "-"):
                    new = f"{operand} {sign} 1"
                    edits.append(
                        _replace_node(
                            "off_by_one",
                            bound,
                            new,
                            f"range bound {_short(text)!r} → {_short(new)!r} at line {_line(bound)}",
                        )
                    )
    return edits


def _is_range_call(call: tree_sitter.Node) -> bool:
    function = call.child_by_field_name("function")
    arguments = call.child_by_field_name("arguments")
    return (
        function is not None
        and function.type == "identifier"
        and _text(function) == "range"
        and arguments is not None
        and arguments.type == "argument_list"
    )


def _covered_by_literal_rule(bound: tree_sitter.Node) -> bool:
    """A literal bound, or ``e ± literal``: moving the literal already shifts it by one."""
    if bound.type == "integer":
        return True
    if bound.type == "binary_operator":
        operator = bound.child_by_field_name("operator")
        right = bound.child_by_field_name("right")
        return (
            operator is not None
            and _text(operator) in ("+", "-")
            and right is not None
            and right.type == "integer"
        )
    return False


def _needs_parentheses(node: tree_sitter.Node) -> bool:
    if node.type in _LOW_PRECEDENCE:
        return True
    if node.type == "binary_operator":
        operator = node.child_by_field_name("operator")
        return operator is None or _text(operator) not in _ADDITIVE_OR_TIGHTER
    return False


def _argument_swap(root: tree_sitter.Node, names: _Names) -> list[_Edit]:
    edits = []
    for node in _walk(root):
        if node.type != "call" or _call_name(node) in _COMMUTATIVE_CALLS:
            continue
        positional = _positional_arguments(node)
        for i, first in enumerate(positional):
            for second in positional[i + 1 :]:
                first_text, second_text = first.text or b"", second.text or b""
                if first_text == second_text:
                    continue
                middle = (node.text or b"")[
                    first.end_byte - node.start_byte : second.start_byte - node.start_byte
                ]
                replacement = second_text + middle + first_text
                edits.append(
                    _Edit(
                        bug_class="argument_swap",
                        start=first.start_byte,
                        end=second.end_byte,
                        replacement=replacement,
                        focus=(first.start_byte, first.start_byte + len(replacement)),
                        original_focus=(first.start_byte, second.end_byte),
                        description=(
                            f"swapped arguments {_short(first_text.decode('utf-8'))!r} and "
                            f"{_short(second_text.decode('utf-8'))!r} of {_call_name(node) or 'a call'}"
                            f"(...) at line {_line(node)}"
                        ),
                    )
                )
    return edits


def _deleted_statement(root: tree_sitter.Node, names: _Names) -> list[_Edit]:
    data = root.text or b""
    edits = []
    for block in _walk(root):
        if block.type not in ("block", "module"):
            continue
        statements = [child for child in block.named_children if child.type != "comment"]
        for index, statement in enumerate(statements):
            if statement.type not in _DELETABLE_STATEMENTS or _is_docstring(statement):
                continue
            label = f"deleted {_short(_text(statement))!r} at line {_line(statement)}"
            if len(statements) == 1:
                label = (
                    f"replaced {_short(_text(statement))!r} by 'pass' at line {_line(statement)}"
                )
                edits.append(_replace_node("deleted_statement", statement, "pass", label))
                continue
            start, end = _deletion_range(data, statement)
            removed = end - start
            if index + 1 < len(statements):
                following = statements[index + 1]
                focus = (following.start_byte - removed, following.end_byte - removed)
            else:
                preceding = statements[index - 1]
                focus = (preceding.start_byte, preceding.end_byte)
            edits.append(
                _Edit(
                    bug_class="deleted_statement",
                    start=start,
                    end=end,
                    replacement=b"",
                    focus=focus,
                    original_focus=(statement.start_byte, statement.end_byte),
                    description=label,
                )
            )
    return edits


def _is_docstring(statement: tree_sitter.Node) -> bool:
    children = statement.named_children
    return (
        statement.type == "expression_statement"
        and len(children) == 1
        and children[0].type in ("string", "concatenated_string")
    )


def _deletion_range(data: bytes, statement: tree_sitter.Node) -> tuple[int, int]:
    """Bytes to remove for a statement: its whole lines when it has them to itself,
    otherwise the statement and the ``;`` that joins it to a neighbour."""
    line_start = data.rfind(b"\n", 0, statement.start_byte) + 1
    newline = data.find(b"\n", statement.end_byte)
    line_end = len(data) if newline < 0 else newline + 1
    before = data[line_start : statement.start_byte]
    after = data[statement.end_byte : line_end].strip()
    if not before.strip() and (not after or after.startswith(b"#")):
        return line_start, line_end
    following = statement.next_sibling
    if following is not None and following.type == ";":
        after_semicolon = following.next_named_sibling
        if after_semicolon is not None and after_semicolon.start_point[0] == following.end_point[0]:
            return statement.start_byte, after_semicolon.start_byte
        return statement.start_byte, following.end_byte
    preceding = statement.prev_sibling
    if preceding is not None and preceding.type == ";":
        previous_statement = preceding.prev_named_sibling
        if previous_statement is not None:
            return previous_statement.end_byte, statement.end_byte
    return statement.start_byte, statement.end_byte


_OPERATORS: dict[str, Callable[[tree_sitter.Node, _Names], list[_Edit]]] = {
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


def _compiles(source: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(source, "<mutant>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return False
    return True


def _point(data: bytes, offset: int) -> tuple[int, int]:
    row = data.count(b"\n", 0, offset)
    return row, offset - (data.rfind(b"\n", 0, offset) + 1)


def _span(data: bytes, start: int, end: int) -> Span:
    return (*_point(data, start), *_point(data, end))


def _prepare(source: object) -> tuple[bytes, tree_sitter.Node] | None:
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
    if not _compiles(source):
        logger.debug("source does not compile: no mutants")
        return None
    tree = _parser().parse(data)
    if tree.root_node.has_error:
        logger.debug("tree-sitter cannot parse the source cleanly: no mutants")
        return None
    return data, tree.root_node


def _candidate_edits(root: tree_sitter.Node, classes: Sequence[str]) -> dict[str, list[_Edit]]:
    names = _collect_names(root)
    result = {}
    for bug_class in classes:
        edits = _OPERATORS[bug_class](root, names)
        edits.sort(key=lambda edit: (edit.start, edit.end))  # stable: keeps generation order
        result[bug_class] = edits
    return result


def _apply(data: bytes, edit: _Edit) -> Mutant | None:
    mutated = data[: edit.start] + edit.replacement + data[edit.end :]
    if mutated == data:
        return None
    source = mutated.decode("utf-8")
    if not _compiles(source):
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
    data, root = prepared
    mutants = []
    for edits in _candidate_edits(root, selected).values():
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
    data, root = prepared
    chosen: list[tuple[int, int, Mutant]] = []
    for class_index, (bug_class, edits) in enumerate(_candidate_edits(root, selected).items()):
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
