"""Exact dataflow edges on hand-written snippets."""

from __future__ import annotations

from yantra_test_helpers import labelled_edges


def test_assignment_chain_last_write_and_computed_from():
    source = "a = 1\nb = a + 2\nc = b * a\n"
    assert labelled_edges(source, "last_write") == {
        ("a@2", "a@1"),
        ("b@3", "b@2"),
        ("a@3", "a@1"),
    }
    assert labelled_edges(source, "computed_from") == {
        ("b@2", "a@2"),
        ("c@3", "b@3"),
        ("c@3", "a@3"),
    }
    assert labelled_edges(source, "last_read") == {("a@3", "a@2")}


def test_reassignment_kills_the_older_write():
    source = "x = 1\nx = 2\ny = x\n"
    assert labelled_edges(source, "last_write") == {("x@3", "x@2")}


def test_augmented_assignment_reads_then_writes():
    source = "s = 0\ns += 5\nprint(s)\n"
    assert labelled_edges(source, "last_write") == {("s@2", "s@1"), ("s@3", "s@2")}
    assert labelled_edges(source, "computed_from") == {("s@2", "s@2")}


def test_branches_merge_both_writes():
    source = "if c:\n    v = 1\nelse:\n    v = 2\nprint(v)\n"
    assert labelled_edges(source, "last_write") == {("v@5", "v@2"), ("v@5", "v@4")}


def test_if_without_else_keeps_the_earlier_write():
    source = "v = 0\nif c:\n    v = 1\nprint(v)\n"
    assert labelled_edges(source, "last_write") == {("v@4", "v@1"), ("v@4", "v@3")}


def test_loop_back_edge_reaches_top_of_body():
    source = "i = 0\nwhile i < 10:\n    j = i\n    i = i + 1\n"
    edges = labelled_edges(source, "last_write")
    # the condition and the body's first read see the write at the end of the body
    assert ("i@2", "i@4") in edges
    assert ("i@3", "i@4") in edges
    assert ("i@2", "i@1") in edges
    assert ("i@4", "i@1") in edges
    assert ("i@4", "i@4") in edges  # the previous iteration's increment
    assert ("j@3", "i@3") not in edges


def test_for_loop_target_computed_from_iterable():
    source = "xs = [1, 2]\nt = 0\nfor x in xs:\n    t = t + x\nprint(t)\n"
    assert ("x@3", "xs@3") in labelled_edges(source, "computed_from")
    last_write = labelled_edges(source, "last_write")
    assert {("t@4", "t@2"), ("t@4", "t@4"), ("t@5", "t@2"), ("t@5", "t@4")} <= last_write
    assert ("x@4", "x@3") in last_write


def test_comprehension_variable_does_not_leak():
    source = "i = 10\nsq = [i * i for i in range(3)]\nprint(i)\n"
    last_write = labelled_edges(source, "last_write")
    assert ("i@3", "i@1") in last_write
    inner = {(a, b) for a, b in last_write if a.startswith("i@2")}
    assert inner == {("i@2", "i@2")}  # both reads in the body see the loop variable


def test_nested_functions_are_scope_aware():
    source = "def f():\n    n = 1\n    return n\ndef g():\n    n = 2\n    return n\n"
    assert labelled_edges(source, "last_write") == {("n@3", "n@2"), ("n@6", "n@5")}
    assert labelled_edges(source, "returns_to") == {
        ("return n@3", "def f():@1"),
        ("return n@6", "def g():@4"),
    }


def test_closure_reads_enclosing_variable_and_nonlocal():
    source = "def outer():\n    k = 1\n    def inner():\n        return k + 1\n    return inner\n"
    assert ("k@4", "k@2") in labelled_edges(source, "last_write")


def test_global_declaration_links_module_writes():
    source = (
        "total = 0\ndef add(v):\n    global total\n    total = total + v\nadd(2)\nprint(total)\n"
    )
    last_write = labelled_edges(source, "last_write")
    assert ("total@4", "total@1") in last_write
    assert ("v@4", "v@2") in last_write
    assert ("total@6", "total@1") in last_write


def test_function_reads_module_variable_defined_after_it():
    source = "def solve():\n    return n * 2\nn = int(input())\nprint(solve())\n"
    assert ("n@2", "n@3") in labelled_edges(source, "last_write")


def test_calls_returns_and_formal_arguments():
    source = "def area(w, h=1):\n    return w * h\nprint(area(3, h=4))\n"
    assert labelled_edges(source, "calls") == {("area(3, h=4)@3", "def area(w, h=1):@1")}
    assert labelled_edges(source, "formal_arg") == {("3@3", "w@1"), ("h=4@3", "h@1")}
    assert labelled_edges(source, "returns_to") == {("return w * h@2", "def area(w, h=1):@1")}


def test_method_call_binds_arguments_after_self():
    source = "class Box:\n    def put(self, item):\n        return item\nb = Box()\nb.put(7)\n"
    assert ("b.put(7)@5", "def put(self, item):@2") in labelled_edges(source, "calls")
    assert labelled_edges(source, "formal_arg") == {("7@5", "item@2")}


def test_attribute_access_reads_the_object_only():
    source = "p = Point()\np.x = 3\nprint(p.x)\n"
    last_write = labelled_edges(source, "last_write")
    assert last_write == {("p@2", "p@1"), ("p@3", "p@1")}
    assert ("p.x@2", "3@2") not in labelled_edges(source, "computed_from")


def test_tuple_unpacking_binds_every_name():
    source = "a, (b, c) = 1, (2, 3)\nprint(a, b, c)\n"
    assert labelled_edges(source, "last_write") == {("a@2", "a@1"), ("b@2", "b@1"), ("c@2", "c@1")}


def test_with_and_except_bindings():
    source = (
        "with open(p) as fh:\n"
        "    data = fh.read()\n"
        "try:\n"
        "    v = int(data)\n"
        "except ValueError as err:\n"
        "    v = str(err)\n"
        "print(v)\n"
    )
    last_write = labelled_edges(source, "last_write")
    assert ("fh@2", "fh@1") in last_write
    assert ("data@4", "data@2") in last_write
    assert ("err@6", "err@5") in last_write
    assert {("v@7", "v@4"), ("v@7", "v@6")} <= last_write
    assert ("fh@1", "open(p)@1") not in labelled_edges(source, "computed_from")
    assert ("fh@1", "open@1") in labelled_edges(source, "computed_from")


def test_walrus_binds_in_enclosing_scope():
    source = "if (n := 5) > 3:\n    print(n)\n"
    assert labelled_edges(source, "last_write") == {("n@2", "n@1")}


def test_lambda_parameters_are_local():
    source = "x = 1\nf = lambda x: x + 1\nprint(x)\n"
    last_write = labelled_edges(source, "last_write")
    assert ("x@2", "x@2") in last_write  # the lambda body reads its parameter
    assert ("x@3", "x@1") in last_write


def test_reverse_edges_mirror_forward_edges():
    source = "a = 1\nb = a\n"
    assert labelled_edges(source, "last_write_rev") == {
        (b, a) for a, b in labelled_edges(source, "last_write")
    }


def test_a_function_defined_in_a_loop_reads_the_loop_variable_once_analysed():
    """A def in a loop body is walked twice (back edges) but its body analysed once, with
    everything either walk would have seen."""
    source = "for i in range(3):\n    def g():\n        return i\n    g()\ni = 5\n"
    assert labelled_edges(source, "last_write") == {("i@3", "i@1"), ("i@3", "i@5"), ("g@4", "g@2")}
