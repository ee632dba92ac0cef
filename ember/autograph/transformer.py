"""AutoGraph's source rewriting: Python control flow into calls of the run-time helpers
in ``ember.autograph.operators`` (imported by converted code as ``ag__``).

The passes, in order, on one function (nested functions are converted first, each on its
own):

1. ``break``/``continue``: a flag per loop (``break_1 = True``), the statements after a
   jump guarded by ``if not break_1:``, the flag added to the loop's test; a loop's
   ``else`` moves after the loop.
2. ``return`` inside ``if``/``while``/``for``: ``do_return = True; retval_ = value``, the
   statements after it guarded, loops stop on ``do_return``, one ``return`` at the end.
3. expressions: calls become ``ag__.converted_call(f, args, kwargs)`` (user functions
   converted recursively), ``a if c else b``, ``and``/``or``/``not``, ``assert``.
4. ``if``/``while``/``for`` become local functions over the statement's variables and a
   call of ``ag__.if_stmt``/``while_stmt``/``for_stmt``.

Generated nodes keep the source lines of the statements they replace, so errors point to
the user's code.
"""
from __future__ import annotations

import ast
import itertools

__all__ = ["transform_function", "modified_names"]

AG = "ag__"
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
_LOOPS = (ast.For, ast.While)


def _name(id_, ctx=None):
    return ast.Name(id=id_, ctx=ctx or ast.Load())


def _ag(attr):
    return ast.Attribute(value=_name(AG), attr=attr, ctx=ast.Load())


def _call(func, args=(), keywords=()):
    return ast.Call(func=func, args=list(args), keywords=list(keywords))


def _assign(name, value):
    return ast.Assign(targets=[_name(name, ast.Store())], value=value)


def _not(expr):
    return ast.UnaryOp(op=ast.Not(), operand=expr)


def _located(nodes, like):
    for n in nodes:
        ast.copy_location(n, like)
        ast.fix_missing_locations(n)
        for sub in ast.walk(n):
            if not hasattr(sub, "lineno") and isinstance(sub, (ast.stmt, ast.expr)):
                ast.copy_location(sub, like)
    return nodes


