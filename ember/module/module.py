"""``tf.Module``: a named container of variables and other modules.

A module finds its variables and submodules by walking its attributes (sorted by name)
and the lists, tuples and dicts in them, so nothing has to be registered:

    class Dense(tf.Module):
        def __init__(self, units, name=None):
            super().__init__(name=name)
            with self.name_scope:
                self.w = tf.Variable(tf.ones([3, units]), name="w")

        @tf.Module.with_name_scope
        def __call__(self, x):
            return x @ self.w

``_flatten`` is the one walk every property uses; checkpointing and saving build on it
(``_flatten(with_path=True)`` gives each object's attribute path).
"""
from __future__ import annotations

import functools
import re

__all__ = ["Module"]

_VALID_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CAMEL = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")

# attributes a module keeps about itself, not part of what it tracks
_IGNORED = frozenset({"_name", "_scope_name"})


def camel_to_snake(name: str) -> str:
    return _CAMEL.sub(r"_\1", name).lower()


def _is_variable(x):
    return getattr(x, "_is_ember_variable", False)


def _is_trainable_variable(x):
    return _is_variable(x) and getattr(x, "trainable", False)


def _is_non_trainable_variable(x):
    return _is_variable(x) and not getattr(x, "trainable", False)


def _is_module(x):
    return isinstance(x, Module)


class _ModuleNameScope:
    """The module's name scope; entering it again reopens the same scope."""

    def __init__(self, scope_name):
        self.name = scope_name
        self._cm = None

    def __enter__(self):
        import ember
        self._cm = ember.name_scope(self.name)
        return self._cm.__enter__()

    def __exit__(self, *exc):
        cm, self._cm = self._cm, None
        return cm.__exit__(*exc)

    def __repr__(self):
        return f"<name_scope {self.name!r}>"


class Module:
    """Base class of models and layers built from variables (``tf.Module``).

    >>> class Scale(tf.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.k = tf.Variable(2.0)
    ...     def __call__(self, x):
    ...         return self.k * x
    >>> Scale().trainable_variables
    (<ember.Variable 'Variable:0' shape=() dtype=float32, numpy=2.0>,)
    """

    _TF_MODULE_IGNORED_PROPERTIES = _IGNORED

    def __init__(self, name: str | None = None):
        if name is None:
            name = camel_to_snake(type(self).__name__)
        elif not _VALID_NAME.match(name):
            raise ValueError(f"'{name}' is not a valid module name. Module names must be valid "
                             f"Python identifiers (e.g. a valid class name).")
        self._name = name
        import ember
        with ember.name_scope(name) as scope:
            self._scope_name = scope if scope else name + "/"

    # -- naming ------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The name given to the constructor (or the class name in snake_case)."""
        return self._name

    @property
    def name_scope(self) -> _ModuleNameScope:
        """A name scope for this module: ``with self.name_scope:`` names variables
        ``<module>/<name>``."""
        return _ModuleNameScope(self._scope_name)

    # -- tracking ----------------------------------------------------------------------
    @property
    def variables(self) -> tuple:
        """Every variable of this module and its submodules (deduplicated, in walk order)."""
        return tuple(self._flatten(predicate=_is_variable, expand_composites=True))

    @property
    def trainable_variables(self) -> tuple:
        return tuple(self._flatten(predicate=_is_trainable_variable, expand_composites=True))

    @property
    def non_trainable_variables(self) -> tuple:
        return tuple(self._flatten(predicate=_is_non_trainable_variable,
                                   expand_composites=True))

    @property
    def submodules(self) -> tuple:
        """Every module reachable from this one's attributes (not this one)."""
        return tuple(self._flatten(predicate=_is_module))

    def _flatten(self, recursive=True, predicate=None, attribute_traversal_key=None,
                 with_path=False, expand_composites=False):
        """The objects in this module's attributes (and, with ``recursive``, in its
        submodules') for which ``predicate`` holds.

        Attributes are visited sorted by name (``attribute_traversal_key``), nested lists,
        tuples and dicts in order, a module's own attributes before its submodules'. With
        ``with_path`` each object comes as ``(path, object)``, the path a tuple of
        attribute names, list indices and dict keys (and shared objects appear once per
        path); otherwise each object appears once."""
        if predicate is None:
            predicate = lambda _: True  # noqa: E731
        return _flatten_module(self, recursive, predicate, attribute_traversal_key,
                               self._TF_MODULE_IGNORED_PROPERTIES, with_path, (), None, [])

    @classmethod
    def with_name_scope(cls, method):
        """Decorates a method to run inside the module's name scope.

        >>> class M(tf.Module):
        ...     @tf.Module.with_name_scope
        ...     def __call__(self, x):
        ...         return x
        """
        @functools.wraps(method)
        def method_with_name_scope(self, *args, **kwargs):
            with self.name_scope:
                return method(self, *args, **kwargs)
        # AutoGraph converts the decorated method and wraps it again
        method_with_name_scope.__ag_rewrap__ = cls.with_name_scope
        return method_with_name_scope


def _flatten_with_paths(value):
    """(path, leaf) pairs of a nested attribute value (dicts in sorted key order)."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: (type(k).__name__, k)) if not all(
            isinstance(k, str) for k in value) else sorted(value)
        for k in keys:
            for path, leaf in _flatten_with_paths(value[k]):
                yield (k,) + path, leaf
    elif isinstance(value, (list, tuple)) and not _is_variable(value):
        for i, v in enumerate(value):
            for path, leaf in _flatten_with_paths(v):
                yield (i,) + path, leaf
    else:
        yield (), value


def _flatten_module(module, recursive, predicate, key, ignored, with_path, module_path,
                    seen, stack):
    module_id = id(module)
    if seen is None:
        seen = {module_id}
    if module_id in stack:
        recursive = False
    attrs = vars(module)
    submodules = []
    for name in sorted(attrs, key=key):
        if name in ignored:
            continue
        try:
            leaves = list(_flatten_with_paths(attrs[name]))
        except RecursionError:
            raise ValueError(f"Error processing property {name!r} of {module!r}: it holds "
                             f"itself") from None
        for path, leaf in leaves:
            path = (name,) + path
            if not with_path:
                if id(leaf) in seen:
                    continue
                seen.add(id(leaf))
            if predicate(leaf):
                yield (module_path + path, leaf) if with_path else leaf
            if recursive and _is_module(leaf):
                submodules.append((module_path + path, leaf))
    stack.append(module_id)
    for path, sub in submodules:
        yield from _flatten_module(sub, recursive, predicate, key, ignored, with_path, path,
                                   seen, stack)
    stack.pop()

