"""The shared scope analysis: scopes of nodes, binding identifiers, name resolution."""

from __future__ import annotations

from yantra_gnn.graph import scopes
from yantra_gnn.graph.parse import FlatTree, kind_id, parse_flat
from yantra_gnn.graph.scopes import ScopeTree

IDENTIFIER = kind_id("identifier")


def _tree(source: str) -> FlatTree:
    return parse_flat(source.encode())


def _identifiers(tree: FlatTree, name: str) -> list[int]:
    return [v for v in range(len(tree)) if tree.kind[v] == IDENTIFIER and tree.text(v) == name]


def _scope_kinds(source: str, name: str, **options: bool) -> list[str]:
    """Kind of the scope of every occurrence of ``name``, in source order."""
    tree = _tree(source)
    tree_scopes = ScopeTree(tree, **options)
    names = {
        scopes.MODULE: "module",
        scopes.FUNCTION_DEFINITION: "function",
        scopes.LAMBDA: "lambda",
        scopes.CLASS_DEFINITION: "class",
    }
    return [
        names.get(tree_scopes.scope_kind[tree_scopes.scope_of[v]], "comprehension")
        for v in _identifiers(tree, name)
    ]


def test_anonymous_tokens_have_positions() -> None:
    tree = _tree("x = 1\nif x not in (1, 2) and x < 3:\n    pass\n")
    tokens = {tree.text(v) for v in range(len(tree)) if not tree.named[v]}
    assert {"not in", "<", "and", "="} <= tokens
    (less,) = [v for v in range(len(tree)) if not tree.named[v] and tree.text(v) == "<"]
    assert (tree.start_row[less], tree.start_col[less], tree.end_col[less]) == (1, 25, 26)


def test_defaults_annotations_and_first_iterables_belong_to_the_enclosing_scope() -> None:
    source = (
        "a = 1\n"
        "def f(p: a = a, *q: a) -> a:\n"
        "    return a\n"
        "g = lambda r=a: a\n"
        "s = [a for t in a for u in a]\n"
        "class C(a):\n"
        "    b = a\n"
    )
    # module binding, annotation, default, splat annotation, return annotation, body,
    # lambda default, lambda body, comprehension body, first iterable, later iterable,
    # base class, class body
    assert _scope_kinds(source, "a") == [
        "module",
        "module",
        "module",
        "module",
        "module",
        "function",
        "module",
        "lambda",
        "comprehension",
        "module",
        "comprehension",
        "module",
        "class",
    ]
    # The graph's dataflow keeps parameter annotations in the function's scope.
    legacy = _scope_kinds(source, "a", legacy_parameters=True)
    assert legacy[1] == legacy[3] == "function"
    assert legacy[2] == legacy[4] == "module"


def test_typed_splat_parameters_bind_their_names() -> None:
    tree = _tree("def f(a, b: int, c=1, *d: int, e: str = '', **g: int):\n    pass\n")
    (parameters,) = [v for v in range(len(tree)) if tree.kind[v] == scopes.PARAMETERS]
    names = [tree.text(v) for v in ScopeTree(tree).parameter_identifiers(parameters)]
    assert names == ["a", "b", "c", "d", "e", "g"]
    legacy = ScopeTree(tree, legacy_parameters=True).parameter_identifiers(parameters)
    assert [tree.text(v) for v in legacy] == ["a", "b", "c", "e"]


def test_target_parts_bind_names_and_evaluate_the_rest() -> None:
    tree = _tree("a, (b[i], *c), d.e = x\n")
    (assignment,) = [v for v in range(len(tree)) if tree.kind[v] == scopes.ASSIGNMENT]
    tree_scopes = ScopeTree(tree)
    parts = tree_scopes.target_parts(tree_scopes.child(assignment, "left"))
    assert [(tree.text(v), binds) for v, binds in parts] == [
        ("a", True),
        ("b[i]", False),
        ("c", True),
        ("d.e", False),
    ]
    assert [tree.text(v) for v in tree_scopes.binding_identifiers(assignment)] == ["a", "c"]


def test_resolution_follows_python_locality() -> None:
    source = (
        "x = 1\n"
        "class C:\n"
        "    x = 2\n"
        "    def m(self):\n"
        "        return x\n"
        "def f():\n"
        "    global y\n"
        "    y = x\n"
    )
    tree = _tree(source)
    tree_scopes = ScopeTree(tree)
    tree_scopes.collect_bindings()
    read_in_method = _identifiers(tree, "x")[2]
    key, live = tree_scopes.resolve(tree_scopes.scope_of[read_in_method], "x")
    assert key == (0, "x") and not live  # the class's x is invisible from its methods
    assigned_y = _identifiers(tree, "y")[-1]  # ``y = x`` in f, declared global
    assert tree_scopes.resolve(tree_scopes.scope_of[assigned_y], "y")[0] == (0, "y")
    assert {tree.text(v) for v in tree_scopes.declared_names} == {"y"}
