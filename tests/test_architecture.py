"""The layout is the pipeline: each stage imports only the stages before it, no module
imports another that imports it back (counting imports inside functions), and validate
stays free of the renderers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import ROOT, SAMPLES

PACKAGE = ROOT / "expectmatrix"
# Data flows down these stages; a module may import its own stage or an earlier one.
STAGES = {"version": 0, "resources": 0, "errors": 1, "writing": 1, "clock": 1, "language": 1,
          "spec": 1, "library": 2, "checks": 3, "settings": 3, "render": 4, "review": 5,
          "batch": 5, "portfolio": 6, "serve": 6, "track": 6, "cli": 7, "__main__": 7}


def _modules() -> dict[str, Path]:
    return {".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): p
            for p in PACKAGE.rglob("*.py")}


def _imports(path: Path) -> set[str]:
    """Every expectmatrix module ``path`` imports, wherever the import statement is."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(
                "expectmatrix"):
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("expectmatrix"))
    return found


def _stage(module: str) -> int | None:
    parts = module.split(".")
    return STAGES.get(parts[1]) if len(parts) > 1 else None


def test_every_module_belongs_to_a_stage():
    assert {m for m in _modules() if m != "expectmatrix" and _stage(m) is None} == set()


def test_no_stage_imports_a_later_one():
    wrong = []
    for module, path in _modules().items():
        own = _stage(module)
        if own is None:  # the package's own __init__: the public API, imported lazily
            continue
        for target in _imports(path):
            stage = _stage(target)
            if stage is not None and stage > own:
                wrong.append(f"{module} (stage {own}) imports {target} (stage {stage})")
    assert wrong == []


def test_no_import_cycles():
    """Counting every import: those inside functions and under TYPE_CHECKING too, which
    delay a cycle but do not remove it."""
    modules = _modules()
    graph = {m: {t for t in _imports(p) if t in modules and t != m}
             for m, p in modules.items()}
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            assert state.get(nxt) != 1, " -> ".join([*trail, node, nxt])
            if nxt not in state:
                visit(nxt, [*trail, node])
        state[node] = 2

    for module in graph:
        if module not in state:
            visit(module, [])


def test_validate_never_loads_the_renderers():
    code = ("import sys\nfrom expectmatrix.cli import cli\n"
            "try:\n    cli(['validate', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
            "loaded = sorted(m for m in sys.modules if m.startswith(('weasyprint', 'docx', "
            "'expectmatrix.render', 'expectmatrix.review', 'expectmatrix.batch', 'jinja2')))\n"
            "print('loaded:' + ','.join(loaded))")
    out = subprocess.run([sys.executable, "-c", code, str(SAMPLES / "small-bakery.yaml")],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out.splitlines()[0].startswith("ok: ")  # it ran...
    assert out.splitlines()[-1] == "loaded:"  # ...and loaded none of them