def _walk_scope(node):
    """Nodes under ``node`` that belong to the same function scope."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        n = stack.pop()
        yield n
        if not isinstance(n, _SCOPES):
            stack.extend(ast.iter_child_nodes(n))


def _contains(stmt, kinds, stop=_SCOPES):
    if isinstance(stmt, kinds):
        return True
    if isinstance(stmt, stop):
        return False
    stack = list(ast.iter_child_nodes(stmt))
    while stack:
        n = stack.pop()
        if isinstance(n, kinds):
            return True
        if not isinstance(n, stop):
            stack.extend(ast.iter_child_nodes(n))
    return False


class _Names:
    """Unique names for generated symbols within one conversion."""

    def __init__(self):
        self._count = itertools.count(1)

    def new(self, base):
        return f"{base}_{next(self._count)}"


# -------------------------------------------------------------------- modified names ---

def modified_names(stmts):
    """Names bound by these statements in the current function scope, in first-seen order
    (assignments, loop targets, ``with ... as``, ``except ... as``, imports, defs)."""
    out = {}

    def add(n):
        out.setdefault(n, None)

    def targets(t):
        for n in ast.walk(t):
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                add(n.id)

    for stmt in stmts:
        nodes = [stmt] + list(_walk_scope(stmt))
        for n in nodes:
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                add(n.name)
            elif isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                add(n.id)
            elif isinstance(n, ast.Attribute) and isinstance(n.ctx, ast.Store) and \
                    isinstance(n.value, ast.Name) and n.value.id != AG:
                add(f"{n.value.id}.{n.attr}")        # self.x = ...: the attribute is state
            elif isinstance(n, ast.ExceptHandler) and n.name:
                add(n.name)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                for a in n.names:
                    add((a.asname or a.name).split(".")[0])
            elif isinstance(n, ast.NamedExpr):
                targets(n.target)
            elif isinstance(n, ast.Attribute) and n.attr in _LIST_MUTATORS and \
                    isinstance(n.value, ast.Name) and n.value.id != AG:
                add(n.value.id)              # out.append(x): the list is state too
    return list(out)


_LIST_MUTATORS = frozenset({"append", "extend", "insert", "pop", "remove", "clear"})


def _declared(fdef, kind):
    return {name for n in _walk_scope(fdef) if isinstance(n, kind) for name in n.names}


# ------------------------------------------------------------------ block guarding ---

def _guard_block(stmts, is_jump, replace, may_jump, flag, recurse):
    """The statements with each jump replaced and everything after a statement that may
    jump wrapped in ``if not flag:``."""
    out = []
    for k, s in enumerate(stmts):
        if is_jump(s):
            out.extend(_located(replace(s), s))
            return out
        jumps = may_jump(s)
        out.append(recurse(s) if jumps else s)
        rest = stmts[k + 1:]
        if jumps and rest:
            guarded = _guard_block(rest, is_jump, replace, may_jump, flag, recurse)
            out.append(_located([ast.If(test=_not(_name(flag)), body=guarded, orelse=[])],
                                rest[0])[0])
            return out
    return out


def _sub_blocks(stmt):
    fields = []
    if isinstance(stmt, (ast.If, ast.For, ast.While)):
        fields = ["body", "orelse"]
    elif isinstance(stmt, (ast.With, ast.AsyncWith)):
        fields = ["body"]
    elif isinstance(stmt, ast.Try) or type(stmt).__name__ == "TryStar":
        fields = ["body", "orelse", "finalbody"]
    return fields


# ------------------------------------------------------------- pass 1: break/continue ---

class _LoopJumps(ast.NodeTransformer):
    def __init__(self, names):
        self.names = names

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

    def _loop(self, node):
        self.generic_visit(node)          # inner loops first: their jumps are theirs
        pre, post = [], []
        if any(_contains(s, ast.Continue, _SCOPES + _LOOPS) for s in node.body):
            flag = self.names.new("continue")
            node.body = [_located([_assign(flag, ast.Constant(False))], node.body[0])[0]] + \
                self._guard(node.body, ast.Continue, flag)
        orelse, node.orelse = node.orelse, []
        if any(_contains(s, ast.Break, _SCOPES + _LOOPS) for s in node.body):
            flag = self.names.new("break")
            pre.append(_located([_assign(flag, ast.Constant(False))], node)[0])
            node.body = self._guard(node.body, ast.Break, flag)
            _add_loop_test(node, flag)
            if orelse:
                post.append(_located([ast.If(test=_not(_name(flag)), body=orelse,
                                             orelse=[])], orelse[0])[0])
        else:
            post.extend(orelse)
        return pre + [node] + post

    visit_For = visit_While = _loop

    def _guard(self, stmts, kind, flag):
        stop = _SCOPES + _LOOPS

        def recurse(s):
            for f in _sub_blocks(s):
                setattr(s, f, guard(getattr(s, f)) or ([ast.Pass()] if f == "body" else []))
            for h in getattr(s, "handlers", []):
                h.body = guard(h.body) or [ast.Pass()]
            return s

        def guard(block):
            return _guard_block(block, lambda s: isinstance(s, kind),
                                lambda s: [_assign(flag, ast.Constant(True))],
                                lambda s: _contains(s, kind, stop), flag, recurse)
        return guard(stmts)


def _add_loop_test(loop, flag):
    """Makes a loop stop once ``flag`` is set (tested before the loop's own condition)."""
    if isinstance(loop, ast.While):
        loop.test = ast.BoolOp(op=ast.And(), values=[_not(_name(flag)), loop.test])
    else:
        tests = getattr(loop, "_ag_extra_tests", [])
        loop._ag_extra_tests = [_call(_ag("not_"), [_name(flag)])] + tests


# ------------------------------------------------------------------ pass 2: return ---

def _convert_returns(fdef):
    returns_nested = any(isinstance(n, ast.Return) and _inside_control(fdef, n)
                         for n in _walk_scope(fdef))
    if not returns_nested:
        return
    stop = _SCOPES

    def is_return(s):
        return isinstance(s, ast.Return)

    def replace(s):
        value = s.value if s.value is not None else ast.Constant(None)
        return [_assign("do_return", ast.Constant(True)), _assign("retval_", value)]

    def may_return(s):
        return _contains(s, ast.Return, stop)

    def recurse(s):
        for f in _sub_blocks(s):
            setattr(s, f, guard(getattr(s, f)) or ([ast.Pass()] if f == "body" else []))
        for h in getattr(s, "handlers", []):
            h.body = guard(h.body) or [ast.Pass()]
        if isinstance(s, _LOOPS):
            _add_loop_test(s, "do_return")
        return s

    def guard(block):
        return _guard_block(block, is_return, replace, may_return, "do_return", recurse)

    first = fdef.body[0]
    doc = []
    body = fdef.body
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and \
            isinstance(first.value.value, str):
        doc, body = [first], body[1:]
    prelude = _located([_assign("do_return", ast.Constant(False)),
                        _assign("retval_", _call(_ag("UndefinedReturnValue")))], body[0])
    end = _located([ast.Return(value=_call(_ag("retval"), [_name("retval_")]))], body[-1])
    fdef.body = doc + prelude + guard(body) + end


def _inside_control(fdef, target):
    """Whether ``target`` sits inside an if/for/while of ``fdef`` (not of a nested scope)."""
    def search(node, inside):
        for child in ast.iter_child_nodes(node):
            if child is target:
                return inside
            if isinstance(child, _SCOPES):
                continue
            found = search(child, inside or isinstance(child, (ast.If, ast.For, ast.While)))
            if found is not None:
                return found
        return None
    return bool(search(fdef, False))


# ------------------------------------------------------------- pass 3: expressions ---

_UNWRAPPED_CALLS = {"locals", "globals", "vars", "super", "eval", "exec", "dir"}


class _Expressions(ast.NodeTransformer):
    """Calls, conditional expressions, boolean operators, asserts."""

    def __init__(self, class_cell, self_name):
        self.class_cell = class_cell
        self.self_name = self_name

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_ClassDef = visit_FunctionDef

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if isinstance(f, ast.Name) and f.id in _UNWRAPPED_CALLS:
            if f.id == "super" and not node.args and self.class_cell and self.self_name:
                node.args = [_name("__class__"), _name(self.self_name)]
            return node
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and \
                f.value.id == AG:
            return node
        if _is_set_loop_options(node):
            return node
        args = ast.Tuple(elts=list(node.args), ctx=ast.Load())
        if node.keywords:
            kwargs = ast.Dict(keys=[k.arg and ast.Constant(k.arg) for k in node.keywords],
                              values=[k.value for k in node.keywords])
        else:
            kwargs = ast.Constant(None)
        new = _call(_ag("converted_call"), [f, args, kwargs])
        return ast.copy_location(new, node)

    def visit_IfExp(self, node):
        self.generic_visit(node)
        new = _call(_ag("if_exp"), [node.test, _lambda(node.body), _lambda(node.orelse),
                                    ast.Constant(_unparse(node))])
        return ast.copy_location(new, node)

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        fn = "and_" if isinstance(node.op, ast.And) else "or_"
        values = node.values
        expr = values[-1]
        for v in reversed(values[:-1]):
            expr = _call(_ag(fn), [_lambda(v), _lambda(expr)])
        return ast.copy_location(expr, node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Not):
            return ast.copy_location(_call(_ag("not_"), [node.operand]), node)
        return node

    def visit_Assert(self, node):
        self.generic_visit(node)
        args = [node.test] + ([_lambda(node.msg)] if node.msg is not None else [])
        return ast.copy_location(ast.Expr(value=_call(_ag("assert_stmt"), args)), node)


def _lambda(expr):
    lam = ast.Lambda(args=ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                                        kw_defaults=[], kwarg=None, defaults=[]), body=expr)
    return ast.copy_location(lam, expr)


