"""Attention (Luong dot-product or concat scores) and AdditiveAttention (Bahdanau)."""
from __future__ import annotations

import ember
from ember.keras.layers.attention.multi_head_attention import causal_mask
from ember.keras.layers.layer import Layer

__all__ = ["Attention", "AdditiveAttention"]


class _BaseDenseAttention(Layer):
    """``softmax(scores(query, key)) @ value`` over inputs ``[query, value]`` or
    ``[query, value, key]``; ``mask=[query_mask, value_mask]``; masked values get weight
    0, masked query steps output 0."""

    def __init__(self, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.dropout = float(dropout)
        self.seed = seed
        self.supports_masking = True

    def _validate(self, inputs, mask):
        if not isinstance(inputs, (list, tuple)) or len(inputs) not in (2, 3):
            raise ValueError(f"Layer {self.name}: expects inputs [query, value] or [query, "
                             f"value, key]; received {inputs!r}")
        if mask is not None:
            if not isinstance(mask, (list, tuple)) or len(mask) not in (2, 3):
                raise ValueError(f"Layer {self.name}: mask must be a list [query_mask, "
                                 f"value_mask]; received {mask!r}")
            for m, x, what in zip(mask, inputs, ("query", "value", "key")):
                if m is None:
                    continue
                ms, xs = m.shape.as_list(), x.shape.as_list()
                if len(ms) != len(xs) - 1 or any(a is not None and b is not None and a != b
                                                 for a, b in zip(ms, xs)):
                    raise ValueError(f"Layer {self.name}: the {what} mask has shape "
                                     f"{tuple(ms)}, expected {tuple(xs[:-1])}")

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        if isinstance(mask, (list, tuple)):
            mask = [None if m is None else ember.convert_to_tensor(m) for m in mask]
        self._validate(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        scores = self._scores(q, k)
        smask = None
        if v_mask is not None:
            smask = ember.expand_dims(ember.cast(v_mask, "bool"), -2)
        if use_causal_mask:
            c = causal_mask(ember.shape(scores)[-2], ember.shape(scores)[-1])
            smask = c if smask is None else ember.logical_and(smask, c)
        if smask is not None:
            big = 65504.0 if scores.dtype.name == "float16" else 1.0e9
            scores = scores - big * ember.cast(ember.logical_not(smask), scores.dtype)
        weights = ember.nn.softmax(scores, axis=-1)
        if training and self.dropout > 0:
            weights = ember.nn.dropout(weights, rate=self.dropout, seed=self.seed)
        out = ember.matmul(weights, v)
        if q_mask is not None:
            out = out * ember.cast(ember.expand_dims(q_mask, -1), out.dtype)
        if return_attention_scores:
            return out, weights
        return out

    def compute_mask(self, inputs, mask=None):
        if mask is None or mask[0] is None:
            return None
        return ember.convert_to_tensor(mask[0])

    def get_config(self):
        config = super().get_config()
        config.update({"dropout": self.dropout, "seed": self.seed})
        return config


class Attention(_BaseDenseAttention):
    """Dot-product attention (Luong): scores ``query @ key^T`` (times a learned ``scale``
    with ``use_scale``), or with ``score_mode="concat"``
    ``concat_score_weight * sum(tanh(scale * (query + key)))``.

    >>> out = keras.layers.Attention()([ember.ones([2, 3, 4]), ember.ones([2, 5, 4])])
    >>> out.shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(dropout=dropout, seed=seed, **kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError(f"Layer {self.name}: invalid score_mode {score_mode!r}; expected "
                             f"'dot' or 'concat'")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode

    def build(self, input_shape):
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones") \
            if self.use_scale else None
        self.concat_score_weight = self.add_weight(
            name="concat_score_weight", shape=(), initializer="ones") \
            if self.score_mode == "concat" else None
        self.built = True

    def _scores(self, query, key):
        if self.score_mode == "dot":
            scores = ember.matmul(query, key, transpose_b=True)
            return scores * self.scale if self.scale is not None else scores
        q = ember.expand_dims(query, -2)
        k = ember.expand_dims(key, -3)
        s = q + k
        if self.scale is not None:
            s = self.scale * s
        return self.concat_score_weight * ember.reduce_sum(ember.tanh(s), axis=-1)

    def get_config(self):
        config = super().get_config()
        config.update({"use_scale": self.use_scale, "score_mode": self.score_mode})
        return config


class AdditiveAttention(_BaseDenseAttention):
    """Additive attention (Bahdanau): scores ``sum(scale * tanh(query + key))`` with a
    learned per-feature ``scale`` (``use_scale=True``).

    >>> out = keras.layers.AdditiveAttention()([ember.ones([2, 3, 4]), ember.ones([2, 5, 4])])
    >>> out.shape
    TensorShape([2, 3, 4])
    """

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(dropout=dropout, **kwargs)
        self.use_scale = bool(use_scale)

    def build(self, input_shape):
        dim = input_shape[0][-1]
        self.scale = self.add_weight(name="scale", shape=(dim,),
                                     initializer="glorot_uniform") if self.use_scale else None
        self.built = True

    def _scores(self, query, key):
        s = ember.tanh(ember.expand_dims(query, -2) + ember.expand_dims(key, -3))
        if self.scale is not None:
            s = self.scale * s
        return ember.reduce_sum(s, axis=-1)

    def get_config(self):
        config = super().get_config()
        config["use_scale"] = self.use_scale
        return config
