"""Converting Python functions: source -> AST -> rewritten AST -> a new function object that
shares the original's globals, closure cells, defaults and source lines.

User functions are converted; library code (ember, NumPy, the standard library, other
frameworks) runs as it is. Functions whose source cannot be read (built-ins, code made by
``exec``) also run unconverted.
"""
from __future__ import annotations

import ast
import functools
import inspect
import sys
import textwrap
import threading
import types
import warnings

from ember.autograph import operators, transformer
from ember.autograph.operators import autograph_artifact

__all__ = ["convert", "converted_call", "to_code", "to_graph", "do_not_convert",
           "is_converted"]

_SKIPPED_PACKAGES = frozenset({
    "ember", "numpy", "tensorflow", "keras", "torch", "jax", "scipy", "pandas", "pytest",
    "_pytest", "pluggy", "builtins", "six", "absl", "h5py", "PIL", "ml_dtypes",
})
_STDLIB = frozenset(getattr(sys, "stdlib_module_names", ()))

_lock = threading.RLock()
_code_cache: dict = {}        # original code object -> converted code object (or None)
_failures_warned: set = set()


def _make_ag_namespace():
    ns = types.ModuleType("ag__", "AutoGraph's run-time helpers, as converted code sees them")
    for name in operators.__all__:
        setattr(ns, name, getattr(operators, name))
    return ns


AG = _make_ag_namespace()


# ------------------------------------------------------------------------- markers ---

def do_not_convert(func=None):
    """Marks a function to run as it is written: AutoGraph does not convert it (nor the
    functions it calls).

    >>> @tf.autograph.experimental.do_not_convert
    ... def plain(x):
    ...     return x
    """
    if func is None:
        return do_not_convert
    try:
        func.__ag_do_not_convert__ = True
        return func
    except (AttributeError, TypeError):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            return func(*args, **kwargs)
        wrapper.__ag_do_not_convert__ = True
        return wrapper


def is_converted(fn) -> bool:
    return bool(getattr(fn, "__ag_converted__", False))


def _is_user_function(func, top_level=False) -> bool:
    """Converted: functions outside the libraries (the function handed to ember.function
    itself only needs to be outside ember and the frameworks)."""
    if getattr(func, "__ag_do_not_convert__", False) or is_converted(func):
        return False
    module = getattr(func, "__module__", None) or ""
    top = module.split(".")[0]
    return top not in _SKIPPED_PACKAGES and (top_level or top not in _STDLIB)


# ------------------------------------------------------------------------- parsing ---

def _function_node(fn):
    """The function's AST (FunctionDef or Lambda) with its source's line numbers, or None
    when the source cannot be read or located."""
    code = fn.__code__
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError):
        return None
    source = textwrap.dedent("".join(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        if code.co_name != "<lambda>":
            return None
        tree = _parse_lambda_lines(source)
        if tree is None:
            return None
    ast.increment_lineno(tree, first - 1)
    if code.co_name == "<lambda>":
        params = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
        found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda) and
                 n.lineno == code.co_firstlineno and
                 [a.arg for a in n.args.posonlyargs + n.args.args + n.args.kwonlyargs] == params]
        return found[0] if len(found) == 1 else None
    for n in tree.body:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == code.co_name:
            return n
    return None


def _parse_lambda_lines(source):
    """A lambda inside a larger expression: parse from the ``lambda`` keyword on, trimming
    trailing text until it parses."""
    start = source.find("lambda")
    if start < 0:
        return None
    text = source[start:]
    for end in range(len(text), 0, -1):
        try:
            return ast.parse("(" + text[:end] + ")")
        except SyntaxError:
            continue
    return None


# ------------------------------------------------------------------------ building ---

def _convert_node(fn, node):
    """Converts the AST and compiles it inside a factory that binds the original free
    variables (and ``ag__``), so the new code object has them as free variables."""
    code = fn.__code__
    class_cell = "__class__" in code.co_freevars
    # defaults and annotations belong to the original function object (and their own
    # code, such as a default lambda, must not be mistaken for the function's)
    node.args.defaults = []
    node.args.kw_defaults = [None] * len(node.args.kw_defaults)
    for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs:
        a.annotation = None
    for a in (node.args.vararg, node.args.kwarg):
        if a is not None:
            a.annotation = None
    if isinstance(node, ast.Lambda):
        transformer.transform_function(node, class_cell)
        inner = [ast.Return(value=node)]
    else:
        node.decorator_list = []
        node.name = "__ag_inner"
        node.returns = None
        transformer.transform_function(node, class_cell)
        inner = [node, ast.Return(value=ast.Name(id="__ag_inner", ctx=ast.Load()))]
    binds = [ast.Assign(targets=[ast.Name(id=n, ctx=ast.Store())], value=ast.Constant(None))
             for n in ("ag__",) + tuple(code.co_freevars)]
    factory = ast.FunctionDef(
        name="__ag_factory",
        args=ast.arguments(posonlyargs=[], args=[], vararg=None, kwonlyargs=[],
                           kw_defaults=[], kwarg=None, defaults=[]),
        body=binds + inner, decorator_list=[], returns=None, type_comment=None)
    for b in binds:
        ast.copy_location(b, node)
    ast.copy_location(factory, node)
    module = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(module)
    compiled = compile(module, code.co_filename, "exec", dont_inherit=True)
    factory_code = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    new_code = [c for c in factory_code.co_consts if isinstance(c, types.CodeType)][-1]
    return new_code.replace(co_name=code.co_name, co_qualname=code.co_qualname)