def _unparse(node):
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001  (only a label for error messages)
        return "<expression>"


def _is_set_loop_options(node):
    f = node.func
    return (isinstance(f, ast.Attribute) and f.attr == "set_loop_options") or \
        (isinstance(f, ast.Name) and f.id == "set_loop_options")


# ------------------------------------------------------------ pass 4: control flow ---

class _ControlFlow(ast.NodeTransformer):
    def __init__(self, names, params, globals_, nonlocals, mutators=None):
        self.names = names
        self.params = set(params) | {"do_return", "retval_"}
        self.globals = globals_
        self.nonlocals = nonlocals
        self.mutators = mutators or {}   # nested function -> the names it sets (nonlocal)

    def visit_FunctionDef(self, node):
        return node

    visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = visit_FunctionDef

    # -- helpers ---------------------------------------------------------------------
    def _state(self, stmts):
        mod = [n for n in modified_names(stmts) if n != AG]
        for stmt in stmts:            # calling a nested function that sets nonlocals
            for n in [stmt] + list(_walk_scope(stmt)):
                if isinstance(n, ast.Name) and n.id in self.mutators:
                    mod.extend(v for v in self.mutators[n.id] if v not in mod)
        state = [n for n in mod if n not in self.globals and n not in self.nonlocals]
        decls = []
        g = [n for n in mod if n in self.globals]
        nl = [n for n in mod if n in self.nonlocals] + [n for n in state if "." not in n]
        if g:
            decls.append(ast.Global(names=g))
        if nl:
            decls.append(ast.Nonlocal(names=nl))
        return state, decls

    def _state_functions(self, state, like):
        get_name, set_name = self.names.new("get_state"), self.names.new("set_state")
        tup = ast.Tuple(elts=[_load_state(n) for n in state], ctx=ast.Load())
        get_fn = _def(get_name, [], [ast.Return(value=tup)])
        plain = [n for n in state if "." not in n]
        set_body = [ast.Nonlocal(names=plain)] if plain else []
        for k, n in enumerate(state):
            item = ast.Subscript(value=_name("vars_"), slice=ast.Constant(k), ctx=ast.Load())
            if "." in n:
                base, attr = n.split(".", 1)
                set_body.append(ast.Expr(value=_call(_ag("set_attr"), [
                    _name(base), ast.Constant(attr), item])))
            else:
                set_body.append(_assign(n, item))
        set_body = set_body or [ast.Pass()]
        set_fn = _def(set_name, ["vars_"], set_body)
        return _located([get_fn, set_fn], like), get_name, set_name

    def _undefined_guards(self, state, like):
        out = []
        for n in state:
            if n in self.params or "." in n:
                continue
            out.append(ast.Try(
                body=[ast.Expr(value=_name(n))],
                handlers=[ast.ExceptHandler(type=_name("NameError"), name=None, body=[
                    _assign(n, _call(_ag("Undefined"), [ast.Constant(n)]))])],
                orelse=[], finalbody=[]))
        return _located(out, like)

    def _names_tuple(self, state):
        return ast.Tuple(elts=[ast.Constant(n) for n in state], ctx=ast.Load())

    # -- statements ------------------------------------------------------------------
    def visit_If(self, node):
        state, decls = self._state(node.body + node.orelse)
        self.generic_visit(node)
        body_name, else_name = self.names.new("if_body"), self.names.new("else_body")
        funcs, get_name, set_name = self._state_functions(state, node)
        body_fn = _def(body_name, [], decls + (node.body or [ast.Pass()]))
        else_fn = _def(else_name, [], decls + (node.orelse or [ast.Pass()]))
        call = ast.Expr(value=_call(_ag("if_stmt"), [
            node.test, _name(body_name), _name(else_name), _name(get_name), _name(set_name),
            self._names_tuple(state), ast.Constant(node.lineno)]))
        return _located([body_fn, else_fn] + funcs, node) + \
            self._undefined_guards(state, node) + _located([call], node)

    def visit_While(self, node):
        opts, node.body = _loop_options(node.body)
        state, decls = self._state(node.body)
        self.generic_visit(node)
        test_name, body_name = self.names.new("loop_test"), self.names.new("loop_body")
        funcs, get_name, set_name = self._state_functions(state, node)
        test_fn = _def(test_name, [], [ast.Return(value=node.test)])
        body_fn = _def(body_name, [], decls + (node.body or [ast.Pass()]))
        call = ast.Expr(value=_call(_ag("while_stmt"), [
            _name(test_name), _name(body_name), _name(get_name), _name(set_name),
            self._names_tuple(state), opts, ast.Constant(node.lineno)]))
        return _located([test_fn, body_fn] + funcs, node) + \
            self._undefined_guards(state, node) + _located([call], node)

    def visit_For(self, node):
        opts, node.body = _loop_options(node.body)
        target_assign = ast.Assign(targets=[node.target], value=_name("itr"))
        _located([target_assign], node.target)
        state, decls = self._state([target_assign] + node.body)
        self.generic_visit(node)
        extra = getattr(node, "_ag_extra_tests", [])
        body_name = self.names.new("loop_body")
        funcs, get_name, set_name = self._state_functions(state, node)
        pre = []
        if extra:
            test_name = self.names.new("extra_test")
            test = extra[0]
            for t in extra[1:]:
                test = _call(_ag("and_"), [_lambda(test), _lambda(t)])
            pre.append(_def(test_name, [], [ast.Return(value=test)]))
            extra_arg = _name(test_name)
        else:
            extra_arg = ast.Constant(None)
        body_fn = _def(body_name, ["itr"], decls + [target_assign] + node.body)
        call = ast.Expr(value=_call(_ag("for_stmt"), [
            node.iter, extra_arg, _name(body_name), _name(get_name), _name(set_name),
            self._names_tuple(state), opts, ast.Constant(node.lineno)]))
        return _located(pre + [body_fn] + funcs, node) + \
            self._undefined_guards(state, node) + _located([call], node)


