"""Python name scopes over a :class:`~yantra_gnn.graph.parse.FlatTree`.

One scope analysis for everything that asks which variable a name means: the graph's
dataflow (:mod:`yantra_gnn.graph.dataflow`) and the mutation operators
(:mod:`yantra_gnn.labels.mutate`). :class:`ScopeTree` gives

- the scope of every node (:attr:`ScopeTree.scope_of`): the module (node ``0``), or the
  innermost function, lambda, class or comprehension whose names it refers to. Default
  values, parameter annotations (but see ``legacy_parameters``), decorators, return
  annotations, base classes and a comprehension's first iterable belong to the
  enclosing scope, as in Python;
- the identifiers each binding site binds (assignment and ``for`` targets, ``as``
  targets, walrus names, parameters, imports, ``def`` / ``class`` names, ``del``);
- Python's locality (:meth:`ScopeTree.collect_bindings`, :meth:`ScopeTree.resolve`): a
  name bound anywhere in a scope is local to it unless declared ``global`` /
  ``nonlocal``; class scopes are invisible from the scopes nested in them.

Everything is computed with loops over pre-order ids, never recursion.
"""

from __future__ import annotations

from collections import defaultdict

from yantra_gnn.graph.parse import FlatTree, kind_id, python_language

_K = kind_id
IDENTIFIER = _K("identifier")
MODULE = _K("module")
COMMENT = _K("comment")
ASSIGNMENT = _K("assignment")
AUGMENTED_ASSIGNMENT = _K("augmented_assignment")
NAMED_EXPRESSION = _K("named_expression")
FOR_STATEMENT = _K("for_statement")
AS_PATTERN_TARGET = _K("as_pattern_target")
FUNCTION_DEFINITION = _K("function_definition")
CLASS_DEFINITION = _K("class_definition")
PARAMETERS = _K("parameters")
LAMBDA = _K("lambda")
LAMBDA_PARAMETERS = _K("lambda_parameters")
DEFAULT_PARAMETER = _K("default_parameter")
TYPED_PARAMETER = _K("typed_parameter")
TYPED_DEFAULT_PARAMETER = _K("typed_default_parameter")
LIST_SPLAT_PATTERN = _K("list_splat_pattern")
DICTIONARY_SPLAT_PATTERN = _K("dictionary_splat_pattern")
GLOBAL_STATEMENT = _K("global_statement")
NONLOCAL_STATEMENT = _K("nonlocal_statement")
IMPORT_STATEMENT = _K("import_statement")
IMPORT_FROM_STATEMENT = _K("import_from_statement")
ALIASED_IMPORT = _K("aliased_import")
DOTTED_NAME = _K("dotted_name")
DELETE_STATEMENT = _K("delete_statement")
FOR_IN_CLAUSE = _K("for_in_clause")
LIST_COMPREHENSION = _K("list_comprehension")
SET_COMPREHENSION = _K("set_comprehension")
DICTIONARY_COMPREHENSION = _K("dictionary_comprehension")
GENERATOR_EXPRESSION = _K("generator_expression")
PATTERN_LIST = _K("pattern_list")
TUPLE_PATTERN = _K("tuple_pattern")
LIST_PATTERN = _K("list_pattern")
TUPLE = _K("tuple")
LIST = _K("list")
PARENTHESIZED_EXPRESSION = _K("parenthesized_expression")
EXPRESSION_LIST = _K("expression_list")
LIST_SPLAT = _K("list_splat")

