"""ember's layers import in one direction only (docs/architecture.md, "Layers").

Every module of the package is parsed and each of its imports — at the top, inside
functions, under ``if`` — is checked against the rule of the module's layer. An upper
layer that a lower one needs registers a hook instead (``ember.framework.hooks``,
``ember.engine.dispatch.register_symbolic_input_handler``).
"""
from __future__ import annotations

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ember"

# layer -> the layers its modules may import (their own included)
PUBLIC = "public namespaces"
RULES = {
    "runtime": {"runtime"},
    "framework": {"framework"},
    "engine": {"engine", "framework", "runtime"},
    "ops": {"ops", "engine", "framework", "runtime"},
    PUBLIC: {PUBLIC, "ops", "engine", "framework", "runtime"},
    "keras": {"keras", PUBLIC, "ops", "engine", "framework", "runtime"},
    "compat": {"compat", PUBLIC, "ops", "engine", "framework", "runtime"},
}


# single modules a layer may import beyond its rule: the runtime raises ember's errors
ALSO = {"runtime": {"ember.framework.errors"}}


def layer_of(module: str) -> str:
    """ember.<layer>... for the named layers; every other ember module is a public namespace."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in RULES:
        return parts[1]
    return PUBLIC


def module_name(path: pathlib.Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(path: pathlib.Path):
    """(line, module) for every ember module that ``path`` imports, anywhere in the file."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for alias in node.names:   # `from ember.ops import array_ops` imports a module
                sub = f"{source}.{alias.name}"
                yield node.lineno, sub if is_module(sub) else source


def violations():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        layer = layer_of(module)
        for line, target in imported_modules(path):
            if target != "ember" and not target.startswith("ember."):
                continue
            target_layer = layer_of(target)
            if target_layer not in RULES[layer] and target not in ALSO.get(layer, ()):
                allowed = ", ".join(sorted(RULES[layer] | ALSO.get(layer, set())))
                found.append(f"{path.relative_to(ROOT)}:{line}: module {module} (layer "
                             f"{layer!r}) imports {target} (layer {target_layer!r}); the rule "
                             f"for {layer!r} allows only: {allowed}")
    return found


def test_every_import_points_down_the_layers():
    bad = violations()
    assert not bad, "upward imports:\n" + "\n".join(bad)


def test_the_check_sees_function_level_and_relative_imports(tmp_path):
    pkg = tmp_path / "ember"
    (pkg / "engine").mkdir(parents=True)
    (pkg / "ops").mkdir()
    for d in (pkg, pkg / "engine", pkg / "ops"):
        (d / "__init__.py").write_text("")
    (pkg / "ops" / "math_ops.py").write_text("")
    (pkg / "engine" / "graph.py").write_text(
        "def f():\n    from ember.ops import math_ops\n    from ..ops import math_ops\n")
    global ROOT, PACKAGE
    saved = ROOT, PACKAGE
    ROOT, PACKAGE = tmp_path, pkg
    try:
        bad = violations()
    finally:
        ROOT, PACKAGE = saved
    assert len(bad) == 2, bad
    assert "module ember.engine.graph (layer 'engine') imports ember.ops.math_ops" in bad[0]
    assert "allows only: engine, framework, runtime" in bad[0]
