"""The shape of the code: layers without circles, a small kernel, names that say one thing.

docs/architecture.md draws the same layers; a change that breaks a rule here should change
the map there too (or be put where the map says it goes).
"""

from __future__ import annotations

import ast
import collections
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "adapters", "simulator")

# Lowest first: a module may import its own layer and the ones before it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("leaf", ("simulator", "bot.grammar", "bot.messages", "bot.errors")),
    (
        "infrastructure",
        (
            "bot.config",
            "bot.store",
            "bot.inflight",
            "bot.meraki",
            "bot.media",
            "bot.scheduler",
            "bot.footage",
            "bot.fleet",
        ),
    ),
    ("telemetry", ("bot.telemetry",)),
    ("web", ("bot.web",)),
    ("directory", ("bot.access", "bot.cameras")),
    ("kernel", ("bot.outbox", "bot.services", "bot.router", "bot.core", "bot.runner")),
    (
        "features",
        (
            "bot.clips",
            "bot.events",
            "bot.shares",
            "bot.occupancy",
            "bot.incidents",
            "bot.exports",
            "bot.health",
        ),
    ),
    ("commands", ("bot.commands", "bot.web.viewer", "bot.web.timeline")),
    ("adapters", ("adapters",)),
    ("entry points", ("bot",)),
)
# Imports that run back up the layers, each with the reason it is allowed (at most two).
BACK_UP: dict[tuple[str, str], str] = {}
KERNEL_LIMIT = 15  # top-level modules of bot/
# Module names several packages use for the same kind of thing, by design.
PARALLEL_NAMES = {
    "__init__": "a package",
    "errors": "a package's exception tree",
    "service": "a feature assembled from its parts",
    "store": "a durable store",
    "tables": "a feature's live table definitions",
}


def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> Iterator[str]:
    """The project modules `name` imports (also inside functions and TYPE_CHECKING blocks)."""

    def resolve(dotted: str) -> str | None:
        while dotted and dotted not in known:
            dotted = dotted.rpartition(".")[0]
        return dotted or None

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
                stem = package[: len(package) - node.level + 1]
                base = ".".join([*stem, *([node.module] if node.module else [])])
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in candidates:
            target = resolve(candidate)
            if target is not None and target != name:
                yield target
                break


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: set(imported(name, path, known)) for name, path in known.items()}


def layer_of(module: str) -> int:
    matches = [
        (len(prefix), index)
        for index, (_, prefixes) in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or module.startswith(prefix + ".")
    ]
    assert matches, f"{module} is in no layer: add it to LAYERS and docs/architecture.md"
    return max(matches)[1]


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in edges:
        if root in index:
            continue
        work = [(root, iter(sorted(edges[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_no_module_imports_itself_back_through_others() -> None:
    assert circles(graph()) == []


def test_imports_run_down_the_layers_but_for_the_documented_few() -> None:
    back_up = {
        (source, target)
        for source, targets in graph().items()
        for target in targets
        if layer_of(target) > layer_of(source)
    }
    assert back_up == set(BACK_UP)
    assert len(BACK_UP) <= 2


def test_the_kernel_stays_small() -> None:
    top_level = sorted(p.stem for p in (ROOT / "bot").glob("*.py"))
    assert len(top_level) <= KERNEL_LIMIT, top_level


def test_a_module_name_means_one_thing_in_bot() -> None:
    by_name = collections.defaultdict(list)
    for path in (ROOT / "bot").rglob("*.py"):
        by_name[path.stem].append(str(path.relative_to(ROOT)))
    shared = {name: paths for name, paths in by_name.items() if len(paths) > 1}
    assert set(shared) <= set(PARALLEL_NAMES), shared


def test_each_class_is_defined_once() -> None:
    where = collections.defaultdict(list)
    for package in ("bot", "adapters"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ClassDef):
                    where[node.name].append(str(path.relative_to(ROOT)))
    assert {name: paths for name, paths in where.items() if len(paths) > 1} == {}


def test_the_demo_and_the_bot_start_without_the_postgres_extra() -> None:
    """`./dev demo` installs mvbot without `[postgres]`: nothing on its way may need psycopg."""
    blocked = "import sys; sys.modules['psycopg'] = None; import bot.demo, bot.run, bot.cli"
    done = subprocess.run(
        [sys.executable, "-c", blocked], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
