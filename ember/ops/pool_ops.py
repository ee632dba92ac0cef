"""Pooling: max and average pooling in 1, 2 and 3 dimensions.

Kernels loop over window taps only (kh * kw iterations of whole-array strided slices).
MaxPool's gradient routes each output gradient to the first maximum of its window, as
TensorFlow does; MaxPoolGrad and MaxPoolGradGrad are each other's gradients, and AvgPool
and AvgPoolGrad are each other's adjoints, so second order works.
"""
from __future__ import annotations

import numpy as np

from ember.framework import dtypes
from ember.runtime import pool_kernels
from ember.framework.errors import InvalidArgumentError
from ember.runtime.fastpath import run_steps
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops
from ember.ops._base import FLOATS, REAL, check_dtype, shape_value, tensor
from ember.ops.conv_ops import (
    _ArraySpec, _check_rank, _dims, _full, _shape_text, _spatial, format_arg, padding_arg,
    spatial_arg,
)
from ember.runtime.windows import (
    channels_first, crop_spatial, from_last, pad_spatial, tap_slices, taps, to_last,
    window_geometry,
)

__all__ = [
    "avg_pool",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "max_pool",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
    "pool",
]


def _geometry(op_name, shape, attrs, r):
    cf = channels_first(attrs["data_format"])
    n, sizes, c = _spatial(shape, r, cf)
    try:
        outs, pads = window_geometry(op_name, sizes, attrs["ksize"], attrs["strides"],
                                     attrs["dilations"], attrs["padding"])
    except InvalidArgumentError as e:
        raise InvalidArgumentError(f"{str(e)[:-len(f' [Op:{op_name}]')]} (input shape "
                                   f"{_shape_text(shape)}, window {list(attrs['ksize'])}) "
                                   f"[Op:{op_name}]") from None
    return _full(n, outs, c, cf), outs, pads


class _PoolBase(Op):
    uses_threads = True      # kernels run on ember's threads (see compiler.Plan)

    def __init__(self, name, rank):
        super().__init__(name)
        self.rank = rank


class _MaxPool(_PoolBase):
    def infer(self, inputs, **attrs):
        x = inputs[0]
        check_dtype(self.name, x.dtype, REAL)
        _check_rank(self.name, x, self.rank + 2, "input")
        shape, _, _ = _geometry(self.name, _dims(x, self.rank + 2), attrs, self.rank)
        return TensorShape(shape), x.dtype

    def kernel(self, xp, x, **attrs):
        self.infer([_ArraySpec(x)], **attrs)
        return self._pool(x, attrs)

    def _pool(self, x, attrs, after=None):
        """y; with ``after``, ``after(s, e, yb)`` runs on each block's y just made
        (channels-last)."""
        cf = channels_first(attrs["data_format"])
        xl = to_last(x, cf)
        shape, outs, pads = _geometry(self.name, list(xl.shape), _last(attrs), self.rank)
        return from_last(pool_kernels.max_pool(xl, shape, outs, pads, attrs, after), cf)

    def grad(self, call, g):
        ops = _POOL_OPS[self.rank]
        return execute(ops["max_grad"], (call.inputs[0], call.outputs[0], g), call.attrs)


