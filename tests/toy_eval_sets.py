"""Small hand-made evaluation sets for the ``tests/evaluation`` modules (no sandbox, no training).

Mutants here are labelled failing by construction: the tests that use these sets check
the pipeline, not any number (the model is untrained).
"""

from __future__ import annotations

import numpy as np

from yantra_gnn.data.dataset import locate_node
from yantra_gnn.evaluation.sets import EvalSet
from yantra_gnn.graph import CodeGraphBuilder
from yantra_gnn.labels import mutate, rewrite
from yantra_gnn.labels.labelling import LabelledProgram, imported_modules

SOLUTIONS = {
    "count": "import sys\nfrom collections import Counter\nn = int(sys.stdin.readline())\n"
    "c = Counter(sys.stdin.readline().split())\nbest = 0\nfor k in c:\n    if c[k] > best:\n"
    "        best = c[k]\nprint(n - best)\n",
    "root": "import math\nx = int(input())\nr = math.isqrt(x)\nif r * r == x:\n    print(r)\n"
    "else:\n    print(-1)\n",
    "sum": "a, b = map(int, input().split())\ntotal = a + b\nif total > 10:\n    total -= 10\n"
    "print(total)\n",
    "max": "import sys\nvals = list(map(int, sys.stdin.read().split()))\nm = vals[0]\n"
    "for v in vals:\n    if v > m:\n        m = v\nprint(m)\n",
}


def toy_program(problem: str, source: str, origin: str, mutant=None) -> LabelledProgram:
    """A labelled program: correct unless ``mutant`` (a ``Mutant``) is given."""
    return LabelledProgram(
        problem=problem,
        source=source,
        origin=origin,
        detail=origin,
        confidence=0.0 if mutant else 1.0,
        bugs_known=True,
        bug_classes=(mutant.bug_class,) if mutant else (),
        bug_span=tuple(mutant.span) if mutant else None,
        imports=imported_modules(source),
        verdict="by construction",
    )


def make_set(name: str, seed: int) -> EvalSet:
    """Per problem: the solution, two of its mutants and its variable-renaming rewrite."""
    builder = CodeGraphBuilder()
    programs = []
    for problem, source in SOLUTIONS.items():
        programs.append(toy_program(problem, source, "solution"))
        for mutant in mutate.sample_mutants(source, per_class=1, seed=seed)[:2]:
            programs.append(toy_program(problem, mutant.source, "mutant", mutant))
        renamed = [r for r in rewrite.rewrites(source, seed=seed) if r.kind == "rename_variables"]
        programs.append(toy_program(problem, renamed[0].source, "rewrite"))
    graphs = [builder.build(p.source, strip_imports=True) for p in programs]
    bug_node = np.asarray(
        [
            locate_node(g.node_span, p.bug_span) if p.bug_span else -1
            for p, g in zip(programs, graphs, strict=True)
        ]
    )
    return EvalSet(name, programs, graphs, bug_node, {"root": "hand-made"})
