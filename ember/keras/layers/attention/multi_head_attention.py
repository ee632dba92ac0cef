"""MultiHeadAttention (Vaswani et al. 2017) and GroupQueryAttention, laid out as Keras's."""
from __future__ import annotations

import math
import string

import ember
from ember.keras import constraints, initializers, regularizers
from ember.keras.layers.attention.einsum_dense import EinsumDense
from ember.keras.layers.layer import Layer

__all__ = ["MultiHeadAttention", "GroupQueryAttention", "masked_softmax", "causal_mask",
           "sliding_window_mask"]

_LETTERS = string.ascii_lowercase


def _large_negative(dtype):
    return -3e4 if dtype.name == "float16" else -1e9


def masked_softmax(scores, mask, axes):
    """Softmax over ``axes`` where ``mask`` (broadcastable, True = attend) is True;
    masked positions get weight 0 (Keras's Softmax with a mask)."""
    if mask is not None:
        m = ember.cast(mask, scores.dtype)
        scores = scores + (1.0 - m) * _large_negative(scores.dtype)
    if len(axes) > 1:
        out = ember.exp(scores - ember.reduce_logsumexp(scores, axis=list(axes),
                                                        keepdims=True))
    else:
        out = ember.nn.softmax(scores, axis=axes[0])
    if mask is not None:
        out = out * ember.cast(mask, out.dtype)
    return out


def causal_mask(q_len, v_len):
    """(1, q_len, v_len) boolean lower-triangular mask: query i sees keys j <= i."""
    ones = ember.ones(ember.stack([1, q_len, v_len]), dtype="int32")
    return ember.greater_equal(ember.math.cumsum(ones, axis=-2), ember.math.cumsum(ones, axis=-1))


def sliding_window_mask(q_len, v_len, window):
    """(1, q_len, v_len) boolean band: query i sees keys j with |i - j| < window."""
    rows = ember.reshape(ember.range(q_len), [1, -1, 1])
    cols = ember.reshape(ember.range(v_len), [1, 1, -1])
    return ember.less(ember.abs(rows - cols), window)


def _seq_len(x):
    n = x.shape[1]
    return n if n is not None else ember.shape(x)[1]


def _projection_equation(free_dims, bound_dims, output_dims):
    """Keras's equation for a dense projection over the last ``bound_dims`` axes."""
    inp = kernel = out = bias = ""
    for i in range(free_dims):
        inp += _LETTERS[i]
        out += _LETTERS[i]
    off = free_dims
    for i in range(bound_dims):
        inp += _LETTERS[off + i]
        kernel += _LETTERS[off + i]
    off += bound_dims
    for i in range(output_dims):
        kernel += _LETTERS[off + i]
        out += _LETTERS[off + i]
        bias += _LETTERS[off + i]
    return f"{inp},{kernel}->{out}", bias, len(out)