class _MaxPoolEx(_MaxPool):
    """MaxPool and an elementwise tree reading its y (dropout after a pooling), as one
    kernel made by the compiler (ember.engine.fusion). Inputs (x, *operands): the
    tree's operands but y, which goes in at position ``y_at``; attrs ``steps`` and
    ``dtype`` (the tree's result's); outputs (y, the tree's result). Each block of items
    runs the tree on its y while that is in cache. Channels-last; operands of y's shape
    are sliced by items, the others are single values."""

    num_outputs = 2
    fresh_output = True
    plan_only = True

    def output_count(self, attrs):
        return 2 if attrs.get("mask_at") is None else 3

    def infer(self, inputs, steps, dtype, y_at, mask_at=None, rng=None, keep_test=None,
              **attrs):
        shape, dt = super().infer(inputs[:1], **attrs)
        out = [(shape, dt), (shape, dtypes.as_dtype(dtype))]
        return out if mask_at is None else out + [(shape, dtypes.bool)]

    def kernel(self, xp, x, *operands, steps, dtype, y_at, mask_at=None, rng=None,
               keep_test=None, **attrs):
        """With ``mask_at``: the tree's operand there is a dropout's keep mask, a
        comparison of uniforms with the last input (``keep_test``: the NumPy comparison's
        name and whether the uniforms are its first operand), drawn block by block for
        the seeded RandomUniform node ``rng`` (dtype name, seed, seed2, key) as one draw
        would (random_ops.UniformBlocks); the mask is a third output."""
        shape = tuple(_geometry(self.name, list(x.shape), _last(attrs), self.rank)[0])
        out = np.empty(shape, dtype)
        if mask_at is not None:
            from ember.ops.random_ops import UniformBlocks
            operands, rate = operands[:-1], operands[-1]
            name, seed, seed2, key = rng
            draws = UniformBlocks(dict(dtype=dtypes.as_dtype(name), seed=seed, seed2=seed2,
                                       key=key), shape)
            keep = np.empty(shape, np.bool_)
            test, uniforms_first = keep_test

            def keep_block(s, e):
                u = draws.block(s, e)
                return getattr(np, test)(*((u, rate) if uniforms_first else (rate, u)),
                                         out=keep[s:e])

        def after(s, e, yb):
            args = [a[s:e] if type(a) is np.ndarray and a.shape == shape else a
                    for a in operands]
            extra = [(y_at, yb)]
            if mask_at is not None:
                extra.append((mask_at, keep_block(s, e)))
            for at, value in sorted(extra, key=lambda item: item[0]):
                args.insert(at, value)
            run_steps(args, steps, out[s:e])

        y = self._pool(x, attrs, after)
        if mask_at is None:
            return y, out
        draws.finish()
        return y, out, keep


def _last(attrs):
    return dict(attrs, data_format=None)


class _MaxPoolGrad(_PoolBase):
    """(x, y, dy) -> dx: dy routed to the first maximum of each window."""

    fresh_output = True      # dx is always a new array (the compiler may write over it)

    def infer(self, inputs, **attrs):
        x, y, g = inputs
        check_dtype(self.name, x.dtype, REAL)
        _check_rank(self.name, x, self.rank + 2, "orig_input")
        return x.shape, x.dtype

    def kernel(self, xp, x, y, g, **attrs):
        gl = to_last(g, channels_first(attrs["data_format"]))
        return self._route(x, y, lambda s, e: gl[s:e], g.dtype, attrs)

    def _route(self, x, y, dy, dtype, attrs):
        """dx of dtype: ``dy(s, e)`` (the pooled gradient of batch items s:e, channels-last)
        routed to the first maximum of each window (``pool_kernels.route_max_grad``)."""
        cf = channels_first(attrs["data_format"])
        xl, yl = to_last(x, cf), to_last(y, cf)
        _, outs, pads = _geometry(self.name, list(xl.shape), _last(attrs), self.rank)
        return from_last(pool_kernels.route_max_grad(xl, yl, dy, dtype, attrs, outs, pads),
                         cf)

    def grad(self, call, gg):
        x, y, g = call.inputs
        return None, None, execute(_POOL_OPS[self.rank]["max_grad_grad"], (x, y, gg),
                                   call.attrs)



class _MaxPoolGradEx(_MaxPoolGrad):
    """MaxPoolGrad whose dy is an elementwise tree of its other inputs (a FusedElementwise
    the compiler folded in, ember.engine.fusion): inputs (x, y, *operands), attrs
    ``steps`` and ``dtype`` (dy's). Each block of items computes its slice of dy just
    before routing it, so dy is never written out whole and its work runs on the pooling's
    threads. Channels-last; operands of y's shape are sliced by items, the others are
    single values."""

    plan_only = True

    def infer(self, inputs, steps, dtype, **attrs):
        return inputs[0].shape, inputs[0].dtype

    def kernel(self, xp, x, y, *operands, steps, dtype, **attrs):
        def dy(s, e):
            return run_steps([a[s:e] if type(a) is np.ndarray and a.shape == y.shape else a
                              for a in operands], steps, None)

        return self._route(x, y, dy, np.dtype(dtype), attrs)