def _load_state(name):
    if "." in name:
        base, attr = name.split(".", 1)
        return _call(_ag("ld_attr"), [_name(base), ast.Constant(attr)])
    return _name(name)


def _loop_options(body):
    """Takes a leading ``set_loop_options(...)`` call out of a loop body: its keywords
    become the loop's options."""
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Call) and \
            _is_set_loop_options(body[0].value):
        call = body[0].value
        opts = ast.Dict(keys=[ast.Constant(k.arg) for k in call.keywords],
                        values=[k.value for k in call.keywords])
        rest = body[1:] or [ast.Pass()]
        return ast.copy_location(opts, call), rest
    return ast.Constant(None), body


def _def(name, params, body):
    args = ast.arguments(posonlyargs=[], args=[ast.arg(arg=p) for p in params], vararg=None,
                         kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[])
    return ast.FunctionDef(name=name, args=args, body=body, decorator_list=[], returns=None,
                           type_comment=None)


# ----------------------------------------------------------------------- driver ---

def _is_generator(fdef):
    return any(isinstance(n, (ast.Yield, ast.YieldFrom, ast.Await)) for n in _walk_scope(fdef))


def _params(args):
    out = [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]
    if args.vararg:
        out.append(args.vararg.arg)
    if args.kwarg:
        out.append(args.kwarg.arg)
    return out


