"""Loads the applications fixtures (tests/fixtures/applications, made by
make_fixtures.py under real Keras) and builds ember models the way the script built the
Keras ones."""
import gzip
import json
import os
import re

import numpy as np

from tests.keras.applications.weight_formula import fill_model

FIXTURES = os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "applications")


def _script_tables():
    """ARCHITECTURES and PREDICTIONS from make_fixtures.py (plain data; the script imports
    Keras, so its tables are read without running it)."""
    with open(os.path.join(FIXTURES, "make_fixtures.py")) as f:
        src = f.read()
    namespace = {}
    start = src.index("ARCHITECTURES = {")
    end = src.index("def build(")
    exec(src[start:end], namespace)  # noqa: S102 - our own committed data tables
    return namespace["ARCHITECTURES"], namespace["PREDICTIONS"]


ARCHITECTURES, PREDICTIONS = _script_tables()


def architectures():
    with gzip.open(os.path.join(FIXTURES, "architectures.json.gz"), "rt") as f:
        return json.load(f)


def predictions():
    return np.load(os.path.join(FIXTURES, "predictions.npz"))


def fixed_input(shape):
    n = int(np.prod(shape))
    return (127.5 + 127.0 * np.sin(np.arange(n) * 0.013)).reshape(shape).astype(np.float32)


def build(ctor, kwargs, fill=False, zeros=None):
    """``keras.applications.<ctor>(weights=None, **kwargs)`` in a fresh session, its
    weights set by the fixture formula with ``fill``. With ``zeros`` (default: ``fill``)
    the weights are created as zeros instead of drawn from their initializers, which
    saves time where their values do not matter."""
    from ember import keras
    from ember.keras import applications
    from ember.keras.layers import Layer
    keras.backend.clear_session()
    kwargs = dict(kwargs)
    kwargs.setdefault("weights", None)
    add_weight = Layer.add_weight

    def zeros_weight(self, *args, **kw):
        kw["initializer"] = "zeros"
        return add_weight(self, *args, **kw)
    if fill if zeros is None else zeros:
        Layer.add_weight = zeros_weight
    try:
        model = getattr(applications, ctor)(**kwargs)
    finally:
        Layer.add_weight = add_weight
    if fill:
        fill_model(model, lambda w, v: w.assign(v))
    return model


def local_weight_path(path):
    """A weight's path without the enclosing model scopes and with Keras's numbered
    unnamed variables ("variable_17") unnumbered: ``layer/weight``."""
    return re.sub(r"variable_\d+$", "variable", "/".join(path.split("/")[-2:]))