class _MaxPoolGradGrad(_PoolBase):
    """(x, y, ddx) -> ddy: ddx read at the first maximum of each window."""

    def infer(self, inputs, **attrs):
        x, y, gg = inputs
        check_dtype(self.name, x.dtype, REAL)
        return y.shape, x.dtype

    def kernel(self, xp, x, y, gg, **attrs):
        cf = channels_first(attrs["data_format"])
        xl, yl, ggl = to_last(x, cf), to_last(y, cf), to_last(gg, cf)
        _, outs, pads = _geometry(self.name, list(xl.shape), _last(attrs), self.rank)
        xpad = pad_spatial(xl, pads, pool_kernels.lowest(x.dtype))
        ggpad = pad_spatial(ggl, pads)
        out = np.zeros(yl.shape, dtype=gg.dtype)
        for sl, hit in pool_kernels.first_max_masks(xpad, yl, attrs, outs):
            routed = hit.astype(gg.dtype)
            routed *= ggpad[sl]
            out += routed
        return from_last(out, cf)

    def grad(self, call, g):
        x, y, gg = call.inputs
        return None, None, execute(_POOL_OPS[self.rank]["max_grad"], (x, y, g), call.attrs)


def _inverse_counts(sizes, attrs, outs, pads, dtype):
    """1 / (number of non-padding elements) of each window, shaped (1, *outs, 1)."""
    r = len(sizes)
    inv = np.ones((), dtype=np.float64)
    for i in range(r):
        o = np.arange(outs[i]) * attrs["strides"][i] - pads[i][0]
        t = np.arange(attrs["ksize"][i]) * attrs["dilations"][i]
        pos = o[:, None] + t[None, :]
        count = ((pos >= 0) & (pos < sizes[i])).sum(axis=1)
        shape = [1] * r
        shape[i] = outs[i]
        inv = inv * (1.0 / np.maximum(count, 1)).reshape(shape)
    return inv.reshape((1,) + tuple(outs) + (1,)).astype(dtype)


class _AvgPool(_PoolBase):
    def infer(self, inputs, **attrs):
        x = inputs[0]
        check_dtype(self.name, x.dtype, FLOATS)
        _check_rank(self.name, x, self.rank + 2, "input")
        shape, _, _ = _geometry(self.name, _dims(x, self.rank + 2), attrs, self.rank)
        return TensorShape(shape), x.dtype

    def kernel(self, xp, x, **attrs):
        self.infer([_ArraySpec(x)], **attrs)
        cf = channels_first(attrs["data_format"])
        xl = pool_kernels.work_dtype(to_last(x, cf))
        _, outs, pads = _geometry(self.name, list(xl.shape), _last(attrs), self.rank)
        xpad = pad_spatial(xl, pads)
        y = None
        for tap in taps(attrs["ksize"]):
            v = xpad[(slice(None),) + tap_slices(tap, attrs["strides"], attrs["dilations"],
                                                 outs)]
            y = v.copy() if y is None else np.add(y, v, out=y)
        y *= _inverse_counts(xl.shape[1:-1], attrs, outs, pads, y.dtype)
        return from_last(y, cf).astype(x.dtype, copy=False)

    def grad(self, call, g):
        x = call.inputs[0]
        return execute(_POOL_OPS[self.rank]["avg_grad"], (array_ops.shape(x), g), call.attrs)


