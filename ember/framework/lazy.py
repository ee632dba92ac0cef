"""Lazily loaded names of ember's namespaces (module ``__getattr__``, PEP 562).

``import ember`` loads only what most programs use; a namespace lists the rest in a table
and loads each entry on first access::

    __getattr__, __dir__ = lazy.attach(__name__, submodules=("keras", "signal"),
                                       attributes={"SparseTensor": "ember.sparse"})

- ``submodules``: names of the package's submodules; ``ember.keras`` imports
  ``ember.keras`` the first time it is read.
- ``attributes``: ``{name: "module"}`` gives ``module.name``; ``{name: "module:other"}``
  gives ``module.other`` (an alias); ``{name: "module:"}`` gives the module itself (a
  module that lives elsewhere: ``ember.graph_util`` is ``ember.compat.v1.graph_util``).

``dir()`` lists the lazy names with the loaded ones, so ``hasattr``, ``dir``, ``from
ember.linalg import LinearOperatorDiag`` and ``ember.install_as_tensorflow()`` see one
namespace. The value is stored on the module once it is complete, so later reads cost
nothing. Thread safety comes from Python's import lock: ``importlib.import_module`` waits
while another thread is still executing the same module, so no thread receives a
half-initialized module; the value is stored only after the import has returned.

Op definitions that ``import ember`` does not load are found by name on demand:
``register_op_modules`` (called by ``ember/__init__.py``) lists the modules that define
them, and ``ember.framework.op.get_op`` imports them when a name is missing (a graph file
or SavedModel that uses an op whose public module was never touched).
"""
from __future__ import annotations

import importlib
import sys

__all__ = ["attach", "names_in", "star_names"]


def _resolve(target: str, default_name: str):
    module_name, colon, attr = target.partition(":")
    module = importlib.import_module(module_name)
    if colon and not attr:               # "module:" names the module itself
        return module
    return getattr(module, attr or default_name)


def names_in(module: str, *names: str) -> dict:
    """``{name: module}`` for ``attach``'s ``attributes``: names ``module`` defines."""
    return dict.fromkeys(names, module)


def star_names(namespace: dict, *lazy_names) -> list:
    """``__all__`` for a namespace with lazy names: its public names and the given lazy
    ones, so ``from ember.nn import *`` gives what it gave when everything loaded eagerly
    (the star import loads the lazy ones)."""
    names = {n for n in namespace if not n.startswith("_")}
    for group in lazy_names:
        names.update(group)
    return sorted(names)


def attach(module_name: str, submodules=(), attributes=None):
    """``(__getattr__, __dir__)`` for the module ``module_name`` (see the module doc)."""
    submodules = frozenset(submodules)
    attributes = dict(attributes or {})
    overlap = submodules & attributes.keys()
    if overlap:
        raise ValueError(f"{module_name}: {sorted(overlap)} listed both as lazy submodules "
                         f"and as lazy attributes")

    def __getattr__(name):
        if name in submodules:
            value = importlib.import_module(f"{module_name}.{name}")
        elif name in attributes:
            value = _resolve(attributes[name], name)
        else:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        # Stored only now that the import has finished: a concurrent reader either finds
        # the complete value or comes here and waits on the import lock.
        setattr(sys.modules[module_name], name, value)
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[module_name])) | submodules | attributes.keys())

    __getattr__.__doc__ = (f"Loads {module_name}'s lazy names on first use: "
                           f"{', '.join(sorted(submodules | attributes.keys()))}.")
    return __getattr__, __dir__
