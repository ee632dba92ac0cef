"""LoRA (low-rank adaptation, Hu et al. 2021) for Dense, EinsumDense and Embedding, as
Keras 3 does it: ``enable_lora(rank)`` (or the ``lora_rank`` constructor argument) freezes
the layer's weight ``W`` and adds two trainable float32 weights ``A`` (``W.shape[:-1] +
(rank,)``, He-uniform) and ``B`` (``(rank, W.shape[-1])``, zeros); the layer then uses
``W + (lora_alpha / rank) * A @ B``. Saved files hold the merged weight in ``W``'s place
and not ``A``/``B`` (loading one puts it in ``W`` and zeroes ``A`` and ``B``), so a
fine-tuned model loads into a model without LoRA.
"""
from __future__ import annotations

import ember
from ember.keras import initializers

__all__ = ["LoRAMixin", "lora_weight"]


def lora_weight(name):
    """The property ``name`` of a LoRA-capable layer: the variable ``_<name>``, merged with
    the low-rank update while LoRA is enabled."""
    private = "_" + name

    def get(self):
        try:
            base = object.__getattribute__(self, private)
        except AttributeError:
            raise AttributeError(f"Layer {self.name}: you must build the layer before "
                                 f"accessing `{name}`") from None
        return self._merged_lora(base) if self.lora_enabled else base

    def set(self, value):
        object.__setattr__(self, private, value)

    return property(get, set, doc=f"The layer's ``{name}`` (with LoRA: merged).")


class LoRAMixin:
    """Gives a layer ``enable_lora``; the layer names its adapted weight in
    ``_lora_target`` ("kernel" or "embeddings") and the two new weights' prefix in
    ``_lora_prefix``, keeps the weight in ``_<target>`` and exposes it with
    ``lora_weight``."""

    _lora_target = "kernel"
    _lora_prefix = "lora_kernel"
    # Keras 3.15's Dense and Embedding enable LoRA at build with the rank alone, so their
    # constructor's ``lora_alpha`` ends up equal to the rank; EinsumDense passes it on.
    _lora_alpha_at_build = False

    def _init_lora(self, lora_rank, lora_alpha):
        if lora_rank is not None and (isinstance(lora_rank, bool) or
                                      not isinstance(lora_rank, int) or lora_rank <= 0):
            raise ValueError(f"Layer {self.name}: `lora_rank` must be a positive integer, "
                             f"got {lora_rank!r}")
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def _lora_after_build(self):
        if self.lora_rank and not self.lora_enabled:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha
                             if self._lora_alpha_at_build else None)

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform",
                    b_initializer="zeros"):
        """Freezes the layer's weight and adds the trainable low-rank pair (see the module
        docstring). The layer must be built, LoRA not yet enabled, and the weight without
        a constraint."""
        target = self._lora_target
        if getattr(self, f"{target}_constraint", None) is not None:
            raise ValueError(f"Layer {self.name}: LoRA is incompatible with a {target} "
                             f"constraint; remove the `{target}_constraint` argument")
        if not self.built:
            raise ValueError(f"Layer {self.name}: cannot enable LoRA on a layer that isn't "
                             f"built yet")
        if self.lora_enabled:
            raise ValueError(f"Layer {self.name}: LoRA is already enabled; it can be "
                             f"enabled once per layer")
        if isinstance(rank, bool) or not isinstance(rank, int) or rank <= 0:
            raise ValueError(f"Layer {self.name}: the LoRA rank must be a positive integer, "
                             f"got {rank!r}")
        base = object.__getattribute__(self, "_" + target)
        shape = tuple(base.shape.as_list())
        regularizer = getattr(self, f"{target}_regularizer", None)
        a = self.add_weight(name=f"{self._lora_prefix}_a", shape=shape[:-1] + (rank,),
                            initializer=initializers.get(a_initializer), dtype="float32",
                            regularizer=regularizer)
        b = self.add_weight(name=f"{self._lora_prefix}_b", shape=(rank, shape[-1]),
                            initializer=initializers.get(b_initializer), dtype="float32",
                            regularizer=regularizer)
        object.__setattr__(self, f"{self._lora_prefix}_a", a)
        object.__setattr__(self, f"{self._lora_prefix}_b", b)
        base.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def _lora_pair(self):
        return (getattr(self, f"{self._lora_prefix}_a"),
                getattr(self, f"{self._lora_prefix}_b"))

    def _merged_lora(self, base):
        a, b = self._lora_pair()
        a_rank = len(a.shape)
        delta = ember.tensordot(a, b, [[a_rank - 1], [0]])
        base = ember.convert_to_tensor(base)      # read as the layer reads (autocast)
        merged = base + ember.cast(delta * (self.lora_alpha / self.lora_rank), base.dtype)
        compute = ember.as_dtype(self.compute_dtype)     # as Keras: in the compute dtype
        if compute.is_floating and merged.dtype is not compute:
            merged = ember.cast(merged, compute)
        return merged

    def _lora_config(self, config):
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config

    # -- weight files: the merged weight in the base weight's place, no A/B -------------
    def _saved_variables(self):
        variables = super()._saved_variables()
        if not self.lora_enabled:
            return variables
        pair = self._lora_pair()
        return [v for v in variables if not any(v is p for p in pair)]

    def _saved_values(self):
        base = object.__getattribute__(self, "_" + self._lora_target)
        merged = getattr(self, self._lora_target)
        return [(merged if v is base else v).numpy() for v in self._saved_variables()]

    def _after_loading(self):
        if self.lora_enabled:
            for v in self._lora_pair():
                v.assign(ember.zeros(v.shape, v.dtype))
