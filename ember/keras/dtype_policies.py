"""keras.dtype_policies: a layer's compute and variable dtypes (Keras 3's DTypePolicy).

A policy named after a dtype ("float32", "float16", "bfloat16", "float64", "int32", ...)
computes and stores variables in that dtype. The mixed policies compute in a low-precision
float and keep variables in float32:

| policy           | compute dtype | variable dtype |
|------------------|---------------|----------------|
| "mixed_float16"  | float16       | float32        |
| "mixed_bfloat16" | bfloat16      | float32        |

A layer whose two dtypes differ casts its floating inputs to the compute dtype and, while
its ``call`` runs, reads its float32 variables cast to the compute dtype (an autocast
scope); gradients flow back through the cast to the float32 variables.
"""
from __future__ import annotations

import contextlib
import contextvars

from ember.keras import backend

__all__ = ["DTypePolicy", "FloatDTypePolicy", "Policy", "get", "serialize", "deserialize",
           "dtype_policy", "set_dtype_policy", "autocast_scope", "autocast_dtype"]

_MIXED = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}


class DTypePolicy:
    """The dtypes a layer computes in and keeps its variables in.

    >>> p = DTypePolicy("mixed_float16")
    >>> p.compute_dtype, p.variable_dtype
    ('float16', 'float32')
    """

    def __init__(self, name: str | None = None):
        if name is None:
            name = dtype_policy().name
        self._name = name
        self._compute_dtype, self._variable_dtype = self._parse_name(name)
        self._quantization_mode = None

    @staticmethod
    def _parse_name(name):
        if not isinstance(name, str):
            raise TypeError(f"DTypePolicy: 'name' must be a string such as 'mixed_float16'; "
                            f"received name={name!r} (of type {type(name).__name__})")
        if name in _MIXED:
            return _MIXED[name]
        try:
            dtype = backend.standardize_dtype(name)
        except (TypeError, ValueError):
            raise ValueError(f"Cannot convert {name!r} to a mixed precision DTypePolicy. "
                             f"Valid policies include 'mixed_float16', 'mixed_bfloat16', "
                             f"and the name of any dtype such as 'float32'.") from None
        return dtype, dtype

    @property
    def name(self) -> str:
        return self._name

    @property
    def compute_dtype(self) -> str:
        """The dtype of the layer's computations (and usually of its outputs)."""
        return self._compute_dtype

    @property
    def variable_dtype(self) -> str:
        """The dtype layers create their variables in."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """None: ember has no quantized policies."""
        return self._quantization_mode

    @property
    def is_mixed(self) -> bool:
        return self._compute_dtype != self._variable_dtype

    def convert_input(self, x, autocast, dtype):
        """``x`` as a tensor; a floating one cast to ``dtype`` when ``autocast``."""
        import ember
        if not ember.is_tensor(x):
            if not hasattr(x, "__array__") and not isinstance(x, (int, float, list)):
                return x
            x = ember.convert_to_tensor(x)
        if autocast and x.dtype.is_floating and x.dtype.name != dtype and \
                ember.as_dtype(dtype).is_floating:
            x = ember.cast(x, dtype)
        return x

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(other) is type(self) and other._name == self._name

    def __hash__(self):
        return hash((type(self), self._name))

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


FloatDTypePolicy = DTypePolicy
Policy = DTypePolicy

_GLOBAL = {"policy": None}


def dtype_policy() -> DTypePolicy:
    """The global dtype policy: the one ``set_dtype_policy`` set, else the policy of
    ``keras.config.floatx()``."""
    policy = _GLOBAL["policy"]
    if policy is None:
        return DTypePolicy(backend.floatx())
    return policy


def set_dtype_policy(policy) -> None:
    """Sets the global dtype policy: a name ("mixed_float16", "mixed_bfloat16", "float32",
    ...) or a DTypePolicy. Layers created afterwards without a ``dtype`` use it."""
    if isinstance(policy, DTypePolicy):
        _GLOBAL["policy"] = policy
    elif isinstance(policy, str):
        _GLOBAL["policy"] = DTypePolicy(policy)
    else:
        raise ValueError(f"Invalid `policy` argument. Expected the string name of a policy "
                         f"(such as 'mixed_float16') or a `DTypePolicy` instance. Received: "
                         f"policy={policy!r} (of type {type(policy).__name__})")


def serialize(policy: DTypePolicy) -> dict:
    """``{"module": "keras", "class_name": "DTypePolicy", "config": {"name": ...},
    "registered_name": None}``, as Keras writes it."""
    if not isinstance(policy, DTypePolicy):
        raise TypeError(f"dtype_policies.serialize: expected a DTypePolicy; received "
                        f"{policy!r}")
    return {"module": "keras", "class_name": "DTypePolicy",
            "config": policy.get_config(), "registered_name": None}


def deserialize(config, custom_objects=None) -> DTypePolicy:
    """The DTypePolicy of a ``serialize`` dict (also ``{"class_name", "config"}``)."""
    if not isinstance(config, dict) or "config" not in config:
        raise ValueError(f"dtype_policies.deserialize: expected a dict with 'class_name' "
                         f"and 'config'; received {config!r}")
    name = config.get("class_name", "DTypePolicy")
    cls = (custom_objects or {}).get(name)
    if cls is None:
        if name not in ("DTypePolicy", "FloatDTypePolicy", "Policy"):
            raise ValueError(f"dtype_policies.deserialize: unknown policy class {name!r} "
                             f"(ember has DTypePolicy; quantized policies are not supported)")
        cls = DTypePolicy
    return cls.from_config(config["config"])


def get(identifier) -> DTypePolicy:
    """A DTypePolicy from None (the global policy), a name, an ember DType, a serialized
    dict or a DTypePolicy."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    name = getattr(identifier, "name", None)
    if isinstance(name, str):        # ember.DType / numpy dtype
        return DTypePolicy(name)
    try:
        return DTypePolicy(backend.standardize_dtype(identifier))
    except (TypeError, ValueError):
        raise ValueError(f"Cannot interpret `dtype` argument {identifier!r}: expected a "
                         f"dtype name, a policy name ('mixed_float16', 'mixed_bfloat16') or "
                         f"a DTypePolicy") from None


# -- autocasting ----------------------------------------------------------------------
_AUTOCAST = contextvars.ContextVar("ember_keras_autocast", default=None)


def autocast_dtype():
    """The dtype float variables are read in here (None: as stored)."""
    return _AUTOCAST.get()


@contextlib.contextmanager
def autocast_scope(dtype):
    """Within it, autocasting float variables read as ``dtype`` (None: as stored)."""
    token = _AUTOCAST.set(dtype)
    try:
        yield
    finally:
        _AUTOCAST.reset(token)
