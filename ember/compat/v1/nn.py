"""compat.v1.nn: ``ember.nn`` with TensorFlow 1's argument names and orders.

TF1 spelled many ``tf.nn`` functions differently from TF2: ``dropout`` takes
``keep_prob``, convolutions take ``filter`` and ``use_cudnn_on_gpu``, poolings take
``value``, ``in_top_k`` takes ``(predictions, targets, k)``, ``moments`` takes
``keep_dims``, and ``softmax_cross_entropy_with_logits`` does not back-propagate into the
labels (``..._v2`` does). Every other name is ``ember.nn``'s.

    import ember.compat.v1 as tf
    loss = tf.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits)
    h = tf.nn.dropout(h, keep_prob=0.5)
"""
from __future__ import annotations

import ember as _tf
from ember.nn import *  # noqa: F401,F403

_v2 = _tf.nn

_NOT_IMPLEMENTED = {
    "static_bidirectional_rnn": "use bidirectional_dynamic_rnn",
    "static_state_saving_rnn": "use ember.keras.layers.RNN",
    "raw_rnn": "use ember.keras.layers.RNN",
    "nce_loss": None, "sampled_softmax_loss": None,
    "uniform_candidate_sampler": None, "log_uniform_candidate_sampler": None,
    "fractional_max_pool": None, "fractional_avg_pool": None, "erosion2d": None,
    "dilation2d": None, "quantized_conv2d": None, "quantized_avg_pool": None,
    "quantized_max_pool": None, "quantized_relu_x": None,
    "embedding_lookup_sparse": None, "safe_embedding_lookup_sparse": None,
}


_RNN_NAMES = ("rnn_cell", "dynamic_rnn", "static_rnn", "bidirectional_dynamic_rnn")


def __getattr__(name):
    if name in _RNN_NAMES:
        from ember.compat.v1 import rnn
        return getattr(rnn, name)
    if hasattr(_v2, name):           # a TF2 name ember.nn gained after this module loaded
        return getattr(_v2, name)
    if name in _NOT_IMPLEMENTED:
        hint = _NOT_IMPLEMENTED[name]
        raise NotImplementedError(f"tf.compat.v1.nn.{name} is not implemented in ember"
                                  + (f"; {hint}" if hint else ""))
    raise AttributeError(f"module 'ember.compat.v1.nn' has no attribute {name!r}")


def __dir__():
    """This module's names, the RNN functions and ember.nn's (lazy ones too)."""
    return sorted(set(globals()) | set(_RNN_NAMES)
                  | {n for n in dir(_v2) if not n.startswith("_")})


def _one(first, first_name, second, second_name, fn_name):
    """TF1's two spellings of one argument (``value``/``input``, ``filter``/``filters``)."""
    if first is not None and second is not None:
        raise ValueError(f"tf.compat.v1.nn.{fn_name}: pass only one of `{first_name}` and "
                         f"`{second_name}`")
    if first is None and second is None:
        raise ValueError(f"tf.compat.v1.nn.{fn_name}: `{first_name}` is required")
    return first if first is not None else second


def _axis(axis, dim, fn_name, default=None):
    if axis is not None and dim is not None and axis != dim:
        raise ValueError(f"tf.compat.v1.nn.{fn_name}: `axis` and its old name `dim` differ "
                         f"({axis} vs {dim})")
    out = axis if axis is not None else dim
    return default if out is None else out


def _keepdims(keepdims, keep_dims):
    if keepdims is not None and keep_dims is not None and bool(keepdims) != bool(keep_dims):
        raise ValueError("tf.compat.v1.nn: `keepdims` and its old name `keep_dims` differ")
    out = keepdims if keepdims is not None else keep_dims
    return bool(out) if out is not None else False


# ------------------------------------------------------------------ cross-entropies ---

def softmax_cross_entropy_with_logits(labels=None, logits=None, dim=-1, name=None, axis=None):
    """TF1's softmax cross-entropy: like TF2's, but no gradient flows into ``labels``."""
    if labels is None or logits is None:
        raise ValueError("tf.compat.v1.nn.softmax_cross_entropy_with_logits: pass `labels` "
                         "and `logits` as keyword arguments")
    axis = _axis(axis, None if dim == -1 else dim, "softmax_cross_entropy_with_logits", -1)
    return _v2.softmax_cross_entropy_with_logits(labels=_tf.stop_gradient(labels),
                                                 logits=logits, axis=axis, name=name)