COMPREHENSION_KINDS = frozenset(
    {LIST_COMPREHENSION, SET_COMPREHENSION, DICTIONARY_COMPREHENSION, GENERATOR_EXPRESSION}
)
#: Kinds that open a scope of their own (the module, node 0, is the outermost one).
SCOPE_KINDS = COMPREHENSION_KINDS | {FUNCTION_DEFINITION, LAMBDA, CLASS_DEFINITION}
#: Target kinds whose parts are targets too (``a, (b, *c) = ...``); other targets
#: (attributes, subscripts) bind nothing and are evaluated instead.
TARGET_CONTAINERS = frozenset(
    {
        PATTERN_LIST,
        TUPLE_PATTERN,
        LIST_PATTERN,
        TUPLE,
        LIST,
        PARENTHESIZED_EXPRESSION,
        EXPRESSION_LIST,
        LIST_SPLAT_PATTERN,
        LIST_SPLAT,
        AS_PATTERN_TARGET,
    }
)
PARAMETER_KINDS = frozenset({PARAMETERS, LAMBDA_PARAMETERS})
#: Nodes that bind names (:meth:`ScopeTree.binding_identifiers`) or declare them.
BINDING_SITE_KINDS = frozenset(
    {
        ASSIGNMENT,
        AUGMENTED_ASSIGNMENT,
        FOR_STATEMENT,
        FOR_IN_CLAUSE,
        AS_PATTERN_TARGET,
        DELETE_STATEMENT,
        NAMED_EXPRESSION,
        FUNCTION_DEFINITION,
        CLASS_DEFINITION,
        PARAMETERS,
        LAMBDA_PARAMETERS,
        IMPORT_STATEMENT,
        IMPORT_FROM_STATEMENT,
        GLOBAL_STATEMENT,
        NONLOCAL_STATEMENT,
    }
)
_SPLAT_PATTERNS = frozenset({LIST_SPLAT_PATTERN, DICTIONARY_SPLAT_PATTERN})

#: Field ids by name, for :meth:`ScopeTree.child` and :meth:`ScopeTree.children_in_field`.
FIELD: dict[str, int] = {
    name: python_language().field_id_for_name(name) or -1
    for name in (
        "left",
        "right",
        "value",
        "name",
        "alias",
        "body",
        "condition",
        "consequence",
        "alternative",
        "parameters",
        "function",
        "arguments",
        "object",
        "attribute",
        "superclasses",
        "definition",
        "module_name",
        "type",
        "return_type",
        "operator",
        "operators",
        "argument",
    )
}

Key = tuple[int, str]  # (scope node id, variable name)


