"""Rewrites ember imports in Python files after modules moved (issue 16's layers).

    python tools/rewrite_moved_imports.py REPO_ROOT FILE.py [FILE.py ...]

Reads REPO_ROOT/docs/moved_modules.txt (``old.dotted.path -> new.dotted.path`` per line) and
rewrites dotted paths (imports, monkeypatch strings), ``from ember.framework import x``
lists (split when some names moved) and ``from ember.framework.op import execute`` (the
dispatcher moved to ember.engine.dispatch). Prints the files it changed.
"""
import re, sys, pathlib
root = pathlib.Path(sys.argv[1])
moves = {}
for line in (root / "docs/moved_modules.txt").read_text().splitlines():
    line = line.split("#")[0].strip()
    if "->" in line:
        old, new = [x.strip() for x in line.split("->")]
        moves[old] = new
# dotted paths, longest first
keys = sorted(moves, key=len, reverse=True)
dotted = re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b(?!\.\w+\s*->)")
def fix_from_pkg(m):
    # from ember.framework import a, b as c  -> split names that moved
    pkg, names, tail = m.group(1), m.group(2), m.group(3) or ""
    stay, lines = [], []
    for part in [p.strip() for p in names.split(",") if p.strip()]:
        name = part.split(" as ")[0].strip()
        full = pkg + "." + name
        if full in moves:
            newpkg, newname = moves[full].rsplit(".", 1)
            alias = part.split(" as ")[1].strip() if " as " in part else None
            if alias is None and newname != name:
                alias = name
            lines.append(f"from {newpkg} import {newname}" + (f" as {alias}" if alias else ""))
        else:
            stay.append(part)
    if not lines:
        return m.group(0)
    indent = m.group(0)[:len(m.group(0)) - len(m.group(0).lstrip())]
    out = ([f"{indent}from {pkg} import {', '.join(stay)}{tail}"] if stay else []) + \
          [indent + l + (tail if not stay and i == 0 else "") for i, l in enumerate(lines)]
    return "\n".join(out)
from_pkg = re.compile(r"^[ \t]*from (ember(?:\.\w+)+) import ([\w ,]+?)([ \t]*#.*)?$", re.M)
for path in sys.argv[2:]:
    p = pathlib.Path(path)
    s = p.read_text()
    s2 = from_pkg.sub(fix_from_pkg, s)
    # `from ember.framework.op import Op, execute` : execute moved to the engine's dispatcher
    def fix_op(m):
        indent, names, tail = m.group(1), [n.strip() for n in m.group(2).split(",")], m.group(3) or ""
        ex = [n for n in names if n.split(" as ")[0] == "execute"]
        if not ex:
            return m.group(0)
        rest = [n for n in names if n not in ex]
        out = []
        if rest:
            out.append(f"{indent}from ember.framework.op import {', '.join(rest)}{tail}")
        out.append(f"{indent}from ember.engine.dispatch import {', '.join(ex)}" + ("" if rest else tail))
        return "\n".join(out)
    s2 = re.sub(r"^([ \t]*)from ember\.framework\.op import ([\w ,]+?)([ \t]*#.*)?$", fix_op, s2, flags=re.M)
    s2 = dotted.sub(lambda m: moves[m.group(1)], s2)
    if s2 != s:
        p.write_text(s2)
        print("rewrote", path)
