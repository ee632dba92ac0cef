"""``tf.config.optimizer``: graph optimizer options (kept; ember's compiler always runs its
passes) and the XLA JIT switch (accepted; ember has no XLA)."""
from __future__ import annotations

_options = {"disable_model_pruning": False, "disable_meta_optimizer": False}
_jit = {"value": ""}

__all__ = ["get_experimental_options", "set_experimental_options", "get_jit", "set_jit"]


def get_experimental_options() -> dict:
    return dict(_options)


def set_experimental_options(options: dict) -> None:
    """Records grappler-style options ({'constant_folding': False, ...})."""
    _options.update(dict(options))


def get_jit() -> str:
    return _jit["value"]


def set_jit(enabled) -> None:
    """Accepted for compatibility (True/False/'autoclustering'); ember compiles graphs its
    own way."""
    if enabled is True:
        enabled = "autoclustering"
    _jit["value"] = "" if not enabled else str(enabled)