class ScopeTree:
    """Scopes and bindings of one tree; ``excluded`` nodes are ignored.

    Args:
        tree: the parse.
        excluded: nodes to leave out (e.g. stripped import statements).
        legacy_parameters: reproduce the parameter handling the graph's dataflow has always
            had: parameter annotations resolve in the function's own scope, and typed
            ``*args: T`` / ``**kwargs: T`` do not bind their names. Python does neither;
            the graph keeps them because its features (and trained checkpoints) were
            made that way.
    """

    def __init__(
        self, tree: FlatTree, excluded: set[int] | None = None, *, legacy_parameters: bool = False
    ) -> None:
        self.tree = tree
        self.kind = tree.kind
        self.excluded = excluded or set()
        self.legacy_parameters = legacy_parameters
        n = len(tree)
        #: Named, kept children of every node (comments and excluded subtrees dropped).
        #: Read-only: lists are shared with the tree (leaves share one empty list).
        self.nchildren: list[list[int]] = tree.named_children
        if self.excluded:
            self.nchildren = list(tree.named_children)
            excluded_set, parent = self.excluded, tree.parent
            for i in {parent[e] for e in excluded_set}:
                if i >= 0:
                    self.nchildren[i] = [c for c in self.nchildren[i] if c not in excluded_set]
        #: The scope node each node's names belong to (``0``: the module).
        self.scope_of: list[int] = [0] * n
        #: Kind of every scope node.
        self.scope_kind: dict[int, int] = {0: MODULE}
        #: Names bound in each scope, and those declared ``global`` / ``nonlocal`` there
        #: (filled by :meth:`collect_bindings`).
        self.locals: dict[int, set[str]] = defaultdict(set)
        self.declared_global: dict[int, set[str]] = defaultdict(set)
        self.declared_nonlocal: dict[int, set[str]] = defaultdict(set)
        #: The identifiers of ``global`` / ``nonlocal`` statements.
        self.declared_names: set[int] = set()
        self._names: dict[int, str] = {}
        self._resolved: dict[tuple[int, str], tuple[Key, bool]] = {}
        self._assign_scopes()

    # ------------------------------------------------------------------ navigation
    def child(self, node: int, field_name: str) -> int:
        """First kept child (named or not) of ``node`` in field ``field_name``, or ``-1``."""
        wanted = FIELD.get(field_name, -1)
        field_ids, excluded = self.tree.field_id, self.excluded
        for c in self.tree.children[node]:
            if field_ids[c] == wanted and (not excluded or c not in excluded):
                return c
        return -1

    def children_in_field(self, node: int, field_name: str) -> list[int]:
        """The named, kept children of ``node`` in field ``field_name``."""
        wanted = FIELD.get(field_name, -1)
        field_ids = self.tree.field_id
        return [c for c in self.nchildren[node] if field_ids[c] == wanted]

    def name(self, node: int) -> str:
        """The text of ``node`` (cached: identifiers are asked for again and again)."""
        text = self._names.get(node)
        if text is None:
            text = self._names[node] = self.tree.text(node)
        return text

    # ------------------------------------------------------------------ scopes
    def _assign_scopes(self) -> None:
        """Give every node the id of the scope whose variables it refers to.

        Pre-order, so a node's scope is known before its children get theirs.
        """
        tree = self.tree
        kind, field_ids, children, parent = self.kind, tree.field_id, tree.children, tree.parent
        scope_of, scope_kind = self.scope_of, self.scope_kind
        f_parameters, f_body = FIELD["parameters"], FIELD["body"]
        f_value, f_right, f_type = FIELD["value"], FIELD["right"], FIELD["type"]
        if self.legacy_parameters:
            outer_kinds = frozenset({DEFAULT_PARAMETER, TYPED_DEFAULT_PARAMETER})
            outer_fields: tuple[int, ...] = (f_value,)
        else:
            outer_kinds = frozenset({DEFAULT_PARAMETER, TYPED_DEFAULT_PARAMETER, TYPED_PARAMETER})
            outer_fields = (f_value, f_type)
        for node in range(len(kind)):
            k = kind[node]
            if not children[node]:  # a leaf: no child to give a scope
                if k in SCOPE_KINDS:
                    scope_kind[node] = k
                continue
            outer = scope_of[node]
            if k in SCOPE_KINDS:
                scope_kind[node] = k
                inner_fields = (f_body,) if k == CLASS_DEFINITION else (f_parameters, f_body)
                for c in children[node]:
                    is_inner = k in COMPREHENSION_KINDS or field_ids[c] in inner_fields
                    scope_of[c] = node if is_inner else outer
            else:
                for c in children[node]:
                    scope_of[c] = outer
            up = parent[node]
            if up < 0:
                continue
            if k == FOR_IN_CLAUSE and kind[up] in COMPREHENSION_KINDS:
                first = next(c for c in children[up] if kind[c] == FOR_IN_CLAUSE)
                if first == node:  # the first iterable is evaluated in the enclosing scope
                    for c in children[node]:
                        if field_ids[c] == f_right:
                            scope_of[c] = scope_of[up]
            elif k in outer_kinds and kind[up] in PARAMETER_KINDS:
                function = scope_of[node]  # defaults and annotations: where the def runs
                for c in children[node]:
                    if field_ids[c] in outer_fields:
                        scope_of[c] = scope_of[function]

    # ------------------------------------------------------------------ bindings
    def binding_identifiers(self, node: int) -> list[int]:
        """The identifiers binding site ``node`` binds (see :data:`BINDING_SITE_KINDS`;
        ``global`` / ``nonlocal`` declare rather than bind: none)."""
        k = self.kind[node]
        if k in (ASSIGNMENT, AUGMENTED_ASSIGNMENT, FOR_STATEMENT, FOR_IN_CLAUSE):
            return self.target_identifiers(self.child(node, "left"))
        if k == AS_PATTERN_TARGET or k == DELETE_STATEMENT:
            return self.target_identifiers(node)
        if k == NAMED_EXPRESSION:
            return self.target_identifiers(self.child(node, "name"))
        if k in (FUNCTION_DEFINITION, CLASS_DEFINITION):
            name = self.child(node, "name")
            return [name] if name >= 0 else []
        if k in PARAMETER_KINDS:
            return self.parameter_identifiers(node)
        if k in (IMPORT_STATEMENT, IMPORT_FROM_STATEMENT):
            return self.import_identifiers(node)
        return []

    def target_parts(self, target: int) -> list[tuple[int, bool]]:
        """A target expression's parts, left to right: ``(identifier, True)`` for each
        name it binds and ``(node, False)`` for each part that is evaluated instead (an
        attribute or subscript target, ...). Containers (:data:`TARGET_CONTAINERS`) are
        opened, not listed."""
        if target < 0:
            return []
        parts: list[tuple[int, bool]] = []
        stack = [target]
        kind, nchildren = self.kind, self.nchildren
        while stack:
            n = stack.pop()
            k = kind[n]
            if k == IDENTIFIER:
                parts.append((n, True))
            elif k in TARGET_CONTAINERS:
                stack.extend(reversed(nchildren[n]))
            else:
                parts.append((n, False))
        return parts

    def target_identifiers(self, target: int) -> list[int]:
        """Identifiers a target expression binds (not those it only reads)."""
        return [n for n, binds in self.target_parts(target) if binds]

    def parameter_identifiers(self, params: int) -> list[int]:
        """The names a ``parameters`` / ``lambda_parameters`` node binds, in order."""
        kind, nchildren = self.kind, self.nchildren
        found = []
        for c in nchildren[params]:
            k = kind[c]
            if k == IDENTIFIER:
                found.append(c)
            elif k in (DEFAULT_PARAMETER, TYPED_DEFAULT_PARAMETER):
                name = self.child(c, "name")
                if name >= 0:
                    found.append(name)
            elif k == TYPED_PARAMETER and not self.legacy_parameters:
                for g in nchildren[c]:
                    if kind[g] == IDENTIFIER:
                        found.append(g)
                    elif kind[g] in _SPLAT_PATTERNS:
                        found.extend(h for h in nchildren[g] if kind[h] == IDENTIFIER)
            elif k == TYPED_PARAMETER or k in _SPLAT_PATTERNS:
                found.extend(g for g in nchildren[c] if kind[g] == IDENTIFIER)
        return found

    def import_identifiers(self, node: int) -> list[int]:
        """The names an ``import`` / ``from ... import`` statement binds."""
        found = []
        for c in self.children_in_field(node, "name"):
            if self.kind[c] == ALIASED_IMPORT:
                alias = self.child(c, "alias")
                if alias >= 0:
                    found.append(alias)
            elif self.kind[c] == DOTTED_NAME and self.nchildren[c]:
                found.append(self.nchildren[c][0])
        return found

    # ------------------------------------------------------------------ locality
    def collect_bindings(self) -> None:
        """Fill :attr:`locals`, :attr:`declared_global`, :attr:`declared_nonlocal` and
        :attr:`declared_names` (Python decides locality before running)."""
        kind, scope_of, excluded = self.kind, self.scope_of, self.excluded
        for node in range(len(kind)):
            k = kind[node]
            if k not in BINDING_SITE_KINDS or node in excluded:
                continue
            if k == GLOBAL_STATEMENT or k == NONLOCAL_STATEMENT:
                target = self.declared_global if k == GLOBAL_STATEMENT else self.declared_nonlocal
                for c in self.nchildren[node]:
                    if kind[c] == IDENTIFIER:
                        target[scope_of[node]].add(self.name(c))
                        self.declared_names.add(c)
                continue
            for ident in self.binding_identifiers(node):
                self.locals[scope_of[ident]].add(self.name(ident))

    def resolve(self, scope: int, name: str) -> tuple[Key, bool]:
        """The variable ``name`` means in ``scope``, and whether it is live in this flow.

        A key is live when no function or lambda boundary separates ``scope`` from the
        scope that owns the name; otherwise its reads also see every write of the name in
        that scope, since the function body runs later. Class scopes are invisible from
        the scopes nested in them, as in Python. Needs :meth:`collect_bindings` first.
        """
        resolved = self._resolved.get((scope, name))
        if resolved is None:
            resolved = self._resolved[(scope, name)] = self._resolve_uncached(scope, name)
        return resolved

    def _resolve_uncached(self, scope: int, name: str) -> tuple[Key, bool]:
        if name in self.declared_global[scope]:
            return (0, name), scope == 0
        s, live, first = scope, True, True
        while s != 0:
            k = self.scope_kind[s]
            if s != scope and name in self.declared_global[s]:
                return (0, name), False
            if (
                (first or k != CLASS_DEFINITION)
                and name in self.locals[s]
                and name not in self.declared_nonlocal[s]
            ):
                return (s, name), live
            if k == FUNCTION_DEFINITION or k == LAMBDA:
                live = False
            first = False
            s = self.scope_of[s]
        return (0, name), live