def _converted_code(fn):
    code = fn.__code__
    with _lock:
        if code in _code_cache:
            return _code_cache[code]
    new_code = None
    if not code.co_flags & (inspect.CO_GENERATOR | inspect.CO_COROUTINE |
                            inspect.CO_ASYNC_GENERATOR):
        node = _function_node(fn)
        if node is not None:
            try:
                new_code = _convert_node(fn, node)
            except Exception as e:  # noqa: BLE001  (falls back to the function as written)
                if code not in _failures_warned:
                    _failures_warned.add(code)
                    warnings.warn(f"AutoGraph could not convert {fn.__qualname__} and will run "
                                  f"it as it is written: {type(e).__name__}: {e}",
                                  stacklevel=3)
    with _lock:
        _code_cache[code] = new_code
    return new_code


def _function_from(fn, new_code):
    cells = dict(zip(fn.__code__.co_freevars, fn.__closure__ or ()))
    closure = []
    for name in new_code.co_freevars:
        if name == "ag__":
            closure.append(types.CellType(AG))
        else:
            closure.append(cells[name])
    new = types.FunctionType(new_code, fn.__globals__, fn.__name__, fn.__defaults__,
                             tuple(closure) or None)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__qualname__ = fn.__qualname__
    new.__doc__ = fn.__doc__
    new.__module__ = fn.__module__
    new.__annotations__ = dict(getattr(fn, "__annotations__", {}) or {})
    new.__dict__.update(fn.__dict__)
    new.__ag_converted__ = True
    new.__wrapped__ = fn
    return new


def convert(fn, force=False, top_level=False):
    """The converted version of a function, method or callable object; None when it is
    not converted (library code, no source, ``do_not_convert``)."""
    if isinstance(fn, types.MethodType):
        inner = convert(fn.__func__, force, top_level)
        return None if inner is None else types.MethodType(inner, fn.__self__)
    if isinstance(fn, types.FunctionType):
        rewrap = getattr(fn, "__ag_rewrap__", None)
        if rewrap is not None and hasattr(fn, "__wrapped__"):
            # a library decorator (Module.with_name_scope): convert what it wraps
            inner = convert(fn.__wrapped__, force, top_level)
            return None if inner is None else autograph_artifact(rewrap(inner))
        if not force and not _is_user_function(fn, top_level):
            return None
        if is_converted(fn) or getattr(fn, "__ag_do_not_convert__", False):
            return None
        new_code = _converted_code(fn)
        return None if new_code is None else _function_from(fn, new_code)
    if isinstance(fn, functools.partial):
        inner = convert(fn.func, force, top_level)
        return None if inner is None else functools.partial(inner, *fn.args, **fn.keywords)
    if inspect.isclass(fn) or _is_ember_function(fn):
        return None
    call = getattr(type(fn), "__call__", None)
    if isinstance(call, types.FunctionType):
        inner = convert(call, force, top_level)
        return None if inner is None else types.MethodType(inner, fn)
    return None


def _is_ember_function(fn):
    return type(fn).__module__.startswith("ember.") and hasattr(fn, "python_function")


def converted_call(f, args, kwargs=None, options=None):
    """Calls ``f`` from converted code: built-ins with tensor-aware versions (print, len,
    range, ...), user functions converted, everything else as it is."""
    kwargs = kwargs or {}
    if is_converted(f):
        return f(*args, **kwargs)
    try:
        override = operators.BUILTIN_OVERRIDES.get(f)
    except TypeError:
        override = None
    if override is not None:
        return override(*args, **kwargs)
    if isinstance(f, functools.partial):
        return converted_call(f.func, tuple(f.args) + tuple(args), {**f.keywords, **kwargs})
    target = convert(f)
    if target is None:
        return f(*args, **kwargs)
    return target(*args, **kwargs)


AG.converted_call = converted_call


# --------------------------------------------------------------------- public API ---

def to_graph(entity, recursive=True, experimental_optional_features=None):
    """The converted Python function: its control flow on tensors builds ``cond`` and
    ``while_loop`` when it runs inside a traced function.

    >>> def f(x):
    ...     while x > 0:
    ...         x = x - 1
    ...     return x
    >>> g = tf.autograph.to_graph(f)
    """
    converted = convert(entity, force=True)
    if converted is None:
        raise ValueError(f"to_graph: cannot convert {entity!r}: its source code is not "
                         f"available or it is not a Python function")
    return converted


def to_code(entity, recursive=True, experimental_optional_features=None):
    """The source code AutoGraph generates for ``entity`` (a function or method).

    >>> print(tf.autograph.to_code(f))
    """
    fn = entity.__func__ if isinstance(entity, types.MethodType) else entity
    if not isinstance(fn, types.FunctionType):
        call = getattr(type(entity), "__call__", None)
        if not isinstance(call, types.FunctionType):
            raise ValueError(f"to_code: {entity!r} is not a Python function")
        fn = call
    node = _function_node(fn)
    if node is None:
        raise ValueError(f"to_code: the source code of {fn.__qualname__} is not available")
    class_cell = "__class__" in fn.__code__.co_freevars
    if isinstance(node, ast.Lambda):
        return ast.unparse(transformer.transform_function(node, class_cell)) + "\n"
    node.decorator_list = []
    node.name = f"ag__{fn.__name__}"
    return ast.unparse(transformer.transform_function(node, class_cell)) + "\n"


def tf_convert(fn):
    """What ``ember.function`` traces: the converted function when AutoGraph converts it,
    else ``fn`` itself."""
    converted = convert(fn, top_level=True)
    return fn if converted is None else converted