class _AvgPoolGrad(_PoolBase):
    """(input sizes, dy) -> dx: each dy spread evenly over its window."""

    def infer(self, inputs, **attrs):
        sizes, g = inputs
        check_dtype(self.name, g.dtype, FLOATS)
        shape = shape_value(sizes)
        if shape is None:
            return TensorShape([None] * (self.rank + 2)), g.dtype
        expect, _, _ = _geometry(self.name, shape, attrs, self.rank)
        got = _dims(g, self.rank + 2)
        if any(e is not None and a is not None and e != a for e, a in zip(expect, got)):
            raise InvalidArgumentError(
                f"{self.name}: gradient shape {_shape_text(got)} does not match the pooling "
                f"output {_shape_text(expect)} for input shape {_shape_text(shape)} "
                f"[Op:{self.name}]")
        return TensorShape(shape), g.dtype

    def kernel(self, xp, sizes, g, **attrs):
        self.infer([_ArraySpec(sizes, value=True), _ArraySpec(g)], **attrs)
        cf = channels_first(attrs["data_format"])
        shape = [int(v) for v in sizes]
        n, sp, c = _spatial(shape, self.rank, cf)
        gl = pool_kernels.work_dtype(to_last(g, cf))
        _, outs, pads = _geometry(self.name, [n] + sp + [c], _last(attrs), self.rank)
        gs = gl * _inverse_counts(sp, attrs, outs, pads, gl.dtype)
        dx = np.zeros((n,) + tuple(s + lo + hi for s, (lo, hi) in zip(sp, pads)) + (c,),
                      dtype=gs.dtype)
        for tap in taps(attrs["ksize"]):
            dx[(slice(None),) + tap_slices(tap, attrs["strides"], attrs["dilations"],
                                            outs)] += gs
        dx = np.ascontiguousarray(crop_spatial(dx, pads, sp))
        return from_last(dx, cf).astype(g.dtype, copy=False)

    def grad(self, call, gg):
        return None, execute(_POOL_OPS[self.rank]["avg"], (gg,), call.attrs)


_POOL_OPS = {}
for _r, _s in {1: "1D", 2: "", 3: "3D"}.items():
    _POOL_OPS[_r] = {
        "max": _MaxPool(f"MaxPool{_s}", _r),
        "max_ex": _MaxPoolEx(f"_MaxPool{_s}Ex", _r),
        "max_grad": _MaxPoolGrad(f"MaxPool{_s}Grad", _r),
        "max_grad_ex": _MaxPoolGradEx(f"_MaxPool{_s}GradEx", _r),
        "max_grad_grad": _MaxPoolGradGrad(f"MaxPool{_s}GradGrad", _r),
        "avg": _AvgPool(f"AvgPool{_s}", _r),
        "avg_grad": _AvgPoolGrad(f"AvgPool{_s}Grad", _r),
    }


def _pool(kind, r, input, ksize, strides, padding, data_format, dilations, name):
    op = _POOL_OPS[r][kind]
    fmt = format_arg(data_format, r, op.name)
    attrs = {"ksize": spatial_arg(ksize, r, "ksize", op.name, fmt),
             "strides": spatial_arg(strides, r, "strides", op.name, fmt),
             "dilations": spatial_arg(dilations, r, "dilations", op.name, fmt),
             "padding": padding_arg(padding, r, op.name, fmt, explicit=kind == "max"),
             "data_format": fmt}
    return execute(op, (tensor(input),), attrs, name)


def _rank_of(input, op_name):
    x = tensor(input)
    r = x.shape.rank
    if r is None or not 3 <= r <= 5:
        raise InvalidArgumentError(f"{op_name}: input must be 3-, 4- or 5-dimensional, got "
                                   f"shape {_shape_text(x.shape)} [Op:{op_name}]")
    return x, r - 2


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """The maximum of each ``ksize`` window of ``input`` (N, H, W, C).

    >>> x = ember.reshape(ember.range(16.0), [1, 4, 4, 1])
    >>> ember.nn.max_pool2d(x, 2, 2, "VALID").numpy()[0, :, :, 0]
    array([[ 5.,  7.],
           [13., 15.]], dtype=float32)
    """
    return _pool("max", 2, input, ksize, strides, padding, data_format, None, name)


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """The maximum of each window of ``input`` (N, W, C).

    >>> ember.nn.max_pool1d(ember.constant([[[1.0], [3.0], [2.0]]]), 2, 1, "VALID").numpy()
    array([[[3.],
            [3.]]], dtype=float32)
    """
    return _pool("max", 1, input, ksize, strides, padding, data_format, None, name)