def softmax_cross_entropy_with_logits_v2(labels, logits, axis=None, name=None, dim=None):
    """Softmax cross-entropy that back-propagates into both ``labels`` and ``logits``."""
    axis = _axis(axis, dim, "softmax_cross_entropy_with_logits_v2", -1)
    return _v2.softmax_cross_entropy_with_logits(labels=labels, logits=logits, axis=axis,
                                                 name=name)


def weighted_cross_entropy_with_logits(labels=None, logits=None, pos_weight=None, name=None,
                                       targets=None):
    """TF1 spelling: ``targets`` is the old name of ``labels``."""
    labels = _one(labels, "labels", targets, "targets", "weighted_cross_entropy_with_logits")
    return _v2.weighted_cross_entropy_with_logits(labels, logits, pos_weight, name=name)


# ------------------------------------------------------------------------- dropout ---

def dropout(x, keep_prob=None, noise_shape=None, seed=None, name=None, rate=None):
    """TF1 dropout: keeps each value with probability ``keep_prob`` (``rate`` =
    ``1 - keep_prob``) and scales kept values by ``1 / keep_prob``."""
    if rate is None:
        if keep_prob is None:
            raise ValueError("tf.compat.v1.nn.dropout: pass `keep_prob` (or `rate`)")
        if not _tf.is_tensor(keep_prob) and not 0 < float(keep_prob) <= 1:
            raise ValueError(f"tf.compat.v1.nn.dropout: keep_prob must be in (0, 1]; "
                             f"received keep_prob={keep_prob}")
        rate = 1 - keep_prob
    elif keep_prob is not None:
        raise ValueError("tf.compat.v1.nn.dropout: pass only one of `keep_prob` and `rate`")
    return _v2.dropout(x, rate=rate, noise_shape=noise_shape, seed=seed, name=name)


# -------------------------------------------------------------------- convolutions ---

def conv1d(value=None, filters=None, stride=None, padding=None, use_cudnn_on_gpu=None,
           data_format=None, name=None, input=None, dilations=None):  # noqa: A002
    value = _one(value, "value", input, "input", "conv1d")
    return _v2.conv1d(value, filters, stride, padding, data_format=data_format or "NWC",
                      dilations=dilations, name=name)


def conv2d(input, filter=None, strides=None, padding=None, use_cudnn_on_gpu=True,  # noqa: A002
           data_format="NHWC", dilations=None, name=None, filters=None):
    filter = _one(filter, "filter", filters, "filters", "conv2d")  # noqa: A001
    return _v2.conv2d(input, filter, strides, padding, data_format=data_format,
                      dilations=dilations, name=name)


def conv3d(input, filter=None, strides=None, padding=None,  # noqa: A002
           data_format="NDHWC", dilations=None, name=None, filters=None):
    filter = _one(filter, "filter", filters, "filters", "conv3d")  # noqa: A001
    return _v2.conv3d(input, filter, strides, padding, data_format=data_format,
                      dilations=dilations, name=name)


def _conv_transpose(v2_fn, fn_name, value, filter, output_shape, strides,  # noqa: A002
                    padding, data_format, name, input, filters, dilations):  # noqa: A002
    value = _one(value, "value", input, "input", fn_name)
    filter = _one(filter, "filter", filters, "filters", fn_name)  # noqa: A001
    return v2_fn(value, filter, output_shape, strides, padding=padding,
                 data_format=data_format, dilations=dilations, name=name)


def conv2d_transpose(value=None, filter=None, output_shape=None, strides=None,  # noqa: A002
                     padding="SAME", data_format="NHWC", name=None, input=None, filters=None,
                     dilations=None):
    return _conv_transpose(_v2.conv2d_transpose, "conv2d_transpose", value, filter,
                           output_shape, strides, padding, data_format, name, input, filters,
                           dilations)


def conv3d_transpose(value, filter=None, output_shape=None, strides=None,  # noqa: A002
                     padding="SAME", data_format="NDHWC", name=None, input=None, filters=None,
                     dilations=None):
    return _conv_transpose(_v2.conv3d_transpose, "conv3d_transpose", value, filter,
                           output_shape, strides, padding, data_format, name, input, filters,
                           dilations)