def transform_function(node, class_cell=False, names=None):
    """Converts a FunctionDef (or Lambda) in place and returns it."""
    names = names or _Names()
    if isinstance(node, ast.Lambda):
        params = _params(node.args)
        node.body = _Expressions(class_cell, params[0] if params else None).visit(node.body)
        return node
    # nested functions first, each converted on its own (generators and coroutines stay
    # as they are: their loops must keep yielding from the generator's own frame)
    mutators = {}
    for n in list(_walk_scope(node)):
        if isinstance(n, ast.FunctionDef) and not _is_generator(n):
            mutators[n.name] = sorted(_declared(n, ast.Nonlocal))
            transform_function(n, class_cell, names)
            n.decorator_list.append(ast.copy_location(_ag("autograph_artifact"), n))
    params = _params(node.args)
    node.body = _LoopJumps(names).visit(ast.Module(body=node.body, type_ignores=[])).body
    _convert_returns(node)
    ex = _Expressions(class_cell, params[0] if params else None)
    node.body = [ex.visit(s) for s in node.body]
    cf = _ControlFlow(names, params, _declared(node, ast.Global), _declared(node, ast.Nonlocal),
                      {k: v for k, v in mutators.items() if v})
    node.body = cf.visit(ast.Module(body=node.body, type_ignores=[])).body
    ast.fix_missing_locations(node)
    return node
