"""The house rules of the layout (issue #9): packages only at the top, no module over 450
lines, no two modules of one name, no import cycle anywhere (lazy imports included)."""

from collections import Counter

import grimp

from tests.conftest import REPO

PACKAGE = REPO / "rp_tui"
MAX_LINES = 450


def test_the_top_of_the_package_holds_only_packages_and_three_modules():
    modules = {p.name for p in PACKAGE.glob("*.py")}
    assert modules == {"__init__.py", "__main__.py", "errors.py"}


def test_no_module_is_over_the_line_limit():
    long = {
        str(p.relative_to(REPO)): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text("utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these by job: {long}"


def test_no_two_modules_share_a_name():
    names = Counter(
        p.name for p in PACKAGE.rglob("*.py") if p.name not in ("__init__.py", "__main__.py")
    )
    assert not [n for n, c in names.items() if c > 1]


def test_every_package_says_what_lives_there():
    for init in PACKAGE.rglob("__init__.py"):
        text = init.read_text("utf-8")
        assert text.lstrip().startswith('"""'), f"{init.relative_to(REPO)} needs a docstring"


def test_no_import_cycle_among_the_modules():
    # imports under `if TYPE_CHECKING:` never run, so they cannot form a cycle at run time
    graph = grimp.build_graph(
        "rp_tui", include_external_packages=False, exclude_type_checking_imports=True
    )
    modules = sorted(graph.modules)
    edges = {m: graph.find_modules_directly_imported_by(m) for m in modules}
    index, low, on_stack, stack, cycles, counter = {}, {}, set(), [], [], [0]

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    import sys

    sys.setrecursionlimit(10_000)
    for m in modules:
        if m not in index:
            visit(m)
    assert not cycles, f"import cycles: {cycles}"