def convolution(input, filter, padding, strides=None, dilation_rate=None,  # noqa: A002
                name=None, data_format=None, filters=None, dilations=None):
    if filter is None:
        filter = filters  # noqa: A001
    dilations = _axis(dilation_rate, dilations, "convolution")
    return _v2.convolution(input, filter, strides=strides, padding=padding,
                           data_format=data_format, dilations=dilations, name=name)


def _rate(rate, dilations, fn_name):
    if rate is not None and dilations is not None:
        raise ValueError(f"tf.compat.v1.nn.{fn_name}: pass only one of `rate` and "
                         f"`dilations`")
    return rate if rate is not None else dilations


def depthwise_conv2d(input, filter, strides, padding, rate=None, name=None,  # noqa: A002
                     data_format=None, dilations=None):
    return _v2.depthwise_conv2d(input, filter, strides, padding, data_format=data_format,
                                dilations=_rate(rate, dilations, "depthwise_conv2d"),
                                name=name)


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,  # noqa: A002
                     rate=None, name=None, data_format=None, dilations=None):
    return _v2.separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding,
                                data_format=data_format,
                                dilations=_rate(rate, dilations, "separable_conv2d"),
                                name=name)


# ------------------------------------------------------------------------- pooling ---

def max_pool(value, ksize, strides, padding, data_format="NHWC", name=None,
             input=None):  # noqa: A002
    value = _one(value, "value", input, "input", "max_pool")
    return _v2.max_pool(value, ksize, strides, padding, data_format=data_format, name=name)


def avg_pool(value, ksize, strides, padding, data_format="NHWC", name=None,
             input=None):  # noqa: A002
    value = _one(value, "value", input, "input", "avg_pool")
    return _v2.avg_pool(value, ksize, strides, padding, data_format=data_format, name=name)


max_pool2d = max_pool
avg_pool2d = avg_pool
max_pool_v2 = _v2.max_pool
avg_pool_v2 = _v2.avg_pool


def pool(input, window_shape, pooling_type, padding, dilation_rate=None,  # noqa: A002
         strides=None, name=None, data_format=None, dilations=None):
    dilations = _axis(dilation_rate, dilations, "pool")
    return _v2.pool(input, window_shape, pooling_type, strides=strides, padding=padding,
                    data_format=data_format, dilations=dilations, name=name)


# -------------------------------------------------------------- axis / keep_dims ---

def softmax(logits, axis=None, name=None, dim=None):
    return _v2.softmax(logits, axis=_axis(axis, dim, "softmax"), name=name)


def log_softmax(logits, axis=None, name=None, dim=None):
    return _v2.log_softmax(logits, axis=_axis(axis, dim, "log_softmax"), name=name)


def moments(x, axes, shift=None, name=None, keep_dims=None, keepdims=None):
    return _v2.moments(x, axes, shift=shift, keepdims=_keepdims(keepdims, keep_dims),
                       name=name)


def weighted_moments(x, axes, frequency_weights, name=None, keep_dims=None, keepdims=None):
    """Mean and variance of ``x`` over ``axes`` with each entry counted
    ``frequency_weights`` times (broadcast against ``x``)."""
    keep = _keepdims(keepdims, keep_dims)
    x = _tf.convert_to_tensor(x)
    w = _tf.cast(frequency_weights, x.dtype)
    total = _tf.reduce_sum(w * _tf.ones_like(x), axis=axes, keepdims=True)
    mean = _tf.math.divide_no_nan(_tf.reduce_sum(w * x, axis=axes, keepdims=True), total)
    var = _tf.math.divide_no_nan(
        _tf.reduce_sum(w * _tf.square(x - mean), axis=axes, keepdims=True), total)
    if not keep:
        mean = _tf.squeeze(mean, axis=axes)
        var = _tf.squeeze(var, axis=axes)
    return mean, var


def depth_to_space(input, block_size, name=None, data_format="NHWC"):  # noqa: A002
    return _v2.depth_to_space(input, block_size, data_format=data_format, name=name)


def space_to_depth(input, block_size, name=None, data_format="NHWC"):  # noqa: A002
    return _v2.space_to_depth(input, block_size, data_format=data_format, name=name)


def crelu(features, name=None, axis=-1):
    return _v2.crelu(features, axis=axis, name=name)


