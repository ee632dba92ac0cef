"""How many of TensorFlow 2.21's public names ember has, per namespace, counting no stub.

    PYTHONPATH=$PWD python tools/name_coverage.py [--missing] [NAMESPACE ...]

Reads TensorFlow's names from tests/fixtures/names/tf_public_names.json (made once by
tests/fixtures/names/make_tf_names.py in the reference environment) and looks each one
up in the matching ember module (``tf`` is ``ember``, ``math.special`` is
``ember.math.special``). A name counts as covered only when ember has it and it is not a
stub. A stub is:

- an attribute whose lookup raises (a module ``__getattr__`` that raises
  NotImplementedError for names it knows but lacks),
- an object marked ``_ember_stub = True``,
- a function whose body (after its docstring) starts with ``raise NotImplementedError``,
  or a class whose own ``__init__`` or ``__new__`` does.

A ``raise NotImplementedError`` under a condition (an unsupported argument) is not a
stub: the name works for its other uses.
"""
from __future__ import annotations

import argparse
import ast
import dis
import importlib
import inspect
import json
import os
import sys
import textwrap

FIXTURE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                       "tests", "fixtures", "names", "tf_public_names.json")

# The namespaces issue 20 asks to reach 90% in.
ISSUE_NAMESPACES = ("tf", "math", "nn", "linalg", "random", "config", "signal", "sparse",
                    "ragged")


def load_reference(path: str = FIXTURE) -> dict:
    with open(path) as f:
        return json.load(f)


def ember_module(namespace: str):
    """The ember module for a TensorFlow namespace path, or None when ember has none."""
    module = importlib.import_module("ember")
    if namespace == "tf":
        return module
    for part in namespace.split("."):
        try:
            module = getattr(module, part)
        except Exception:
            return None
        if not inspect.ismodule(module):
            return None
    return module


def _raises_not_implemented(node: ast.stmt) -> bool:
    if not isinstance(node, ast.Raise) or node.exc is None:
        return False
    exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
    return isinstance(exc, ast.Name) and exc.id in ("NotImplementedError",
                                                    "UnimplementedError")


def _bytecode_raises_first(code) -> bool:
    """The function's first real instruction loads NotImplementedError and the next
    raise ends it (a check that needs no source file)."""
    ops = [i for i in dis.get_instructions(code)
           if i.opname not in ("RESUME", "NOP", "CACHE", "EXTENDED_ARG")]
    if not ops or ops[0].opname not in ("LOAD_GLOBAL", "LOAD_NAME"):
        return False
    if ops[0].argval not in ("NotImplementedError", "UnimplementedError"):
        return False
    return any(i.opname == "RAISE_VARARGS" for i in ops[:8])


def _function_is_stub(fn) -> bool:
    fn = inspect.unwrap(fn)
    code = getattr(fn, "__code__", None)
    if code is None:
        return False
    try:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError, IndentationError):
        return _bytecode_raises_first(code)
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.name == code.co_name]
    if not defs:
        return _bytecode_raises_first(code)
    body = defs[0].body
    if (body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)):
        body = body[1:]
    return bool(body) and _raises_not_implemented(body[0])


def is_stub(value) -> bool:
    """True when ``value`` is a marked or unconditionally raising placeholder."""
    if getattr(value, "_ember_stub", False) is True:
        return True
    if inspect.isclass(value):
        for method in ("__init__", "__new__"):
            own = value.__dict__.get(method)
            if own is not None and _function_is_stub(getattr(own, "__func__", own)):
                return True
        return False
    if inspect.isfunction(value) or inspect.ismethod(value):
        return _function_is_stub(value)
    return False


def status(module, name: str) -> str:
    """'covered', 'missing' or 'stub' for one name in one ember module."""
    if module is None:
        return "missing"
    try:
        value = getattr(module, name)
    except AttributeError:
        return "missing"
    except Exception:
        return "stub"
    return "stub" if is_stub(value) else "covered"


def coverage(reference: dict | None = None, namespaces=None) -> dict:
    """{namespace: {"covered": [...], "missing": [...], "stub": [...], "fraction": f}}."""
    reference = reference or load_reference()
    result = {}
    for namespace, names in reference["namespaces"].items():
        if namespaces and namespace not in namespaces:
            continue
        module = ember_module(namespace)
        groups = {"covered": [], "missing": [], "stub": []}
        for name in names:
            groups[status(module, name)].append(name)
        groups["fraction"] = len(groups["covered"]) / max(len(names), 1)
        result[namespace] = groups
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("namespaces", nargs="*", help="only these (e.g. tf math nn.experimental)")
    parser.add_argument("--missing", action="store_true", help="list missing names and stubs")
    args = parser.parse_args(argv)
    reference = load_reference()
    table = coverage(reference, args.namespaces or None)
    print(f"ember name coverage of TensorFlow {reference['tensorflow_version']} "
          "(stubs not counted)")
    print(f"{'namespace':24s} {'covered':>8s} {'total':>6s} {'%':>6s}  stubs")
    for namespace, groups in table.items():
        total = sum(len(groups[k]) for k in ("covered", "missing", "stub"))
        mark = "*" if namespace in ISSUE_NAMESPACES else " "
        print(f"{mark}{namespace:23s} {len(groups['covered']):8d} {total:6d} "
              f"{100 * groups['fraction']:6.1f}  {len(groups['stub'])}")
        if args.missing and (groups["missing"] or groups["stub"]):
            for key in ("missing", "stub"):
                if groups[key]:
                    print(textwrap.fill(" ".join(groups[key]), 96,
                                        initial_indent=f"    {key}: ",
                                        subsequent_indent="      "))
    print("* namespaces issue 20 asks to reach 90%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
