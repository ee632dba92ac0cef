"""keras.utils helpers: source inputs of a KerasTensor, the Config container and
re-exports of the data and dtype helpers under their Keras names."""
from __future__ import annotations

import json

__all__ = ["Config", "get_source_inputs"]


def get_source_inputs(tensor):
    """The keras.Input tensors the KerasTensor ``tensor`` was computed from, in order."""
    from ember.keras.keras_tensor import KerasTensor
    from ember.keras.layers.input_layer import InputLayer
    if not isinstance(tensor, KerasTensor):
        raise ValueError(f"get_source_inputs: expected a KerasTensor; received {tensor!r}")
    history = tensor._keras_history
    if history is None or isinstance(history[0], InputLayer):
        return [tensor]
    found, seen = [], set()

    def visit(node):
        if id(node) in seen:
            return
        seen.add(id(node))
        for t in node.input_tensors:
            h = t._keras_history
            if h is None or isinstance(h[0], InputLayer):
                if all(t is not f for f in found):
                    found.append(t)
            else:
                visit(h[1])
    visit(history[1])
    return found


class Config:
    """A dict of settings readable as attributes, which ``freeze()`` makes read-only.

    >>> c = Config(lr=0.1); c.epochs = 3; c.lr
    0.1
    """

    def __init__(self, **kwargs):
        object.__setattr__(self, "_config", dict(kwargs))
        object.__setattr__(self, "_frozen", False)

    def freeze(self):
        object.__setattr__(self, "_frozen", True)

    def unfreeze(self):
        object.__setattr__(self, "_frozen", False)

    @property
    def frozen(self):
        return self._frozen

    def _check(self):
        if self._frozen:
            raise AttributeError("Cannot modify a frozen Config; call `unfreeze()` first")

    def __getattr__(self, name):
        try:
            return self.__dict__["_config"][name]
        except KeyError:
            raise AttributeError(f"Unknown attribute: {name!r}") from None

    def __setattr__(self, name, value):
        self._check()
        self._config[name] = value

    def __delattr__(self, name):
        self._check()
        del self._config[name]

    def __getitem__(self, key):
        return self._config[key]

    def __setitem__(self, key, value):
        self._check()
        self._config[key] = value

    def __delitem__(self, key):
        self._check()
        del self._config[key]

    def __contains__(self, key):
        return key in self._config

    def __iter__(self):
        return iter(self._config)

    def __len__(self):
        return len(self._config)

    def keys(self):
        return self._config.keys()

    def values(self):
        return self._config.values()

    def items(self):
        return self._config.items()

    def get(self, key, default=None):
        return self._config.get(key, default)

    def pop(self, *args):
        self._check()
        return self._config.pop(*args)

    def update(self, *args, **kwargs):
        self._check()
        self._config.update(*args, **kwargs)

    def as_dict(self):
        return dict(self._config)

    def to_json(self):
        return json.dumps(self._config)

    def __repr__(self):
        return f"<Config {self._config!r}>"