# ------------------------------------------------------------------------ the rest ---

def embedding_lookup(params, ids, partition_strategy="mod", name=None, validate_indices=True,
                     max_norm=None):
    """``params[ids]`` (a list of ``params`` shards is joined with ``partition_strategy``
    ``"mod"`` or ``"div"``, as TF1 does)."""
    if isinstance(params, (list, tuple)) and len(params) > 1:
        if partition_strategy not in ("mod", "div"):
            raise ValueError(f"tf.compat.v1.nn.embedding_lookup: partition_strategy must be "
                             f"'mod' or 'div'; received {partition_strategy!r}")
        shards = [_tf.convert_to_tensor(p) for p in params]
        if partition_strategy == "mod":
            # row r of the whole table is row r // n of shard r % n
            n = len(shards)
            rows = [s.shape[0] for s in shards]
            if any(r is None for r in rows):
                raise ValueError("tf.compat.v1.nn.embedding_lookup: 'mod' needs shards of "
                                 "known size")
            order = [i * n + k for k in range(n) for i in range(rows[k])]
            table = _tf.concat(shards, axis=0)
            inverse = [0] * len(order)
            for pos, row in enumerate(order):
                inverse[row] = pos
            table = _tf.gather(table, inverse)
        else:
            table = _tf.concat(shards, axis=0)
        params = table
    elif isinstance(params, (list, tuple)):
        params = params[0]
    return _v2.embedding_lookup(params, ids, max_norm=max_norm, name=name)


def in_top_k(predictions, targets, k, name=None):
    """TF1's argument order of ``ember.nn.in_top_k(targets, predictions, k)``."""
    return _v2.in_top_k(targets, predictions, k, name=name)


def xw_plus_b(x, weights, biases, name=None):
    """``matmul(x, weights) + biases``."""
    return _v2.bias_add(_tf.matmul(x, weights), biases, name=name)


def relu_layer(x, weights, biases, name=None):
    """``relu(matmul(x, weights) + biases)``."""
    return _v2.relu(xw_plus_b(x, weights, biases), name=name)


# ---------------------------------------------------------------------------- CTC ---

def ctc_loss(labels, inputs=None, sequence_length=None, preprocess_collapse_repeated=False,
             ctc_merge_repeated=True, ignore_longer_outputs_than_inputs=False,
             time_major=True, logits=None):
    """TF1's CTC loss: ``labels`` a SparseTensor, the blank the last class, ``inputs``
    (or ``logits``) [frames, batch, classes] when ``time_major``."""
    if preprocess_collapse_repeated or not ctc_merge_repeated:
        raise NotImplementedError(
            "tf.compat.v1.nn.ctc_loss: preprocess_collapse_repeated=True and "
            "ctc_merge_repeated=False are not supported by ember (the defaults are)")
    x = _one(inputs, "inputs", logits, "logits", "ctc_loss")
    if sequence_length is None:
        raise ValueError("tf.compat.v1.nn.ctc_loss: `sequence_length` is required")
    if not isinstance(labels, _tf.sparse.SparseTensor):
        raise TypeError("tf.compat.v1.nn.ctc_loss: `labels` must be a SparseTensor (use "
                        "tf.nn.ctc_loss for dense labels)")
    loss = _v2.ctc_loss(labels, x, None, sequence_length, logits_time_major=time_major,
                        blank_index=-1)
    if ignore_longer_outputs_than_inputs:
        from ember.ops.ctc_ops import sparse_labels_to_dense
        _, label_length = sparse_labels_to_dense(labels)
        too_long = _tf.greater(label_length, _tf.cast(sequence_length, label_length.dtype))
        loss = _tf.where(too_long, _tf.zeros_like(loss), loss)
    return loss


def ctc_loss_v2(labels, logits, label_length, logit_length, logits_time_major=True,
                unique=None, blank_index=None, name=None):
    """TF2's ctc_loss under its TF1 name (the blank defaults to class 0)."""
    return _v2.ctc_loss(labels, logits, label_length, logit_length,
                        logits_time_major=logits_time_major, unique=unique,
                        blank_index=blank_index, name=name)


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1,
                            merge_repeated=True):
    """TF1's beam-search decoder: repeated labels of a path are merged by default."""
    return _v2.ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width=beam_width,
                                          top_paths=top_paths, merge_repeated=merge_repeated)
