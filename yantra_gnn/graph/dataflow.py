"""Scope-aware dataflow over a :class:`~yantra_gnn.graph.parse.FlatTree`.

The analysis follows the classic program-graph edges (Allamanis et al., 2018;
python-graphs): it walks statements in execution order carrying, per variable, the set
of writes and reads that may reach the current point. Branches fork and merge that
state; loop bodies are walked a second time so that a read at the top of a body sees a
write at its end (back edges).

Scopes follow Python's rules (:mod:`yantra_gnn.graph.scopes`, shared with the mutation
operators): a name bound anywhere in a function body is local to it (unless declared
``global``/``nonlocal``); function and lambda bodies run later, so a free name there
reads every write of that name in the enclosing scope; comprehension and class bodies
run in place.

Expressions are walked with an explicit stack and statement nesting past
``MAX_STATEMENT_DEPTH`` falls back to that walk, so deeply nested input never raises
``RecursionError``.

The pass is linear in the size of the program: the writes (and reads) of one variable
that may reach a point are widened to the :data:`MAX_REACHING` most recent ones, as
dataflow frameworks widen their sets. Without it, a variable reassigned in ``n``
sequential ``if`` blocks makes every later read see ``n`` writes: ``O(n²)`` edges. Real
programs stay far below the bound (at most 15 reaching writes over 3,236 CodeContests,
ConDefects and HumanEval-style programs), so their graphs are exact.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from yantra_gnn.errors import GraphTooLargeError
from yantra_gnn.graph.parse import FlatTree, kind_id
from yantra_gnn.graph.scopes import (
    AS_PATTERN_TARGET,
    ASSIGNMENT,
    AUGMENTED_ASSIGNMENT,
    CLASS_DEFINITION,
    COMPREHENSION_KINDS,
    DEFAULT_PARAMETER,
    FIELD,
    FOR_IN_CLAUSE,
    FOR_STATEMENT,
    FUNCTION_DEFINITION,
    GLOBAL_STATEMENT,
    IDENTIFIER,
    IMPORT_FROM_STATEMENT,
    IMPORT_STATEMENT,
    LAMBDA,
    LIST_SPLAT,
    NAMED_EXPRESSION,
    NONLOCAL_STATEMENT,
    TYPED_DEFAULT_PARAMETER,
    TYPED_PARAMETER,
    Key,
    ScopeTree,
)
from yantra_gnn.schema import DATAFLOW_EDGE_KINDS

#: Most writes (and reads) of one variable that may reach a point; older ones are dropped.
MAX_REACHING = 32

#: Most ``computed_from`` edges one binding makes before its sources are widened to the
#: :data:`MAX_REACHING` most recent: ``a0, ..., a999 = b0 + ... + b999`` (10 kB) made a
#: million edges, quadratic in the line's length.
MAX_BINDING_EDGES = 1024

#: Statement nesting beyond which statements are walked as flat expressions.
MAX_STATEMENT_DEPTH = 60

_K = kind_id
BLOCK = _K("block")
EXPRESSION_STATEMENT = _K("expression_statement")
RETURN_STATEMENT = _K("return_statement")
IF_STATEMENT = _K("if_statement")
ELIF_CLAUSE = _K("elif_clause")
ELSE_CLAUSE = _K("else_clause")
WHILE_STATEMENT = _K("while_statement")
TRY_STATEMENT = _K("try_statement")
EXCEPT_CLAUSE = _K("except_clause")
FINALLY_CLAUSE = _K("finally_clause")
WITH_STATEMENT = _K("with_statement")
WITH_CLAUSE = _K("with_clause")
WITH_ITEM = _K("with_item")
AS_PATTERN = _K("as_pattern")
DECORATED_DEFINITION = _K("decorated_definition")
DECORATOR = _K("decorator")
FUTURE_IMPORT_STATEMENT = _K("future_import_statement")
ATTRIBUTE = _K("attribute")
SUBSCRIPT = _K("subscript")
CALL = _K("call")
ARGUMENT_LIST = _K("argument_list")
KEYWORD_ARGUMENT = _K("keyword_argument")
DICTIONARY_SPLAT = _K("dictionary_splat")
IF_CLAUSE = _K("if_clause")

IMPORT_KINDS = frozenset({IMPORT_STATEMENT, IMPORT_FROM_STATEMENT, FUTURE_IMPORT_STATEMENT})
LOOP_KINDS = frozenset({FOR_STATEMENT, WHILE_STATEMENT, FOR_IN_CLAUSE})
BRANCH_KINDS = frozenset({IF_STATEMENT, ELIF_CLAUSE, ELSE_CLAUSE, _K("conditional_expression")})


@dataclass
class DataflowResult:
    """Edges (flat node ids, ``source -> target``) and per-identifier roles."""

    edges: dict[str, set[tuple[int, int]]] = field(
        default_factory=lambda: {name: set() for name in DATAFLOW_EDGE_KINDS}
    )
    reads: set[int] = field(default_factory=set)
    writes: set[int] = field(default_factory=set)
    params: set[int] = field(default_factory=set)
    def_names: set[int] = field(default_factory=set)
    call_targets: set[int] = field(default_factory=set)
    unbound_reads: set[int] = field(default_factory=set)
    global_names: set[int] = field(default_factory=set)
    reaching_writes: dict[int, int] = field(default_factory=dict)


class _Flow:
    """Writes and reads that may reach one program point, per variable key."""

    __slots__ = ("writes", "reads")

    def __init__(self, writes: dict | None = None, reads: dict | None = None) -> None:
        self.writes: dict[Key, frozenset[int]] = writes if writes is not None else {}
        self.reads: dict[Key, frozenset[int]] = reads if reads is not None else {}

    def copy(self) -> _Flow:
        return _Flow(dict(self.writes), dict(self.reads))

    def merge(self, other: _Flow) -> _Flow:
        writes = dict(self.writes)
        for key, nodes in other.writes.items():
            writes[key] = _widen(writes[key] | nodes) if key in writes else nodes
        reads = dict(self.reads)
        for key, nodes in other.reads.items():
            reads[key] = _widen(reads[key] | nodes) if key in reads else nodes
        return _Flow(writes, reads)


_NOTHING: frozenset[int] = frozenset()
_F_FUNCTION = FIELD["function"]


def _widen(nodes: frozenset[int]) -> frozenset[int]:
    """``nodes``, or its :data:`MAX_REACHING` most recent (largest pre-order ids)."""
    if len(nodes) <= MAX_REACHING:
        return nodes
    return frozenset(sorted(nodes)[-MAX_REACHING:])


def _merge_all(flows: list[_Flow]) -> _Flow:
    result = flows[0]
    for other in flows[1:]:
        result = result.merge(other)
    return result


class DataflowAnalyzer:
    """Computes :class:`DataflowResult` for one tree; ``excluded`` nodes are ignored.

    Scopes, bindings and name resolution come from :class:`~yantra_gnn.graph.scopes.ScopeTree`
    (with ``legacy_parameters=True``, the parameter handling the graph was built with).
    """

    def __init__(
        self, tree: FlatTree, excluded: set[int] | None = None, max_pairs: int | None = None
    ) -> None:
        self.tree = tree
        self.max_pairs = max_pairs
        self.scopes = scopes = ScopeTree(tree, excluded, legacy_parameters=True)
        self.excluded = scopes.excluded
        self.result = DataflowResult()
        self.kind = tree.kind
        self.nchildren = scopes.nchildren
        self.scope_of = scopes.scope_of
        self.scope_kind = scopes.scope_kind
        self.child = scopes.child
        self.children_in_field = scopes.children_in_field
        self.name = scopes.name
        self.all_writes: dict[Key, set[int]] = defaultdict(set)
        self.def_of_name: dict[int, int] = {}  # def-name identifier -> function_definition
        self.methods: dict[str, list[int]] = defaultdict(list)  # method name -> defs
        self.flow = _Flow()
        self.repeat_mode = False
        self.current_function = -1
        self._parent, self._field_id = tree.parent, tree.field_id
        self._resolved = scopes._resolved
        edges = self.result.edges
        self._edge_sets = tuple(edges.values())
        self._last_write, self._last_read = edges["last_write"], edges["last_read"]
        #: edges that may still be added before the cap must be checked (-1: check now)
        self._slack = -1 if max_pairs is not None else float("inf")
        # (scope node, function node or -1); None where a body was queued again later
        self.deferred: list[tuple[int, int] | None] = []
        self._pending: dict[int, int] = {}  # scope node -> its index in deferred, until run

    # ------------------------------------------------------------------ occurrences
    def read(self, node: int) -> None:
        scope, name = self.scope_of[node], self.name(node)
        resolved = self._resolved.get((scope, name))
        key, live = resolved if resolved is not None else self.scopes.resolve(scope, name)
        flow, res = self.flow, self.result
        writes = flow.writes.get(key, _NOTHING)
        if not live:
            writes = _widen(writes | self.all_writes.get(key, _NOTHING))
        for w in writes:
            self._last_write.add((node, w))
        earlier = flow.reads.get(key, _NOTHING)
        for r in earlier:
            if r != node:
                self._last_read.add((node, r))
        flow.reads[key] = frozenset((node,))
        # at most len(writes) + len(earlier) new edges: check the cap only when that
        # could pass it (the same checks fail as when every read counted all edges)
        self._slack -= len(writes) + len(earlier)
        if self._slack < 0:
            self._check_size()
        res.reads.add(node)
        if writes:
            res.reaching_writes[node] = max(res.reaching_writes.get(node, 0), len(writes))
            res.unbound_reads.discard(node)
        elif node not in res.reaching_writes:
            res.unbound_reads.add(node)
        up = self._parent[node]
        if up >= 0 and self.kind[up] == CALL and self._field_id[node] == _F_FUNCTION:
            self._link_call(node, writes)

    def _check_size(self) -> None:
        """Stop as soon as the edges found so far exceed ``max_pairs`` (the builder's edge
        cap): a hostile program then costs the time of the cap, not of all its edges.

        Sets :attr:`_slack`, how many edges may still be added before the cap can be
        passed; code that adds edges without a check afterwards sets it to -1.
        """
        if self.max_pairs is not None:
            found = sum(map(len, self._edge_sets))
            if found > self.max_pairs:
                raise GraphTooLargeError(
                    f"the source's dataflow has more than {self.max_pairs:,} edges, over the "
                    "cap of max_edges (reverse edges included); raise max_edges if you really "
                    "mean it (CodeGraphBuilder(max_edges=...))"
                )
            self._slack = self.max_pairs - found

    def write(self, node: int) -> None:
        key, _ = self.scopes.resolve(self.scope_of[node], self.name(node))
        self.flow.writes[key] = frozenset((node,))
        self.all_writes[key].add(node)
        self.result.writes.add(node)

    def _link_call(self, node: int, writes: frozenset[int] | set[int]) -> None:
        """``calls`` and ``formal_arg`` edges for a call whose callee is ``node`` (the
        ``function`` of a ``call``)."""
        parent = self._parent[node]
        self.result.call_targets.add(node)
        for w in writes:
            function = self.def_of_name.get(w)
            if function is not None:
                self._link_call_to_def(parent, function, skip_self=False)

    def _link_method_call(self, call: int, attribute: int) -> None:
        attr = self.child(attribute, "attribute")
        if attr < 0:
            return
        self.result.call_targets.add(attr)
        for function in self.methods.get(self.name(attr), ()):
            self._link_call_to_def(call, function, skip_self=True)

    def _link_call_to_def(self, call: int, function: int, skip_self: bool) -> None:
        self._check_size()
        edges = self.result.edges
        edges["calls"].add((call, function))
        self._slack = -1  # edges added after the check
        params_node = self.child(function, "parameters")
        if params_node < 0:
            return
        positional, by_name = [], {}
        for c in self.nchildren[params_node]:
            k = self.kind[c]
            if k == IDENTIFIER:
                positional.append(c)
                by_name[self.name(c)] = c
            elif k in (DEFAULT_PARAMETER, TYPED_DEFAULT_PARAMETER, TYPED_PARAMETER):
                name = self.child(c, "name") if k != TYPED_PARAMETER else -1
                if name < 0:
                    idents = [g for g in self.nchildren[c] if self.kind[g] == IDENTIFIER]
                    name = idents[0] if idents else -1
                if name >= 0:
                    positional.append(name)
                    by_name[self.name(name)] = name
        if skip_self and positional:
            positional = positional[1:]
        args = self.child(call, "arguments")
        if args < 0:
            return
        index = 0
        for a in self.nchildren[args]:
            k = self.kind[a]
            if k == KEYWORD_ARGUMENT:
                name = self.child(a, "name")
                param = by_name.get(self.name(name)) if name >= 0 else None
                if param is not None:
                    edges["formal_arg"].add((a, param))
            elif k in (LIST_SPLAT, DICTIONARY_SPLAT):
                index = len(positional)
            else:
                if index < len(positional):
                    edges["formal_arg"].add((a, positional[index]))
                index += 1

    # ------------------------------------------------------------------ expressions
    def expr(self, root: int) -> list[int]:
        """Walk an expression in evaluation order; returns the identifiers it read."""
        if root < 0:
            return []
        kind, nchildren = self.kind, self.nchildren
        read_nodes: list[int] = []
        marks: list[int] = []
        stack: list = [root]
        while stack:
            item = stack.pop()
            if type(item) is tuple:
                action = item[0]
                if action == "mark":
                    marks.append(len(read_nodes))
                elif action == "bind":
                    start = marks.pop()
                    self.bind(item[1], read_nodes[start:], augmented=item[2])
                continue
            n = item
            k = kind[n]
            if k == IDENTIFIER:
                self.read(n)
                read_nodes.append(n)
            elif k == ASSIGNMENT or k == AUGMENTED_ASSIGNMENT:
                left, right = self.child(n, "left"), self.child(n, "right")
                stack.append(("bind", left, k == AUGMENTED_ASSIGNMENT))
                if right >= 0:
                    stack.append(right)
                stack.append(("mark",))
            elif k == NAMED_EXPRESSION:
                stack.append(("bind", self.child(n, "name"), False))
                value = self.child(n, "value")
                if value >= 0:
                    stack.append(value)
                stack.append(("mark",))
            elif k == ATTRIBUTE:
                obj = self.child(n, "object")
                if obj >= 0:
                    stack.append(obj)
            elif k == KEYWORD_ARGUMENT:
                value = self.child(n, "value")
                if value >= 0:
                    stack.append(value)
            elif k == LAMBDA:
                params = self.child(n, "parameters")
                if params >= 0:
                    for c in self.nchildren[params]:
                        if kind[c] in (DEFAULT_PARAMETER, TYPED_DEFAULT_PARAMETER):
                            value = self.child(c, "value")
                            if value >= 0:
                                stack.append(value)
                self._defer(n, -1)
            elif k in COMPREHENSION_KINDS:
                self._push_comprehension(n, stack)
            elif k == CALL:
                function = self.child(n, "function")
                if function >= 0 and kind[function] == ATTRIBUTE:
                    self._link_method_call(n, function)
                stack.extend(reversed(nchildren[n]))
            else:
                stack.extend(reversed(nchildren[n]))
        return read_nodes

    def _push_comprehension(self, comp: int, stack: list) -> None:
        """Clauses run first (iterable, bind, filters), then the body."""
        items: list = []
        body = -1
        for c in self.nchildren[comp]:
            k = self.kind[c]
            if k == FOR_IN_CLAUSE:
                items.append(("mark",))
                right = self.child(c, "right")
                if right >= 0:
                    items.append(right)
                items.append(("bind", self.child(c, "left"), False))
            elif k == IF_CLAUSE:
                items.extend(self.nchildren[c])
            else:
                body = c
        if body >= 0:
            stack.append(body)
        stack.extend(reversed(items))

    def bind(self, target: int, sources: list[int], augmented: bool = False) -> None:
        """Bind the names in ``target`` (computed from ``sources``); read the rest."""
        if target < 0:
            return
        edges = self.result.edges
        parts = list(self.scopes.target_parts(target))
        if len(parts) * len(sources) > MAX_BINDING_EDGES:
            sources = sorted(sources)[-MAX_REACHING:]
        for n, binds in parts:
            if binds:
                if augmented:
                    self.read(n)
                self.write(n)
                for s in sources:
                    edges["computed_from"].add((n, s))
                if augmented:
                    edges["computed_from"].add((n, n))
            else:
                self.expr(n)
                for s in sources:
                    edges["computed_from"].add((n, s))
            self._slack = -1  # edges added after the last check
        self._check_size()

    # ------------------------------------------------------------------ statements
    _statement_depth = 0

    def statements(self, nodes: list[int]) -> None:
        for n in nodes:
            self.statement(n)

    def block(self, node: int) -> None:
        if node >= 0:
            self.statements(self.nchildren[node] if self.kind[node] == BLOCK else [node])

    def statement(self, n: int) -> None:
        if self._statement_depth > MAX_STATEMENT_DEPTH:
            self.expr(n)
            return
        self._statement_depth += 1
        try:
            self._statement(n)
        finally:
            self._statement_depth -= 1

    def _statement(self, n: int) -> None:
        k = self.kind[n]
        if k == IF_STATEMENT:
            self._if(n)
        elif k == FOR_STATEMENT:
            self._loop(n, iterable=self.child(n, "right"), target=self.child(n, "left"))
        elif k == WHILE_STATEMENT:
            self._loop(n, condition=self.child(n, "condition"))
        elif k == TRY_STATEMENT:
            self._try(n)
        elif k == WITH_STATEMENT:
            self._with(n)
        elif k == DECORATED_DEFINITION:
            for c in self.nchildren[n]:
                if self.kind[c] == DECORATOR:
                    self.expr(c)
                else:
                    self.statement(c)
        elif k == FUNCTION_DEFINITION:
            self._function_definition(n)
        elif k == CLASS_DEFINITION:
            self._class_definition(n)
        elif k == RETURN_STATEMENT:
            for c in self.nchildren[n]:
                self.expr(c)
            if self.current_function >= 0:
                self.result.edges["returns_to"].add((n, self.current_function))
                self._slack = -1  # an edge added after the last check
        elif k in (IMPORT_STATEMENT, IMPORT_FROM_STATEMENT):
            for ident in self.scopes.import_identifiers(n):
                self.write(ident)
        elif k in (GLOBAL_STATEMENT, NONLOCAL_STATEMENT, FUTURE_IMPORT_STATEMENT):
            return
        elif k == BLOCK:
            self.block(n)
        else:
            for c in self.nchildren[n]:
                self.expr(c)

    def _if(self, n: int) -> None:
        self.expr(self.child(n, "condition"))
        current = self.flow
        self.flow = current.copy()
        self.block(self.child(n, "consequence"))
        outcomes = [self.flow]
        has_else = False
        for alt in self.children_in_field(n, "alternative"):
            self.flow = current.copy()
            if self.kind[alt] == ELIF_CLAUSE:
                self.expr(self.child(alt, "condition"))
                current = self.flow.copy()
                self.block(self.child(alt, "consequence"))
            else:
                has_else = True
                self.block(self.child(alt, "body"))
            outcomes.append(self.flow)
        if not has_else:
            outcomes.append(current)
        self.flow = _merge_all(outcomes)

    def _loop(self, n: int, iterable: int = -1, target: int = -1, condition: int = -1) -> None:
        iterable_reads = self.expr(iterable) if iterable >= 0 else []
        entry = self.flow.copy()
        passes = 1 if self.repeat_mode else 2
        saved_mode = self.repeat_mode
        end = entry
        for p in range(passes):
            self.flow = entry.merge(end) if p else entry.copy()
            self.repeat_mode = saved_mode or p == 1
            if condition >= 0:
                self.expr(condition)
            if target >= 0:
                self.bind(target, iterable_reads)
            self.block(self.child(n, "body"))
            end = self.flow
        self.repeat_mode = saved_mode
        self.flow = entry.merge(end)
        for alt in self.children_in_field(n, "alternative"):
            self.block(self.child(alt, "body"))

    def _try(self, n: int) -> None:
        entry = self.flow.copy()
        self.block(self.child(n, "body"))
        after_body = self.flow
        outcomes = []
        finally_clause = -1
        for c in self.nchildren[n]:
            k = self.kind[c]
            if k == EXCEPT_CLAUSE:
                self.flow = entry.merge(after_body)
                for g in self.nchildren[c]:
                    if self.kind[g] == BLOCK:
                        self.block(g)
                    elif self.kind[g] == AS_PATTERN:
                        self._as_pattern(g)
                    else:
                        self.expr(g)
                outcomes.append(self.flow)
            elif k == ELSE_CLAUSE:
                self.flow = after_body
                self.block(self.child(c, "body"))
                after_body = self.flow
            elif k == FINALLY_CLAUSE:
                finally_clause = c
        self.flow = _merge_all([after_body, *outcomes])
        if finally_clause >= 0:
            for g in self.nchildren[finally_clause]:
                self.block(g)

    def _as_pattern(self, node: int) -> None:
        """``value as target`` (``with`` items, ``except`` clauses)."""
        reads: list[int] = []
        alias = -1
        for c in self.nchildren[node]:
            if self.kind[c] == AS_PATTERN_TARGET:
                alias = c
            else:
                reads.extend(self.expr(c))
        self.bind(alias, reads)

    def _with(self, n: int) -> None:
        for c in self.nchildren[n]:
            if self.kind[c] == WITH_CLAUSE:
                for item in self.nchildren[c]:
                    for value in self.nchildren[item]:
                        if self.kind[value] == AS_PATTERN:
                            self._as_pattern(value)
                        else:
                            self.expr(value)
        self.block(self.child(n, "body"))

    def _function_definition(self, n: int) -> None:
        params = self.child(n, "parameters")
        if params >= 0:
            for c in self.nchildren[params]:
                if self.kind[c] in (DEFAULT_PARAMETER, TYPED_DEFAULT_PARAMETER):
                    self.expr(self.child(c, "value"))
        name = self.child(n, "name")
        if name >= 0:
            self.write(name)
            self.result.def_names.add(name)
        self._defer(n, n)

    def _class_definition(self, n: int) -> None:
        self.expr(self.child(n, "superclasses"))
        self.block(self.child(n, "body"))
        name = self.child(n, "name")
        if name >= 0:
            self.write(name)
            self.result.def_names.add(name)

    def _defer(self, scope_node: int, function: int) -> None:
        """Queue a function or lambda body, analysed after the current walk. A body queued
        again before it ran (a ``def`` in a loop body, walked twice) moves to the end of
        the queue: it runs once, at the later point, and sees all the first run would
        have. Queued twice, a ``def`` in a loop in a ``def`` in a loop ... ran
        ``2**depth`` times (a 3 kB program took 15 s)."""
        earlier = self._pending.get(scope_node)
        if earlier is not None:
            self.deferred[earlier] = None
        self._pending[scope_node] = len(self.deferred)
        self.deferred.append((scope_node, function))

    def _run_deferred(self, scope_node: int, function: int) -> None:
        """Analyse a function or lambda body with a fresh flow state."""
        self.flow = _Flow()
        self.current_function = function
        self.repeat_mode = False
        params = self.child(scope_node, "parameters")
        if params >= 0:
            for ident in self.scopes.parameter_identifiers(params):
                self.write(ident)
                self.result.params.add(ident)
        body = self.child(scope_node, "body")
        if self.kind[scope_node] == LAMBDA:
            self.expr(body)
        else:
            self.block(body)

    # ------------------------------------------------------------------ driver
    def run(self) -> DataflowResult:
        self.scopes.collect_bindings()
        self.result.global_names |= self.scopes.declared_names
        kind = self.kind
        for node in range(len(kind)):
            if kind[node] == FUNCTION_DEFINITION and node not in self.excluded:
                name = self.child(node, "name")
                if name >= 0:
                    self.def_of_name[name] = node
                    if self.scope_kind.get(self.scope_of[node]) == CLASS_DEFINITION:
                        self.methods[self.name(name)].append(node)
        self.statements(self.nchildren[0])
        done = 0
        while done < len(self.deferred):
            entry = self.deferred[done]
            done += 1
            if entry is not None:
                del self._pending[entry[0]]
                self._run_deferred(*entry)
        return self.result


def analyze(
    tree: FlatTree, excluded: set[int] | None = None, max_pairs: int | None = None
) -> DataflowResult:
    """Dataflow edges and identifier roles for ``tree`` (see :class:`DataflowAnalyzer`).

    Raises:
        GraphTooLargeError: more than ``max_pairs`` edges (when given).
    """
    return DataflowAnalyzer(tree, excluded, max_pairs).run()