def max_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    """The maximum of each window of ``input`` (N, D, H, W, C).

    >>> ember.nn.max_pool3d(ember.ones([1, 4, 4, 4, 1]), 2, 2, "VALID").shape
    TensorShape([1, 2, 2, 2, 1])
    """
    return _pool("max", 3, input, ksize, strides, padding, data_format, None, name)


def max_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Max pooling in 1, 2 or 3 dimensions (from the input's rank).

    >>> ember.nn.max_pool(ember.ones([1, 4, 4, 1]), 2, 2, "SAME").shape
    TensorShape([1, 2, 2, 1])
    """
    x, r = _rank_of(input, "MaxPool")
    return _pool("max", r, x, ksize, strides, padding, data_format, None, name)


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """The mean of each window of ``input`` (N, H, W, C); 'SAME' padding is not counted.

    >>> x = ember.reshape(ember.range(16.0), [1, 4, 4, 1])
    >>> ember.nn.avg_pool2d(x, 2, 2, "VALID").numpy()[0, :, :, 0]
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    return _pool("avg", 2, input, ksize, strides, padding, data_format, None, name)


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    """The mean of each window of ``input`` (N, W, C).

    >>> ember.nn.avg_pool1d(ember.constant([[[1.0], [3.0], [2.0]]]), 2, 1, "VALID").numpy()
    array([[[2. ],
            [2.5]]], dtype=float32)
    """
    return _pool("avg", 1, input, ksize, strides, padding, data_format, None, name)


def avg_pool3d(input, ksize, strides, padding, data_format="NDHWC", name=None):  # noqa: A002
    """The mean of each window of ``input`` (N, D, H, W, C).

    >>> ember.nn.avg_pool3d(ember.ones([1, 4, 4, 4, 1]), 2, 2, "VALID").shape
    TensorShape([1, 2, 2, 2, 1])
    """
    return _pool("avg", 3, input, ksize, strides, padding, data_format, None, name)


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """Average pooling in 1, 2 or 3 dimensions (from the input's rank).

    >>> ember.nn.avg_pool(ember.ones([1, 4, 4, 1]), 2, 2, "VALID").shape
    TensorShape([1, 2, 2, 1])
    """
    x, r = _rank_of(input, "AvgPool")
    return _pool("avg", r, x, ksize, strides, padding, data_format, None, name)


def pool(input, window_shape, pooling_type, strides=None, padding="VALID", data_format=None,
         dilations=None, name=None):  # noqa: A002
    """N-D pooling: ``pooling_type`` is 'MAX' or 'AVG'; windows may be dilated.

    >>> ember.nn.pool(ember.ones([1, 5, 5, 1]), [2, 2], "MAX", dilations=[2, 2]).shape
    TensorShape([1, 3, 3, 1])
    """
    kind = {"MAX": "max", "AVG": "avg"}.get(str(pooling_type).upper())
    if kind is None:
        raise ValueError(f"pool: pooling_type must be 'MAX' or 'AVG', got {pooling_type!r}")
    x = tensor(input)
    r = len(window_shape)
    if not 1 <= r <= 3:
        raise ValueError(f"pool: window_shape must have 1, 2 or 3 elements, got "
                         f"{window_shape!r}")
    _check_rank(_POOL_OPS[r][kind].name, x, r + 2, "input")
    st = spatial_arg(strides, r, "strides", "pool")
    dl = spatial_arg(dilations, r, "dilations", "pool")
    if any(s != 1 for s in st) and any(d != 1 for d in dl):
        raise ValueError(f"pool: strides {list(st)} and dilations {list(dl)} cannot both be "
                         f"greater than 1")
    return _pool(kind, r, x, window_shape, st, padding, data_format, dl, name)