def _attention_equations(rank, attn_axes):
    """(scores equation, combine equation, scores rank) for attention over ``attn_axes``
    of projected tensors of ``rank`` (Keras's notation)."""
    target = _LETTERS[:rank]
    batch_dims = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    off = rank
    source = ""
    for i in range(rank):
        if i in batch_dims or i == rank - 1:
            source += target[i]
        else:
            source += _LETTERS[off]
            off += 1
    product = "".join([target[i] for i in batch_dims] + [target[i] for i in attn_axes] +
                      [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


class _AttentionBase(Layer):
    """Arguments, masks and config shared by MultiHeadAttention and GroupQueryAttention."""

    def __init__(self, dropout=0.0, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        kwargs.pop("flash_attention", None)
        use_gate = kwargs.pop("use_gate", False)
        sliding_window = kwargs.pop("sliding_window", None)
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if sliding_window is not None and (isinstance(sliding_window, bool) or not isinstance(
                sliding_window, int) or sliding_window <= 0):
            raise ValueError(f"Layer {self.name}: `sliding_window` must be None or a positive "
                             f"integer, got {sliding_window!r}")
        self.use_gate = bool(use_gate)
        self.sliding_window = sliding_window
        self.supports_masking = True
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        self._projections_built = False

    def _dense(self, equation, output_shape, bias_axes, name, activation=None):
        return EinsumDense(equation, output_shape=output_shape,
                           bias_axes=bias_axes if self.use_bias else None, name=name,
                           activation=activation,
                           kernel_initializer=self.kernel_initializer,
                           bias_initializer=self.bias_initializer,
                           kernel_regularizer=self.kernel_regularizer,
                           bias_regularizer=self.bias_regularizer,
                           kernel_constraint=self.kernel_constraint,
                           bias_constraint=self.bias_constraint, dtype=self._dtype)

    def build(self, query_shape, value_shape=None, key_shape=None):
        if value_shape is None:      # first call: built in call() once value is known
            return
        self._shapes_seen = (tuple(query_shape), tuple(value_shape),
                             tuple(key_shape) if key_shape is not None else None)
        self._build_projections(*self._shapes_seen)
        self._track_projections()
        self._projections_built = True

    def get_build_config(self):
        """Keras's build config of attention layers: the three input shapes."""
        shapes = getattr(self, "_input_shapes", None)
        if shapes is None:
            return None
        q, v, k = (None if x is None else [None if d is None else int(d) for d in x]
                   for x in shapes)
        out = {"query_shape": q, "value_shape": v}
        if k is not None and k != v:
            out["key_shape"] = k
        return {"shapes_dict": out}

    def build_from_config(self, config):
        shapes = (config or {}).get("shapes_dict") or {}
        if self._projections_built or shapes.get("query_shape") is None:
            return
        key = shapes.get("key_shape")
        with ember.init_scope():
            self.build(tuple(shapes["query_shape"]), tuple(shapes["value_shape"]),
                       tuple(key) if key is not None else None)
        self.built = True

    def _track_projections(self):
        gate = (self._gate_dense,) if self.use_gate else ()
        for layer in (self._query_dense, self._key_dense) + gate + (self._value_dense,
                                                                    self._output_dense):
            self._track(layer)
        self._input_shapes = self._shapes_seen

    def _ensure_built(self, query, value, key):
        if not self._projections_built:
            self._shapes_seen = (tuple(query.shape.as_list()), tuple(value.shape.as_list()),
                                 tuple(key.shape.as_list()))
            with ember.init_scope():
                self._build_projections(*self._shapes_seen)
            self._track_projections()
            self._projections_built = True

    def _attention_mask(self, query, value, query_mask, value_mask, key_mask,
                        attention_mask, use_causal_mask):
        auto = None
        if query_mask is not None:
            auto = ember.expand_dims(ember.cast(ember.convert_to_tensor(query_mask), "bool"),
                                     -1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = ember.expand_dims(ember.cast(ember.convert_to_tensor(m), "bool"), -2)
                auto = m if auto is None else ember.logical_and(auto, m)
        if use_causal_mask:
            m = causal_mask(_seq_len(query), _seq_len(value))
            auto = m if auto is None else ember.logical_and(auto, m)
        if self.sliding_window is not None:
            m = sliding_window_mask(_seq_len(query), _seq_len(value), self.sliding_window)
            auto = m if auto is None else ember.logical_and(auto, m)
        if attention_mask is not None:
            attention_mask = ember.cast(ember.convert_to_tensor(attention_mask), "bool")
        if auto is not None:
            attention_mask = auto if attention_mask is None else \
                ember.logical_and(attention_mask, auto)
        return attention_mask

    def _check_mask_shape(self, mask, scores_shape):
        if mask is None:
            return
        ms, ss = mask.shape.as_list(), scores_shape
        tail = ss[len(ss) - len(ms):] if len(ms) <= len(ss) else None
        if tail is None or any(a is not None and b is not None and a != b and a != 1
                               for a, b in zip(ms[1:], tail[1:])):
            raise ValueError(f"Layer {self.name}: attention mask of shape {tuple(ms)} does "
                             f"not match the attention scores (batch, ..., query, key) = "
                             f"{tuple(ss)}")

    def _dropout_scores(self, scores, training):
        if training and self.dropout > 0:
            return ember.nn.dropout(scores, rate=self.dropout, seed=self.seed)
        return scores

    def compute_mask(self, inputs, mask=None):
        if isinstance(mask, (list, tuple)):
            return mask[0] if mask else None
        return mask

    def _gated(self, out, gate):
        return out if gate is None else out * gate

    def _base_config(self):
        config = super().get_config()
        config.update({
            "dropout": self.dropout,
            "use_bias": self.use_bias,
            "use_gate": self.use_gate,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        })
        return config


class MultiHeadAttention(_AttentionBase):
    """Multi-head attention as Keras lays it out: ``query``, ``key``, ``value`` and
    ``attention_output`` EinsumDense projections (query kernel (dim, num_heads, key_dim),
    output kernel (num_heads, value_dim, output dim)). Call with ``(query, value, key=None,
    attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)``; query/value/key masks come from the inputs' Keras masks or
    the ``query_mask``/``value_mask``/``key_mask`` arguments.

    >>> mha = keras.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    >>> mha(ember.ones([2, 3, 8]), ember.ones([2, 5, 8])).shape
    TensorShape([2, 3, 8])
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 seed=None, **kwargs):
        super().__init__(dropout, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, seed, **kwargs)
        for what, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(v, int) or v <= 0:
                raise ValueError(f"Layer {self.name}: `{what}` must be a positive integer, "
                                 f"got {v!r}")
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim if value_dim else key_dim
        self.output_shape_arg = output_shape
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None:
            attention_axes = tuple(attention_axes)
        self.attention_axes = attention_axes

    def _build_projections(self, query_shape, value_shape, key_shape):
        key_shape = key_shape if key_shape is not None else value_shape
        q_rank = len(query_shape)
        if query_shape[-1] is None or value_shape[-1] is None:
            raise ValueError(f"Layer {self.name}: the last dimension of query and value must "
                             f"be known, got {query_shape} and {value_shape}")

        def proj(shape, heads_dim, name, activation=None):
            eq, bias, out_rank = _projection_equation(len(shape) - 1, 1, 2)
            out = [None] * (out_rank - 3) + [self.num_heads, heads_dim]
            layer = self._dense(eq, out, bias, name, activation)
            layer.build(shape)
            layer.built = True
            return layer
        self._query_dense = proj(query_shape, self.key_dim, "query")
        self._key_dense = proj(key_shape, self.key_dim, "key")
        if self.use_gate:
            self._gate_dense = proj(query_shape, self.value_dim, "gate", "sigmoid")
        self._value_dense = proj(value_shape, self.value_dim, "value")
        rank = q_rank + 1
        axes = self.attention_axes if self.attention_axes is not None else \
            tuple(range(1, rank - 2))
        self._attn_axes = tuple(a % rank if a < 0 else a for a in axes)
        self._dot_eq, self._combine_eq, scores_rank = _attention_equations(rank,
                                                                          self._attn_axes)
        self._norm_axes = tuple(range(scores_rank - len(self._attn_axes), scores_rank))
        out_shape = self.output_shape_arg if self.output_shape_arg is not None else \
            query_shape[-1]
        out_shape = [out_shape] if isinstance(out_shape, int) else list(out_shape)
        eq, bias, out_rank = _projection_equation(q_rank - 1, 2, len(out_shape))
        self._output_dense = self._dense(eq, [None] * (out_rank - 1 - len(out_shape)) +
                                         out_shape, bias, "attention_output")
        self._output_dense.build(tuple(query_shape[:-1]) + (self.num_heads, self.value_dim))
        self._output_dense.built = True

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        value = self._convert_inputs(value)
        key = value if key is None else self._convert_inputs(key)
        if query_mask is None:
            query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        if key_mask is None and key is not value:
            key_mask = getattr(key, "_keras_mask", None)
        self._ensure_built(query, value, key)
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        q = q * ember.cast(1.0 / math.sqrt(float(self.key_dim)), q.dtype)
        scores = ember.einsum(self._dot_eq, k, q)
        if mask is not None:
            self._check_mask_shape(mask, scores.shape.as_list())
            for _ in range(scores.shape.rank - mask.shape.rank):
                mask = ember.expand_dims(mask, -len(self._attn_axes) * 2 - 1)
        scores = masked_softmax(scores, mask, self._norm_axes)
        out = ember.einsum(self._combine_eq, self._dropout_scores(scores, training), v)
        out = self._output_dense(self._gated(out, gate))
        if return_attention_scores:
            return out, scores
        return out

    def get_config(self):
        config = self._base_config()
        config.update({"num_heads": self.num_heads, "key_dim": self.key_dim,
                       "value_dim": self.value_dim, "output_shape": self.output_shape_arg,
                       "attention_axes": self.attention_axes})
        return config


class GroupQueryAttention(_AttentionBase):
    """Grouped-query attention (Ainslie et al. 2023): ``num_query_heads`` query heads share
    ``num_key_value_heads`` key/value heads. Weights as Keras: ``query`` (dim,
    num_query_heads, head_dim), ``key``/``value`` (dim, num_key_value_heads, head_dim),
    ``attention_output`` (num_query_heads, head_dim, dim).

    >>> gqa = keras.layers.GroupQueryAttention(head_dim=4, num_query_heads=4,
    ...                                        num_key_value_heads=2)
    >>> gqa(ember.ones([2, 3, 8]), ember.ones([2, 5, 8])).shape
    TensorShape([2, 3, 8])
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, **kwargs):
        super().__init__(dropout, use_bias, kernel_initializer, bias_initializer,
                         kernel_regularizer, bias_regularizer, activity_regularizer,
                         kernel_constraint, bias_constraint, seed, **kwargs)
        if num_query_heads % num_key_value_heads != 0:
            raise ValueError(f"Layer {self.name}: num_query_heads ({num_query_heads}) must "
                             f"be a multiple of num_key_value_heads ({num_key_value_heads})")
        self.head_dim = head_dim
        self.num_query_heads = num_query_heads
        self.num_key_value_heads = num_key_value_heads
        self.num_repeats = num_query_heads // num_key_value_heads

    def _build_projections(self, query_shape, value_shape, key_shape):
        key_shape = key_shape if key_shape is not None else value_shape
        dim = query_shape[-1]
        self._query_dense = self._dense("bqm,muh->bquh", (None, self.num_query_heads,
                                                          self.head_dim), "uh", "query")
        self._key_dense = self._dense("bkm,mvh->bkvh", (None, self.num_key_value_heads,
                                                        self.head_dim), "vh", "key")
        if self.use_gate:
            self._gate_dense = self._dense("bqm,muh->bquh", (None, self.num_query_heads,
                                                             self.head_dim), "uh", "gate",
                                           "sigmoid")
            self._gate_dense.build(query_shape)
            self._gate_dense.built = True
        self._value_dense = self._dense("bkm,mvh->bkvh", (None, self.num_key_value_heads,
                                                          self.head_dim), "vh", "value")
        self._output_dense = self._dense("bquh,uhm->bqm", (None, dim), "m",
                                         "attention_output")
        for layer, shape in ((self._query_dense, query_shape), (self._key_dense, key_shape),
                             (self._value_dense, value_shape),
                             (self._output_dense, tuple(query_shape[:-1]) +
                              (self.num_query_heads, self.head_dim))):
            layer.build(shape)
            layer.built = True

    def call(self, query, value, key=None, query_mask=None, value_mask=None, key_mask=None,
             attention_mask=None, return_attention_scores=False, training=None,
             use_causal_mask=False):
        value = self._convert_inputs(value)
        key = value if key is None else self._convert_inputs(key)
        if query_mask is None:
            query_mask = getattr(query, "_keras_mask", None)
        if value_mask is None:
            value_mask = getattr(value, "_keras_mask", None)
        self._ensure_built(query, value, key)
        mask = self._attention_mask(query, value, query_mask, value_mask, key_mask,
                                    attention_mask, use_causal_mask)
        gate = self._gate_dense(query) if self.use_gate else None
        q = self._query_dense(query)
        k = ember.repeat(self._key_dense(key), self.num_repeats, axis=2)
        v = ember.repeat(self._value_dense(value), self.num_repeats, axis=2)
        q = q * ember.cast(1.0 / math.sqrt(float(self.head_dim)), q.dtype)
        scores = ember.einsum("bquh,bkuh->buqk", q, k)
        if mask is not None:
            self._check_mask_shape(mask, [scores.shape[0]] + scores.shape.as_list()[2:])
            mask = ember.expand_dims(mask, 1)
        scores = masked_softmax(scores, mask, (-1,))
        out = ember.einsum("buqk,bkuh->bquh", self._dropout_scores(scores, training), v)
        out = self._output_dense(self._gated(out, gate))
        if return_attention_scores:
            return out, scores
        return out

    def get_config(self):
        config = self._base_config()
        config.update({"head_dim": self.head_dim, "num_query_heads": self.num_query_heads,
                       "num_key_value_heads": self.num_key_value_heads})
        return config
