"""Convolution, batch-norm and pooling kernels with their work cut into several thread shares
and small cache blocks, against direct float64 NumPy references; and the same results as
with the default settings, bit for bit the same from run to run."""
import contextlib
import inspect
import math
import threading

import numpy as np
import pytest

import ember as tf
from ember.runtime import parallel
from ember.runtime.fastpath import ChannelBlocks
from ember.runtime import conv_kernels, tuning, windows

SMALL = 256          # bytes per block: a few output rows of one image


@contextlib.contextmanager
def forced_splitting(threads=2):
    """Every kernel's work split into `threads` shares (when there are items enough) walked
    in tiny blocks. Yields a record of the parallel.run calls made meanwhile."""
    record = {"shares": [], "threads": set()}
    lock = threading.Lock()
    real_run, real_split, real_for_blocks = parallel.run, parallel.split, parallel.for_blocks

    def run(fn, shares, *args, **kwargs):
        record["shares"].append(len(shares))

        def share(lo, hi):
            with lock:
                record["threads"].add(threading.get_ident())
            return fn(lo, hi)
        return real_run(share, shares, *args, **kwargs)

    # split() and for_blocks() take MIN_ELEMENTS and BLOCK_BYTES as default arguments bound
    # at import (see test_parallel.py), so their defaults are re-read here at call time.
    def with_default(real, name, value):
        signature = inspect.signature(real)

        def call(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.arguments.setdefault(name, value())
            return real(*bound.args, **bound.kwargs)
        return call

    split = with_default(real_split, "min_work", lambda: tuning.MIN_ELEMENTS)
    for_blocks = with_default(real_for_blocks, "block_bytes", lambda: tuning.BLOCK_BYTES)

    saved = parallel._requested
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tuning, "MIN_MACS", 1)
        mp.setattr(tuning, "MIN_ELEMENTS", 1)
        mp.setattr(tuning, "BLOCK_BYTES", SMALL)
        mp.setattr(tuning, "CONV_BLOCK_BYTES", SMALL)
        mp.setattr(tuning, "CHANNEL_BLOCK_BYTES", SMALL)
        mp.setattr(parallel, "run", run)
        mp.setattr(parallel, "split", split)
        mp.setattr(parallel, "for_blocks", for_blocks)
        parallel.set_num_threads(threads)
        try:
            yield record
        finally:
            parallel.set_num_threads(saved)


@pytest.fixture
def forced():
    with forced_splitting() as record:
        yield record


def assert_was_split(record, blas=True):
    """The kernel's work really went to several shares on several threads."""
    assert record["shares"] and max(record["shares"]) >= 2, record["shares"]
    if not blas or parallel.blas_controllable():
        assert len(record["threads"]) >= 2


def assert_close(got, want, rtol=3e-5, what=""):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    scale = max(1.0, float(np.abs(want).max())) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale, err_msg=what)


def to_cf(a):
    return np.ascontiguousarray(np.moveaxis(a, -1, 1))


def to_cl(a):
    return np.ascontiguousarray(np.moveaxis(a, 1, -1))


# ------------------------------------------------------------ float64 references ---

def ref_pads(sizes, ksize, strides, dilations, padding):
    """TensorFlow's (lo, hi) pads: SAME gives ceil(n / s) outputs, the odd pixel at the end."""
    if not isinstance(padding, str):
        return [tuple(p) for p in padding]
    pads = []
    for n, k, s, d in zip(sizes, ksize, strides, dilations):
        eff = (k - 1) * d + 1
        if padding == "SAME":
            total = max((-(-n // s) - 1) * s + eff - n, 0)
            pads.append((total // 2, total - total // 2))
        else:
            pads.append((0, 0))
    return pads


def ref_conv(x, w, strides, dilations, padding, gy=None):
    """Channels-last grouped convolution y of x (N, *S, C) with w (*K, C // G, O), and with
    ``gy`` also the adjoint products dx = J_x^T gy, dw = J_w^T gy (the exact gradients of
    sum(y * gy)): every output position and tap, one small matrix product per group."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    r = x.ndim - 2
    ksize = w.shape[:r]
    cg, o = w.shape[r], w.shape[r + 1]
    groups = x.shape[-1] // cg
    og = o // groups
    strides, dilations = (strides,) * r if np.isscalar(strides) else strides, \
        (dilations,) * r if np.isscalar(dilations) else dilations
    pads = ref_pads(x.shape[1:-1], ksize, strides, dilations, padding)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    outs = [(xp.shape[1 + i] - (ksize[i] - 1) * dilations[i] - 1) // strides[i] + 1
            for i in range(r)]
    y = np.zeros((x.shape[0],) + tuple(outs) + (o,))
    dxp = np.zeros_like(xp)
    dw = np.zeros_like(w)
    gy = None if gy is None else np.asarray(gy, np.float64)
    every = slice(None)
    for pos in np.ndindex(*outs):
        for tap in np.ndindex(*ksize):
            idx = tuple(p * s + t * d for p, s, t, d in zip(pos, strides, tap, dilations))
            xv = xp[(every,) + idx]                                # (N, C)
            for g in range(groups):
                cs, os_ = slice(g * cg, (g + 1) * cg), slice(g * og, (g + 1) * og)
                wt = w[tap][:, os_]                                # (Cg, Og)
                y[(every,) + pos + (os_,)] += xv[:, cs] @ wt
                if gy is not None:
                    gv = gy[(every,) + pos + (os_,)]
                    dxp[(every,) + idx + (cs,)] += gv @ wt.T
                    dw[tap + (every, os_)] += xv[:, cs].T @ gv
    dx = dxp[(every,) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(x.shape[1:-1], pads))]
    return y, dx, dw


def ref_depthwise(x, w, strides, dilations, padding):
    """y[..., c * m + j] = sum over taps of x[..., c] * w[tap, c, j] (channels-last)."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n, c, m = x.shape[0], x.shape[-1], w.shape[-1]
    pads = ref_pads(x.shape[1:3], w.shape[:2], strides, dilations, padding)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    outs = [(xp.shape[1 + i] - (w.shape[i] - 1) * dilations[i] - 1) // strides[i] + 1
            for i in range(2)]
    y = np.zeros((n,) + tuple(outs) + (c * m,))
    for i, j in np.ndindex(*outs):
        for a, b in np.ndindex(*w.shape[:2]):
            xv = xp[:, i * strides[0] + a * dilations[0], j * strides[1] + b * dilations[1]]
            y[:, i, j] += (xv[:, :, None] * w[a, b][None]).reshape(n, c * m)
    return y


# -------------------------------------------------------------------- convolutions ---

CONV_FNS = {1: tf.nn.conv1d, 2: tf.nn.conv2d, 3: tf.nn.conv3d}
FORMATS = {1: ("NWC", "NCW"), 2: ("NHWC", "NCHW"), 3: ("NDHWC", "NCDHW")}

# name: (channels-last input shape, filter shape, stride, padding, dilation)
CONV_CASES = {
    "2d-same": ((3, 7, 6, 3), (3, 3, 3, 4), 1, "SAME", 1),
    "2d-valid-s2": ((5, 9, 8, 3), (3, 2, 3, 5), 2, "VALID", 1),
    "2d-same-s2": ((3, 8, 7, 4), (3, 3, 4, 2), 2, "SAME", 1),
    "2d-explicit": ((5, 6, 7, 4), (2, 3, 4, 3), 1, ((1, 2), (0, 1)), 1),
    "2d-explicit-s2": ((3, 7, 7, 2), (3, 3, 2, 3), 2, ((2, 0), (1, 1)), 1),
    "2d-dilated-same": ((3, 9, 9, 3), (3, 3, 3, 4), 1, "SAME", 2),
    "2d-dilated-valid": ((5, 9, 8, 4), (2, 3, 4, 4), 1, "VALID", 2),
    "2d-groups2": ((5, 7, 7, 4), (3, 3, 2, 6), 1, "SAME", 1),
    "2d-groups3-s2": ((3, 8, 8, 6), (2, 2, 2, 6), 2, "VALID", 1),
    "2d-groups4-dilated": ((3, 8, 8, 4), (3, 3, 1, 4), 1, "SAME", 2),
    "2d-batch1": ((1, 10, 9, 3), (3, 3, 3, 4), 1, "SAME", 1),
    "2d-batch1-s2": ((1, 9, 9, 2), (3, 3, 2, 3), 2, "SAME", 1),
    "1d-same": ((5, 11, 3), (3, 3, 4), 1, "SAME", 1),
    "1d-valid-s2": ((3, 12, 4), (4, 4, 2), 2, "VALID", 1),
    "1d-explicit": ((3, 9, 2), (3, 2, 3), 1, ((2, 1),), 1),
    "1d-dilated": ((3, 13, 3), (3, 3, 5), 1, "SAME", 2),
    "1d-groups": ((5, 10, 4), (3, 2, 4), 1, "VALID", 1),
    "1d-batch1-s2": ((1, 16, 2), (5, 2, 3), 2, "SAME", 1),
    "3d-same": ((3, 4, 5, 4, 2), (2, 3, 2, 2, 3), 1, "SAME", 1),
    "3d-valid-s2": ((5, 5, 5, 4, 3), (3, 2, 2, 3, 2), 2, "VALID", 1),
    "3d-explicit": ((3, 3, 4, 3, 2), (2, 2, 2, 2, 2), 1, ((1, 0), (0, 1), (1, 1)), 1),
    "3d-dilated": ((3, 5, 5, 5, 2), (2, 2, 2, 2, 3), 1, "SAME", 2),
    "3d-groups": ((3, 4, 4, 4, 4), (2, 2, 2, 2, 4), 1, "SAME", 1),
    "3d-batch1": ((1, 5, 4, 4, 2), (3, 3, 3, 2, 2), 1, "SAME", 1),
}

_conv_refs = {}


def conv_inputs(xs, ws, stride, padding, dilation, seed, dtype=np.float32):
    """Random x, w, output gradient gy (channels-last) of these shapes and the reference
    y, dx, dw."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(xs).astype(dtype)
    w = rng.standard_normal(ws).astype(dtype)
    y, _, _ = ref_conv(x, w, stride, dilation, padding)
    gy = rng.standard_normal(y.shape).astype(dtype)
    return (x, w, gy) + ref_conv(x, w, stride, dilation, padding, gy)


def conv_case(name, dtype=np.float32):
    """conv_inputs for a case of CONV_CASES (kept once made)."""
    key = (name, np.dtype(dtype).name)
    if key not in _conv_refs:
        _conv_refs[key] = conv_inputs(*CONV_CASES[name], sorted(CONV_CASES).index(name),
                                      dtype)
    return _conv_refs[key]


def padding_arg(padding, cf):
    """A case's padding as conv2d takes it: the string, or explicit pairs for every axis."""
    if isinstance(padding, str):
        return padding
    pairs = [list(p) for p in padding]
    return [[0, 0], [0, 0]] + pairs if cf else [[0, 0]] + pairs + [[0, 0]]


def run_conv(name, cf, x, w, gy):
    """Ember's y, dx, dw (channels-last) for a case, in channels-first layout when cf."""
    xs, ws, stride, padding, dilation = CONV_CASES[name]
    r = len(xs) - 2
    fmt = FORMATS[r][1 if cf else 0]
    padding = padding_arg(padding, cf)
    xt = tf.constant(to_cf(x) if cf else x)
    wt = tf.constant(w)
    with tf.GradientTape() as tape:
        tape.watch([xt, wt])
        y = CONV_FNS[r](xt, wt, stride, padding, data_format=fmt, dilations=dilation)
    dx, dw = tape.gradient(y, [xt, wt], output_gradients=tf.constant(to_cf(gy) if cf else gy))
    y, dx, dw = y.numpy(), dx.numpy(), dw.numpy()
    assert y.dtype == x.dtype and dx.dtype == x.dtype and dw.dtype == x.dtype
    return (to_cl(y), to_cl(dx), dw) if cf else (y, dx, dw)


@pytest.mark.parametrize("cf", [False, True], ids=["channels_last", "channels_first"])
@pytest.mark.parametrize("name", list(CONV_CASES))
def test_conv_forward(name, cf, forced):
    x, w, gy, y_ref, _, _ = conv_case(name)
    xs, ws, stride, padding, dilation = CONV_CASES[name]
    r = len(xs) - 2
    fmt = FORMATS[r][1 if cf else 0]
    padding = padding_arg(padding, cf)
    y = CONV_FNS[r](tf.constant(to_cf(x) if cf else x), tf.constant(w), stride, padding,
                    data_format=fmt, dilations=dilation).numpy()
    assert y.dtype == np.float32
    assert_close(to_cl(y) if cf else y, y_ref, what="y")
    if xs[0] > 1:
        assert_was_split(forced)


@pytest.mark.parametrize("cf", [False, True], ids=["channels_last", "channels_first"])
@pytest.mark.parametrize("name", list(CONV_CASES))
def test_conv_gradients(name, cf, forced):
    x, w, gy, y_ref, dx_ref, dw_ref = conv_case(name)
    y, dx, dw = run_conv(name, cf, x, w, gy)
    assert_close(y, y_ref, what="y")
    assert_close(dx, dx_ref, what="dx")
    assert_close(dw, dw_ref, what="dw")
    if x.shape[0] > 1:
        assert_was_split(forced)


@pytest.mark.parametrize("name", ["2d-same", "2d-groups3-s2", "2d-explicit-s2", "1d-dilated",
                                  "3d-valid-s2"])
def test_conv_float64(name, forced):
    x, w, gy, y_ref, dx_ref, dw_ref = conv_case(name, np.float64)
    y, dx, dw = run_conv(name, False, x, w, gy)
    assert y.dtype == np.float64
    for got, want, what in ((y, y_ref, "y"), (dx, dx_ref, "dx"), (dw, dw_ref, "dw")):
        assert_close(got, want, rtol=1e-11, what=what)


@pytest.fixture
def small_products():
    """BLAS taken to have an unpacked small-matrix kernel for products of at most 2000
    multiply-adds, so the tiny cases' patch products run as stacks of a few rows."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(parallel, "_small_gemm", 2000)
        mp.setattr(tuning, "MIN_STACK_ROWS", 2)
        mp.setattr(tuning, "MIN_STACK_ROWS_PRODUCT", 2)
        yield


# (channels-last input shape, filter shape, stride, padding, dilation): window rows of 32
# or more values, so the patches are laid out pixel-major and go through _product
SMALL_PRODUCT_CASES = {
    "2d-same": ((3, 6, 5, 12), (3, 3, 12, 5), 1, "SAME", 1),
    "2d-valid-s2": ((2, 7, 8, 16), (2, 3, 16, 3), 2, "VALID", 1),
    "2d-dilated": ((2, 7, 7, 11), (3, 3, 11, 4), 1, "SAME", 2),
    "1d-same": ((3, 9, 16), (3, 16, 4), 1, "SAME", 1),
    "3d-same": ((2, 4, 4, 3, 12), (2, 2, 3, 12, 3), 1, "SAME", 1),
}


# few channels per window row: tap-major patches, used transposed
TAP_MAJOR_CASES = {
    "2d-1ch": ((3, 7, 6, 1), (3, 3, 1, 6), 1, "SAME", 1),
    "2d-3ch-s2": ((2, 9, 8, 3), (3, 3, 3, 5), 2, "SAME", 1),
    "1d-2ch": ((3, 40, 2), (3, 2, 4), 1, "VALID", 1),
}


@pytest.mark.parametrize("name", list(SMALL_PRODUCT_CASES) + list(TAP_MAJOR_CASES))
def test_conv_as_stacks_of_small_products(name, small_products, monkeypatch):
    case = SMALL_PRODUCT_CASES.get(name) or TAP_MAJOR_CASES[name]
    xs, ws, stride, padding, dilation = case
    x, w, gy, y_ref, dx_ref, dw_ref = conv_inputs(*case, len(name))
    stacked = []
    real = conv_kernels._small_rows
    monkeypatch.setattr(conv_kernels, "_small_rows", lambda *a: stacked.append(real(*a)) or
                        stacked[-1])
    r = len(xs) - 2
    xt, wt = tf.constant(x), tf.constant(w)
    with tf.GradientTape() as tape:
        tape.watch([xt, wt])
        y = CONV_FNS[r](xt, wt, stride, padding, dilations=dilation)
    dx, dw = tape.gradient(y, [xt, wt], output_gradients=tf.constant(gy))
    assert any(stacked), "no product ran as a stack"
    assert_close(y.numpy(), y_ref, what="y")
    assert_close(dx.numpy(), dx_ref, what="dx")
    assert_close(dw.numpy(), dw_ref, what="dw")


STRIDE1_CASES = [n for n, case in CONV_CASES.items() if case[2] == 1]


@pytest.mark.parametrize("blocks", ["groups", "row-blocks"])
@pytest.mark.parametrize("name", ["2d-wide", "2d-groups2"])
def test_conv_bias_added_to_each_groups_output(name, blocks, monkeypatch):
    """Pixel-major patches: the bias is added once to each group's output, for groups of
    several images and for a few output rows at a time, on two threads."""
    xs, ws, padding, dilation = GROUPED_CASES[name]
    r = len(xs) - 2
    x, w, _, y_ref, _, _ = conv_inputs(xs, ws, 1, padding, dilation, len(name) + 17)
    bias = np.random.default_rng(2).standard_normal(ws[-1]).astype(np.float32)
    monkeypatch.setattr(tuning, "CONV_BLOCK_BYTES", SMALL if blocks == "row-blocks" else 2048)
    monkeypatch.setattr(tuning, "MIN_MACS", 1)
    saved = parallel._requested
    parallel.set_num_threads(2)
    try:
        y = conv_kernels.conv_forward(x, w, (1,) * r, (dilation,) * r, padding, bias)
    finally:
        parallel.set_num_threads(saved)
    assert_close(y, y_ref + bias, what="y")


@pytest.mark.parametrize("blocks", ["one-block", "row-blocks"])
@pytest.mark.parametrize("name", list(TAP_MAJOR_CASES))
def test_conv_bias_added_by_the_tap_major_product(name, blocks, monkeypatch):
    """With few channels the bias is a last row of the filter matrix times a column of
    ones kept in the patch buffer: forward with bias against the reference, on two
    threads, whole images or a few output rows per block, buffers used twice."""
    xs, ws, stride, padding, dilation = TAP_MAJOR_CASES[name]
    x, w, _, y_ref, _, _ = conv_inputs(*TAP_MAJOR_CASES[name], len(name) + 11)
    bias = np.random.default_rng(1).standard_normal(ws[-1]).astype(np.float32)
    r = len(xs) - 2
    if blocks == "row-blocks":
        monkeypatch.setattr(tuning, "CONV_BLOCK_BYTES", SMALL)
    monkeypatch.setattr(tuning, "MIN_MACS", 1)
    products = []
    real = conv_kernels._Patches.with_ones
    monkeypatch.setattr(conv_kernels._Patches, "with_ones",
                        lambda self, cols: products.append(cols.shape) or real(self, cols))
    saved = parallel._requested
    parallel.set_num_threads(2)
    try:
        for _ in range(2):
            y = conv_kernels.conv_forward(x, w, (stride,) * r, (dilation,) * r, padding, bias)
            assert_close(y, y_ref + bias, what="y")
            # the patches alone (no ones) still give the plain convolution
            assert_close(conv_kernels.conv_forward(x, w, (stride,) * r, (dilation,) * r, padding),
                         y_ref, what="y without bias")
    finally:
        parallel.set_num_threads(saved)
    assert products and all(k == math.prod(ws[:-1]) for _, k in products)
    if blocks == "row-blocks":
        assert len(products) > 2 * xs[0]


@pytest.mark.parametrize("stacks", [False, True], ids=["one-product", "small-stacks"])
@pytest.mark.parametrize("name", STRIDE1_CASES)
def test_conv_backprop_both_gradients_from_dys_patches(name, stacks, forced):
    """The fused conv gradient (input gradient as the flipped-filter convolution of dy,
    filter gradient from the same patches of dy) against the float64 reference, with tiny
    blocks on two threads, and with products cut into small stacks."""
    x, w, gy, _, dx_ref, dw_ref = conv_case(name)
    xs, ws, stride, padding, dilation = CONV_CASES[name]
    r = len(xs) - 2
    pads = padding if isinstance(padding, str) else [tuple(p) for p in padding]
    with pytest.MonkeyPatch.context() as mp:
        if stacks:
            mp.setattr(parallel, "_small_gemm", 200)
            mp.setattr(tuning, "MIN_STACK_ROWS", 1)
            mp.setattr(tuning, "MIN_STACK_ROWS_PRODUCT", 1)
        dx, dw = conv_kernels.conv_backprop(x, w, gy, (stride,) * r, (dilation,) * r, pads)
    assert dx.dtype == np.float32 and dw.dtype == np.float32
    assert_close(dx, dx_ref, what="dx")
    assert_close(dw, dw_ref, what="dw")


# (channels-last input shape, filter shape, padding, dilation), stride 1, no more output
# than input channels: the filter gradient comes from the input gradient's patches of dy
FEWER_OUT_CASES = {
    "1d-same": ((3, 11, 6), (3, 6, 4), "SAME", 1),
    "1d-dilated": ((3, 13, 5), (3, 5, 5), "SAME", 2),
    "2d-same": ((3, 7, 6, 6), (3, 3, 6, 4), "SAME", 1),
    "2d-valid-dilated": ((3, 9, 8, 4), (2, 3, 4, 4), "VALID", 2),
    "3d-same": ((2, 4, 5, 4, 4), (2, 3, 2, 4, 3), "SAME", 1),
}


@pytest.mark.parametrize("name", list(FEWER_OUT_CASES))
def test_conv_backprop_filter_gradient_from_dys_patches(name, forced):
    xs, ws, padding, dilation = FEWER_OUT_CASES[name]
    r = len(xs) - 2
    x, w, gy, _, dx_ref, dw_ref = conv_inputs(xs, ws, 1, padding, dilation, len(name) + 5)
    rows = []
    real = conv_kernels._forward_job
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(conv_kernels, "_forward_job", lambda *a, **k: rows.append(
            k.get("rows") is not None) or real(*a, **k))
        dx, dw = conv_kernels.conv_backprop(x, w, gy, (1,) * r, (dilation,) * r, padding)
    assert rows == [True]
    assert_close(dx, dx_ref, what="dx")
    assert_close(dw, dw_ref, what="dw")


@pytest.mark.parametrize("blocks", ["groups", "row-blocks"])
@pytest.mark.parametrize("name", ["2d-same", "1d-same", "3d-same"])
def test_conv_backprop_writes_dx_over_dy_into(name, blocks, forced, monkeypatch):
    """With ``into``, dx (same shape as dy: SAME, as many in as out channels) is written
    over dy's buffer: each group's dy is copied into the padded buffer first, so the values
    are those of a fresh dx; where the shapes differ dx is a new array."""
    xs, ws, padding, dilation = FEWER_OUT_CASES[name]
    r = len(xs) - 2
    ws = ws[:-1] + (xs[-1],)                          # as many output as input channels
    x, w, gy, _, dx_ref, dw_ref = conv_inputs(xs, ws, 1, padding, dilation, len(name) + 9)
    if blocks == "row-blocks":
        monkeypatch.setattr(tuning, "CONV_BLOCK_BYTES", 64)
    g = gy.copy()
    dx, dw = conv_kernels.conv_backprop(x, w, g, (1,) * r, (dilation,) * r, padding, into=True)
    assert dx is g
    assert_close(dx, dx_ref, what="dx")
    assert_close(dw, dw_ref, what="dw")
    dx2, _ = conv_kernels.conv_backprop(x, w, gy, (1,) * r, (dilation,) * r, padding)
    np.testing.assert_allclose(dx2, dx, rtol=1e-6, atol=1e-6)
    xs, ws, padding, dilation = FEWER_OUT_CASES["2d-valid-dilated"]
    x, w, gy, _, dx_ref, _ = conv_inputs(xs, ws, 1, padding, dilation, 3)
    dx, _ = conv_kernels.conv_backprop(x, w, gy, (1, 1), (dilation,) * 2, padding, into=True)
    assert not np.shares_memory(dx, gy)
    assert_close(dx, dx_ref, what="dx")


# (channels-last input shape, filter shape, padding, dilation), stride 1: batches large
# enough for groups of several images on two threads
GROUPED_CASES = {
    "2d-same": ((24, 5, 4, 3), (3, 3, 3, 4), "SAME", 1),
    "2d-wide": ((26, 4, 4, 12), (3, 3, 12, 5), "SAME", 1),
    "2d-dilated": ((24, 6, 6, 2), (3, 3, 2, 3), "SAME", 2),
    "1d-same": ((25, 7, 3), (3, 3, 4), "SAME", 1),
    "3d-valid": ((24, 3, 4, 3, 2), (2, 2, 2, 2, 3), "VALID", 1),
    "2d-groups2": ((24, 5, 5, 4), (3, 3, 2, 6), "SAME", 1),
}


@pytest.mark.parametrize("name", list(GROUPED_CASES))
def test_conv_patches_made_a_few_images_at_a_time(name, monkeypatch):
    """Groups of three or more padded images whose patches are made an image or two at a
    time (blocks smaller than groups), on two threads: forward and both gradients."""
    xs, ws, padding, dilation = GROUPED_CASES[name]
    r = len(xs) - 2
    x, w, gy, y_ref, dx_ref, dw_ref = conv_inputs(xs, ws, 1, padding, dilation, len(name) + 3)
    outs, pads = windows.window_geometry("Conv", xs[1:1 + r], ws[:r], (1,) * r,
                                          (dilation,) * r, padding)
    per_image = conv_kernels._Patches(x, ws[:r], (1,) * r, (dilation,) * r, outs, pads,
                                  xs[-1] // ws[r], 1).image_bytes
    monkeypatch.setattr(tuning, "CONV_GROUP_BYTES", 3 * per_image)
    monkeypatch.setattr(tuning, "CONV_SUB_BYTES", per_image * 3 // 2)
    monkeypatch.setattr(tuning, "MIN_MACS", 1)
    groups, copied = [], []
    real_blocks, real_copy = conv_kernels._Patches.blocks, conv_kernels._Patches._copy
    monkeypatch.setattr(conv_kernels._Patches, "blocks",
                        lambda self, a, s, e: groups.append(e - s) or real_blocks(self, a, s, e))
    monkeypatch.setattr(conv_kernels._Patches, "_copy",
                        lambda self, win: copied.append(win.shape[0]) or real_copy(self, win))
    saved = parallel._requested
    parallel.set_num_threads(2)
    try:
        xt, wt = tf.constant(x), tf.constant(w)
        with tf.GradientTape() as tape:
            tape.watch([xt, wt])
            y = CONV_FNS[r](xt, wt, 1, padding, dilations=dilation)
        dx, dw = tape.gradient(y, [xt, wt], output_gradients=tf.constant(gy))
        dx2, dw2 = conv_kernels.conv_backprop(x, w, gy, (1,) * r, (dilation,) * r, padding)
    finally:
        parallel.set_num_threads(saved)
    # groups of several images (of x, or of dy for the gradients), each copied in blocks
    assert max(groups) >= 3 and len(copied) > len(groups), (groups, copied)
    assert_close(y.numpy(), y_ref, what="y")
    assert_close(dx.numpy(), dx_ref, what="dx")
    assert_close(dw.numpy(), dw_ref, what="dw")
    assert_close(dx2, dx_ref, what="fused dx")
    assert_close(dw2, dw_ref, what="fused dw")


@pytest.mark.parametrize("m", [12, 13, 17])
def test_small_products_cover_every_row(m, small_products):
    """Row counts that are not multiples of the stack's rows: the last rows in one more
    product; a.T @ g summed over the stack."""
    rng = np.random.default_rng(m)
    a = rng.standard_normal((m, 30)).astype(np.float32)
    b = rng.standard_normal((30, 10)).astype(np.float32)
    g = rng.standard_normal((m, 10)).astype(np.float32)
    r = conv_kernels._small_rows(m, 30, 10, np.dtype(np.float32))
    assert r == m // -(-m // (2000 // 300)) and 0 < r < m
    out = np.full((m, 10), np.nan, np.float32)
    conv_kernels._product(a, b, out)
    assert_close(out, a.astype(np.float64) @ b, rtol=1e-6)
    assert_close(conv_kernels._product_t(a, g), a.T.astype(np.float64) @ g, rtol=1e-6)
    # float64, and products within the limit, take one product
    assert conv_kernels._small_rows(m, 30, 10, np.dtype(np.float64)) == 0
    assert conv_kernels._small_rows(m, 30, 3, np.dtype(np.float32)) == 0


@pytest.mark.parametrize("setting, limit", [("off", 0), ("0", 0), ("on", 1_000_000)])
def test_small_gemm_macs_follows_the_environment(setting, limit, monkeypatch):
    monkeypatch.setattr(parallel, "_small_gemm", None)
    monkeypatch.setenv("EMBER_SMALL_GEMM", setting)
    assert parallel.small_gemm_macs() == limit


@pytest.mark.parametrize("core, limit", [(b"SkylakeX", 1_000_000),
                                         (b"SapphireRapids", 1_000_000),
                                         (b"Haswell", 0), (None, 0)])
def test_small_gemm_macs_from_the_blas_core_name(core, limit, monkeypatch):
    """The limit follows the core OpenBLAS reports; no BLAS found, or one without a core
    name (MKL, BLIS), gives 0."""
    monkeypatch.delenv("EMBER_SMALL_GEMM", raising=False)
    monkeypatch.setattr(parallel, "_small_gemm", None)

    class Lib:
        pass

    lib = Lib()
    if core is not None:
        def corename():
            return core
        lib.scipy_openblas_get_corename64_ = corename
    monkeypatch.setattr(parallel, "_blas", (lambda n: None, lambda: 1, lib))
    assert parallel.small_gemm_macs() == limit
    monkeypatch.setattr(parallel, "_small_gemm", None)
    monkeypatch.setattr(parallel, "_blas", ())
    assert parallel.small_gemm_macs() == 0


def test_aligned_copies_only_when_needed():
    from ember.runtime.memory import aligned
    base = np.arange(40, dtype=np.float32)
    for start in range(4):
        a = base[start:start + 36].reshape(6, 6)
        b = aligned(a)
        assert b.ctypes.data % 64 == 0 and b.flags.c_contiguous
        np.testing.assert_array_equal(b, a)
        assert aligned(b) is b
    t = aligned(base.reshape(5, 8).T)
    np.testing.assert_array_equal(t, base.reshape(5, 8).T)
    assert t.flags.c_contiguous


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4), ()])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.uint8])
def test_empty_aligned_starts_on_the_boundary(shape, dtype):
    from ember.runtime.memory import empty_aligned
    for alignment in (64, 128):
        a = empty_aligned(shape, dtype, alignment)
        assert a.shape == shape and a.dtype == dtype and a.flags.c_contiguous
        assert a.ctypes.data % alignment == 0
        a[...] = 3                                          # writable, its own memory
        assert np.all(a == 3)
    assert empty_aligned(5, np.float32).shape == (5,)
    assert empty_aligned((2, 2), np.float32, 0).shape == (2, 2)     # plain np.empty


@pytest.mark.parametrize("channels", [1, 16])          # tap-major and window-major patches
def test_conv_patch_buffers_start_on_a_cache_line(channels):
    x = np.ones((4, 9, 9, channels), np.float32)
    for images in (1, 3):
        p = conv_kernels._Patches(x, (3, 3), (1, 1), (1, 1), (9, 9), ((1, 1), (1, 1)), 1, images)
        assert p.cols.ctypes.data % 64 == 0
        assert p.tap_major == (channels == 1)


def test_first_layer_filter_gradient_runs_on_threads(monkeypatch):
    # a 28x28x1 -> 32 filter gradient has few multiply-adds (9 per output value) but reads
    # a whole output-sized gradient per image: that traffic makes it worth two threads
    monkeypatch.setattr(parallel, "_requested", 2)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((64, 28, 28, 1)).astype(np.float32)
    g = rng.standard_normal((64, 28, 28, 32)).astype(np.float32)
    assert conv_kernels._group_size(x, (3, 3), (28, 28), 1, 32)[1]        # by its MACs alone
    sizes = []
    real = conv_kernels._run_groups
    monkeypatch.setattr(conv_kernels, "_run_groups",
                        lambda n, size, fn: sizes.append(size) or real(n, size, fn))
    dw = conv_kernels.conv_filter_grad(x, (3, 3, 1, 32), g, (1, 1), (1, 1), "SAME")
    assert sizes == [(32, False)]                      # two groups, on threads
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0))).astype(np.float64)
    want = np.stack([np.einsum("nhwc,nhwo->co", xp[:, i:i + 28, j:j + 28], g)
                     for i in range(3) for j in range(3)]).reshape(3, 3, 1, 32)
    np.testing.assert_allclose(dw, want, rtol=2e-4, atol=2e-3)


def test_reference_conv_gradients_match_finite_differences():
    """The adjoint reference itself: its dx and dw are the gradients of sum(y * gy)."""
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 5, 4, 4))
    w = rng.standard_normal((3, 2, 2, 4))
    gy = rng.standard_normal(ref_conv(x, w, (2, 1), (1, 1), "SAME")[0].shape)
    _, dx, dw = ref_conv(x, w, (2, 1), (1, 1), "SAME", gy)
    eps = 1e-6
    for a, d in ((x, dx), (w, dw)):
        for idx in [tuple(rng.integers(0, s) for s in a.shape) for _ in range(6)]:
            a[idx] += eps
            up = (ref_conv(x, w, (2, 1), (1, 1), "SAME")[0] * gy).sum()
            a[idx] -= 2 * eps
            down = (ref_conv(x, w, (2, 1), (1, 1), "SAME")[0] * gy).sum()
            a[idx] += eps
            assert abs((up - down) / (2 * eps) - d[idx]) < 1e-6


# name: (input shape, filter (kh, kw, out_channels, in_channels), output shape, stride,
# padding), all channels-last
TRANSPOSE_CASES = {
    "s2-same": ((3, 4, 4, 5), (3, 3, 2, 5), (3, 8, 8, 2), 2, "SAME"),
    "s2-same-odd": ((5, 4, 3, 3), (3, 2, 4, 3), (5, 7, 5, 4), 2, "SAME"),
    "s2-valid": ((3, 3, 4, 3), (2, 2, 4, 3), (3, 6, 8, 4), 2, "VALID"),
    "s1-valid": ((3, 5, 5, 2), (3, 3, 3, 2), (3, 7, 7, 3), 1, "VALID"),
    "s1-same-batch1": ((1, 6, 5, 4), (3, 3, 2, 4), (1, 6, 5, 2), 1, "SAME"),
}


@pytest.mark.parametrize("cf", [False, True], ids=["channels_last", "channels_first"])
@pytest.mark.parametrize("name", list(TRANSPOSE_CASES))
def test_conv2d_transpose(name, cf, forced):
    xs, ws, out, stride, padding = TRANSPOSE_CASES[name]
    rng = np.random.default_rng(len(name))
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    # the transposed convolution is the adjoint of the convolution of an output-shaped input
    _, want, _ = ref_conv(np.zeros(out), w, stride, 1, padding, gy=x)
    y = tf.nn.conv2d_transpose(tf.constant(to_cf(x) if cf else x), tf.constant(w),
                               [out[0], out[3], out[1], out[2]] if cf else list(out), stride,
                               padding, data_format="NCHW" if cf else "NHWC").numpy()
    assert y.dtype == np.float32
    assert_close(to_cl(y) if cf else y, want)
    if xs[0] > 1:
        assert_was_split(forced)


# name: (input shape, filter (kh, kw, C, multiplier), stride, padding, dilation)
DEPTHWISE_CASES = {
    "same": ((3, 7, 7, 3), (3, 3, 3, 2), 1, "SAME", 1),
    "valid-s2": ((5, 8, 9, 2), (3, 2, 2, 3), 2, "VALID", 1),
    "same-s2": ((3, 9, 8, 4), (3, 3, 4, 1), 2, "SAME", 1),
    "dilated": ((3, 9, 9, 2), (3, 3, 2, 2), 1, "SAME", 2),
    "batch1": ((1, 8, 8, 3), (2, 2, 3, 2), 1, "VALID", 1),
}


@pytest.mark.parametrize("cf", [False, True], ids=["channels_last", "channels_first"])
@pytest.mark.parametrize("name", list(DEPTHWISE_CASES))
def test_depthwise_conv2d(name, cf, forced):
    xs, ws, stride, padding, dilation = DEPTHWISE_CASES[name]
    rng = np.random.default_rng(len(name) + 100)
    x = rng.standard_normal(xs).astype(np.float32)
    w = rng.standard_normal(ws).astype(np.float32)
    want = ref_depthwise(x, w, (stride, stride), (dilation, dilation), padding)
    strides = [1, 1, stride, stride] if cf else [1, stride, stride, 1]
    y = tf.nn.depthwise_conv2d(tf.constant(to_cf(x) if cf else x), tf.constant(w), strides,
                               padding, data_format="NCHW" if cf else "NHWC",
                               dilations=[dilation, dilation]).numpy()
    assert_close(to_cl(y) if cf else y, want)
    if xs[0] > 1:
        assert_was_split(forced)


def test_forced_settings_make_small_blocks_and_several_shares(forced):
    """The knobs the other tests turn really reach the kernels' block and share sizes."""
    assert conv_kernels._block_shape([7, 6], 27, 4) == (1, 1)          # one output row a block
    assert parallel.split(3, 1) == [(0, 1), (1, 3)]
    blocks = ChannelBlocks(663, 16, 4)
    assert blocks.rows == blocks.k == 128                           # 128 of 663 rows a block
    assert parallel.for_blocks(lambda s, e: (s, e), 3, 300) == [(0, 1), (1, 2), (2, 3)]


# ---------------------------------------------------------------------- batch norm ---

EPS = 0.001


def ref_batch_norm(x, scale, offset, gy, cf):
    """Training-mode batch norm in float64: y, mean, unbiased variance, dx, dscale, doffset."""
    xd = np.asarray(to_cl(x) if cf else x, np.float64)
    c = xd.shape[-1]
    x2 = xd.reshape(-1, c)
    g2 = np.asarray(to_cl(gy) if cf else gy, np.float64).reshape(-1, c)
    p = x2.shape[0]
    mean = x2.mean(axis=0)
    var = ((x2 - mean) ** 2).mean(axis=0)
    inv = 1.0 / np.sqrt(var + EPS)
    xhat = (x2 - mean) * inv
    y = xhat * scale + offset
    dscale = (g2 * xhat).sum(axis=0)
    doffset = g2.sum(axis=0)
    dx = scale * inv * (g2 - doffset / p - xhat * dscale / p)
    back = (lambda a: to_cf(a.reshape(xd.shape))) if cf else (lambda a: a.reshape(xd.shape))
    return back(y), mean, var * p / (p - 1), back(dx), dscale, doffset


# name: (shape in its layout, channels first, dtype, constant offset of x, noise scale)
BN_CASES = {
    "c16-odd-rows": ((3, 13, 17, 16), False, np.float32, 0.0, 1.0),
    "c3-short-last-block": ((5, 17, 17, 3), False, np.float32, 0.0, 1.0),
    "c16-offset-1000": ((3, 13, 17, 16), False, np.float32, 1000.0, 0.1),
    "c8-float64-offset-1e6": ((3, 11, 9, 8), False, np.float64, 1e6, 1e-3),
    "nchw-c16": ((3, 16, 13, 17), True, np.float32, 0.0, 1.0),
    "nchw-c4-offset-1000": ((5, 4, 11, 13), True, np.float32, 1000.0, 0.1),
    "rank2-c5": ((1001, 5), False, np.float32, 0.0, 1.0),
    "tiny": ((2, 3, 3, 5), False, np.float32, 0.0, 1.0),
}

_bn_refs = {}


def bn_case(name):
    if name not in _bn_refs:
        shape, cf, dtype, shift, noise = BN_CASES[name]
        rng = np.random.default_rng(sorted(BN_CASES).index(name) + 50)
        c = shape[1] if cf else shape[-1]
        x = (shift + noise * rng.standard_normal(shape)).astype(dtype)
        scale = rng.uniform(0.5, 1.5, c).astype(dtype)
        offset = rng.standard_normal(c).astype(dtype)
        gy = rng.standard_normal(shape).astype(dtype)
        _bn_refs[name] = (x, scale, offset, gy) + ref_batch_norm(x, scale, offset, gy, cf)
    return _bn_refs[name]


def run_batch_norm(name, x, scale, offset, gy):
    cf = BN_CASES[name][1]
    xt, st, ot = tf.constant(x), tf.constant(scale), tf.constant(offset)
    with tf.GradientTape() as tape:
        tape.watch([xt, st, ot])
        y, mean, var = tf.nn.fused_batch_norm(xt, st, ot, epsilon=EPS,
                                              data_format="NCHW" if cf else "NHWC")
    dx, dscale, doffset = tape.gradient(y, [xt, st, ot], output_gradients=tf.constant(gy))
    return [a.numpy() for a in (y, mean, var, dx, dscale, doffset)]


@pytest.mark.parametrize("name", list(BN_CASES))
def test_fused_batch_norm_training(name, forced):
    x, scale, offset, gy, *want = bn_case(name)
    got = run_batch_norm(name, x, scale, offset, gy)
    for g in got:
        assert g.dtype == x.dtype
    y, mean, var, dx, dscale, doffset = got
    y_ref, mean_ref, var_ref, dx_ref, dscale_ref, doffset_ref = want
    f64 = x.dtype == np.float64
    _, _, dtype, shift, noise = BN_CASES[name]
    # mean and variance keep their precision whatever the offset of x: the mean to its
    # dtype's rounding (and a little of the noise's scale), the variance relatively
    np.testing.assert_allclose(mean, mean_ref, rtol=1e-14 if f64 else 1e-7,
                               atol=(1e-12 if f64 else 2e-6) * noise)
    np.testing.assert_allclose(var, var_ref, rtol=1e-10 if f64 else 2e-6)
    # y and dx are made from x - mean in x's dtype: with a large offset, the rounding of
    # the mean to that dtype (half an ulp of the offset, over the noise's deviation) bounds
    # their precision
    tol = max(1e-9 if f64 else 3e-5, 2 * float(np.spacing(dtype(shift))) / noise)
    assert_close(y, y_ref, rtol=tol, what="y")
    assert_close(dx, dx_ref, rtol=tol, what="dx")
    # dscale = sum(dy * xhat): the same shift of xhat, times sum(dy)
    base = 1e-9 if f64 else 3e-5
    allowed = base * (np.abs(dscale_ref) + max(1.0, np.abs(dscale_ref).max())) + \
        tol * np.abs(doffset_ref)
    assert np.all(np.abs(dscale - dscale_ref) <= allowed), (dscale, dscale_ref)
    assert_close(doffset, doffset_ref, rtol=1e-12 if f64 else 1e-5, what="doffset")
    p = x.size // mean.size
    if name != "tiny" and -(-p // ChannelBlocks(p, mean.size, x.itemsize).k) > 1:
        assert_was_split(forced, blas=False)


def test_max_pool_runs_an_elementwise_tree_on_each_block(forced):
    """_MaxPoolEx: y, and a tree over (y, a mask of y's shape, a scalar) made block by
    block on two threads, equal to MaxPool followed by the tree."""
    from ember.ops.pool_ops import _POOL_OPS
    rng = np.random.default_rng(22)
    x = rng.standard_normal((24, 6, 8, 3)).astype(np.float32)
    keep = rng.random((24, 3, 4, 3)) < 0.7
    steps = ((np.multiply, (1, 2), None), (np.multiply, (3, 0), 0))  # (y * s) * keep
    attrs = dict(ksize=(2, 2), strides=(2, 2), dilations=(1, 1), padding="VALID",
                 data_format="NHWC")
    y, d = _POOL_OPS[2]["max_ex"].kernel(np, x, keep, np.float32(1.25), steps=steps,
                                         dtype="float32", y_at=1, **attrs)
    want_y = _POOL_OPS[2]["max"].kernel(np, x, **attrs)
    np.testing.assert_array_equal(y, want_y)
    np.testing.assert_array_equal(d, want_y * np.float32(1.25) * keep)
    assert d.dtype == np.float32
    assert_was_split(forced, blas=False)


def test_max_pool_gradient_makes_its_dy_block_by_block(forced):
    """_MaxPoolGradEx computes dy from an elementwise tree (operands of y's shape sliced
    per block, scalars whole) in each block, on two threads: the same dx as MaxPoolGrad
    given the whole dy."""
    from ember.ops.pool_ops import _POOL_OPS
    rng = np.random.default_rng(21)
    x = np.round(rng.standard_normal((24, 6, 8, 3)), 1).astype(np.float32)
    y = x.reshape(24, 3, 2, 4, 2, 3).max(axis=(2, 4))
    g = rng.standard_normal(y.shape).astype(np.float32)
    keep = rng.random(y.shape) < 0.7
    # dy = g * keep * 1.25 * (y > 0): steps over (g, keep, 1.25, y, 0)
    steps = ((np.multiply, (0, 1), None), (np.multiply, (5, 2), 0),
             (np.greater, (3, 4), None), (np.multiply, (6, 7), 0))
    attrs = dict(ksize=(2, 2), strides=(2, 2), dilations=(1, 1), padding="VALID",
                 data_format="NHWC")
    got = _POOL_OPS[2]["max_grad_ex"].kernel(np, x, y, g, keep, np.float32(1.25), y,
                                              np.float32(0), steps=steps, dtype="float32",
                                              **attrs)
    dy = g * keep * np.float32(1.25) * (y > 0)
    want = _POOL_OPS[2]["max_grad"].kernel(np, x, y, dy, **attrs)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    assert_was_split(forced, blas=False)


@pytest.mark.parametrize("relu", [False, True])
@pytest.mark.parametrize("rows", [6000, 37])                # blocks on threads; one block
def test_batch_norm_backward_writes_dx_over_dy_into(relu, rows, forced):
    """With ``into``, the batch-norm gradient's dx takes dy's buffer (the relu mask too is
    applied there) and equals the dx of a fresh buffer."""
    from ember.runtime.batch_norm_kernels import batch_norm_backward
    rng = np.random.default_rng(rows)
    x = (rng.standard_normal((rows, 24)) * 2 + 0.5).astype(np.float32)
    g = rng.standard_normal((rows, 24)).astype(np.float32)
    feats = np.maximum(rng.standard_normal((rows, 24)), 0).astype(np.float32) if relu \
        else None
    scale = rng.uniform(0.5, 2, 24).astype(np.float32)
    mean, var = x.mean(0), x.var(0)
    want = batch_norm_backward(g.copy(), x, scale, mean, var, 1e-3, features=feats,
                               with_sum=True)
    donor = g.copy()
    got = batch_norm_backward(donor, x, scale, mean, var, 1e-3, features=feats,
                              with_sum=True, into=True)
    assert got[0] is donor
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("offset, raw", [(0.5, True), (3.5, True), (4.5, False),
                                         (1000.0, False)])
def test_fused_batch_norm_statistics_from_raw_sums_or_around_a_shift(offset, raw, monkeypatch):
    """A block's raw sums give its statistics while mean**2 <= 16 * variance (unit noise:
    offsets up to 4), precisely; beyond, its moments around one of its values do. (The
    56 rows after the bulk block may fall either way near the bound.)"""
    from ember.runtime import batch_norm_kernels as normalization_ops
    calls = []
    real = normalization_ops.moments
    monkeypatch.setattr(normalization_ops, "moments",
                        lambda b: calls.append(len(b)) or real(b))
    rng = np.random.default_rng(int(offset * 10))
    c = 16
    x = (offset + rng.standard_normal((3000, c))).astype(np.float32)
    gy = rng.standard_normal((3000, c)).astype(np.float32)
    scale = rng.uniform(0.5, 1.5, c).astype(np.float32)
    xt = tf.constant(x.reshape(3000, 1, 1, c))
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y, mean, var = tf.nn.fused_batch_norm(xt, scale, np.zeros(c, np.float32),
                                              epsilon=EPS)
    dx = tape.gradient(y, xt, output_gradients=tf.constant(gy.reshape(xt.shape)))
    assert any(rows > 1000 for rows in calls) is not raw, calls
    _, mean_ref, var_ref, dx_ref, _, _ = ref_batch_norm(x, scale, np.zeros(c), gy, False)
    np.testing.assert_allclose(mean.numpy(), mean_ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(var.numpy(), var_ref, rtol=3e-6)
    assert_close(dx.numpy().reshape(3000, c), dx_ref, rtol=3e-5, what="dx")


def test_fused_batch_norm_blocks_choose_raw_sums_or_moments_each(monkeypatch):
    """Blocks decide one by one: rows near zero take raw sums, rows far from it their
    moments, and the blocks join precisely (the statistics against float64)."""
    from ember.runtime import batch_norm_kernels as normalization_ops
    calls = []
    real = normalization_ops.moments
    monkeypatch.setattr(normalization_ops, "moments",
                        lambda b: calls.append(len(b)) or real(b))
    monkeypatch.setattr(tuning, "CHANNEL_BLOCK_BYTES", 8 * 1024)
    rng = np.random.default_rng(5)
    c = 8
    x = rng.standard_normal((4096, c))
    x[2048:] += 300.0                  # the later blocks: mean**2 far above 16 * variance
    x = x.astype(np.float32)
    y, mean, var = normalization_ops.batch_norm_forward(x, np.ones(c, np.float32),
                                                        np.zeros(c, np.float32), EPS)
    per_block = 8 * 1024 // (4 * c)
    assert len(calls) == 2048 // per_block and set(calls) == {per_block}
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(mean, x64.mean(axis=0), rtol=1e-7)
    np.testing.assert_allclose(var, x64.var(axis=0), rtol=2e-6)


@pytest.mark.parametrize("rows", [4096, 4095])
def test_fused_batch_norm_variance_precision_with_default_blocks(rows):
    """With the default block size: x = 1000 + small noise, the variance to float32
    precision whether or not the row count is a multiple of the wide-row factor."""
    c = 16
    worst = 0.0
    for seed in range(3):
        x = (1000 + 0.1 * np.random.default_rng(seed).standard_normal((rows, c))
             ).astype(np.float32)
        _, mean, var = tf.nn.fused_batch_norm(x.reshape(rows, 1, 1, c), np.ones(c, np.float32),
                                              np.zeros(c, np.float32), epsilon=EPS)
        xd = x.astype(np.float64)
        want = ((xd - xd.mean(0)) ** 2).sum(0) / (rows - 1)
        worst = max(worst, float(np.abs(var.numpy() / want - 1).max()))
    assert worst < 2e-6, f"variance relative error {worst:.2e}"


# ------------------------------------------------------------------------- pooling ---

def ref_pool(x, kind, k, s, padding, gy):
    """max or avg pooling of channels-last x (float64) and its gradient given gy: each window
    gradient goes to the window's FIRST maximum in row-major order (max), or is spread over
    the window's non-padding elements (avg, which divides by their count)."""
    x = np.asarray(x, np.float64)
    n, h, w, c = x.shape
    pads = ref_pads((h, w), (k, k), (s, s), (1, 1), padding)
    fill = -np.inf if kind == "max" else 0.0
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)], constant_values=fill)
    valid = np.pad(np.ones((h, w)), pads)
    oh, ow = (xp.shape[1] - k) // s + 1, (xp.shape[2] - k) // s + 1
    y = np.zeros((n, oh, ow, c))
    dxp = np.zeros_like(xp)
    ni, ci = np.arange(n)[:, None], np.arange(c)[None, :]
    for i, j in np.ndindex(oh, ow):
        rows, cols = slice(i * s, i * s + k), slice(j * s, j * s + k)
        win = xp[:, rows, cols, :].reshape(n, k * k, c)
        g = np.asarray(gy, np.float64)[:, i, j, :]
        if kind == "max":
            first = win.argmax(axis=1)                 # NumPy's argmax: the first maximum
            y[:, i, j] = win.max(axis=1)
            np.add.at(dxp, (ni, i * s + first // k, j * s + first % k, ci), g)
        else:
            count = valid[rows, cols].sum()
            y[:, i, j] = win.sum(axis=1) / count
            dxp[:, rows, cols, :] += (g / count)[:, None, None, :] * valid[rows, cols][..., None]
    return y, dxp[:, pads[0][0]:pads[0][0] + h, pads[1][0]:pads[1][0] + w]


def pool_input(data, shape, seed):
    rng = np.random.default_rng(seed)
    if data == "distinct":
        return rng.permutation(np.prod(shape)).reshape(shape).astype(np.float32) / 7.0
    if data == "relu":
        return np.maximum(rng.standard_normal(shape), 0).astype(np.float32)
    return rng.integers(0, 3, shape).astype(np.float32)            # "integers"


def pool_out_shape(shape, k, s, padding):
    n, h, w, c = shape
    if padding == "SAME":
        return (n, -(-h // s), -(-w // s), c)
    return (n, (h - k) // s + 1, (w - k) // s + 1, c)


POOL_WINDOWS = {"k2s2": (2, 2, "VALID"), "k3s2-same": (3, 2, "SAME"),
                "k3s1": (3, 1, "VALID"), "k3s1-same": (3, 1, "SAME")}
POOL_SHAPES = [(5, 7, 8, 3), (1, 6, 6, 2)]


def run_pool(kind, x, k, s, padding, gy, cf):
    fn = tf.nn.max_pool2d if kind == "max" else tf.nn.avg_pool2d
    xt = tf.constant(to_cf(x) if cf else x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = fn(xt, k, s, padding, data_format="NCHW" if cf else "NHWC")
    dx = tape.gradient(y, xt, output_gradients=tf.constant(to_cf(gy) if cf else gy))
    y, dx = y.numpy(), dx.numpy()
    return (to_cl(y), to_cl(dx)) if cf else (y, dx)


@pytest.mark.parametrize("cf", [False, True], ids=["channels_last", "channels_first"])
@pytest.mark.parametrize("shape", POOL_SHAPES, ids=["batch5", "batch1"])
@pytest.mark.parametrize("data", ["distinct", "relu", "integers"])
@pytest.mark.parametrize("window", list(POOL_WINDOWS))
def test_max_pool2d_first_maximum(window, data, shape, cf, forced):
    k, s, padding = POOL_WINDOWS[window]
    x = pool_input(data, shape, seed=len(window) + len(data))
    gy = np.random.default_rng(3).standard_normal(pool_out_shape(shape, k, s, padding)) \
        .astype(np.float32)
    y_ref, dx_ref = ref_pool(x, "max", k, s, padding, gy)
    if data != "distinct":
        # the data has ties that matter: the last maximum of each window would differ
        _, dx_last = ref_pool(x[:, ::-1, ::-1], "max", k, s, padding, gy[:, ::-1, ::-1])
        if padding == "VALID" and (x.shape[1] - k) % s == 0 and (x.shape[2] - k) % s == 0:
            assert not np.allclose(dx_last[:, ::-1, ::-1], dx_ref)
    y, dx = run_pool("max", x, k, s, padding, gy, cf)
    np.testing.assert_array_equal(y, y_ref.astype(np.float32))
    assert_close(dx, dx_ref, rtol=1e-6, what="dx")
    # (pooling walks its batch in blocks of images; it may keep them in the calling thread)


def test_max_pool2d_gradient_goes_to_the_first_maximum_by_hand(forced):
    x = np.zeros((3, 2, 4, 1), np.float32)
    x[1, 1, 0, 0] = x[1, 0, 1, 0] = 5.0          # two maxima of image 1's first window
    x[2, :, 2:, 0] = 1.0                         # all equal in image 2's second window
    gy = np.arange(1, 7, dtype=np.float32).reshape(3, 1, 2, 1)
    _, dx = run_pool("max", x, 2, 2, "VALID", gy, False)
    want = np.zeros_like(x)
    for img in range(3):
        want[img, 0, 0, 0] = gy[img, 0, 0, 0]     # ties: the window's top-left comes first
        want[img, 0, 2, 0] = gy[img, 0, 1, 0]
    want[1, 0, 0, 0] = 0
    want[1, 0, 1, 0] = gy[1, 0, 0, 0]            # (0, 1) comes before (1, 0) in row-major
    np.testing.assert_array_equal(dx, want)


@pytest.mark.parametrize("cf", [False, True], ids=["channels_last", "channels_first"])
@pytest.mark.parametrize("shape", POOL_SHAPES, ids=["batch5", "batch1"])
@pytest.mark.parametrize("window", list(POOL_WINDOWS))
def test_avg_pool2d(window, shape, cf, forced):
    k, s, padding = POOL_WINDOWS[window]
    x = pool_input("relu", shape, seed=len(window))
    gy = np.random.default_rng(4).standard_normal(pool_out_shape(shape, k, s, padding)) \
        .astype(np.float32)
    y_ref, dx_ref = ref_pool(x, "avg", k, s, padding, gy)
    y, dx = run_pool("avg", x, k, s, padding, gy, cf)
    assert_close(y, y_ref, rtol=1e-6, what="y")
    assert_close(dx, dx_ref, rtol=1e-6, what="dx")


# -------------------------------------------- forced vs default settings, determinism ---

def _conv_all():
    out = []
    for name in ("2d-same", "2d-groups3-s2", "2d-explicit-s2", "1d-valid-s2", "3d-same"):
        x, w, gy = conv_case(name)[:3]
        out += run_conv(name, False, x, w, gy)
        out += run_conv(name, True, x, w, gy)
    return out


def _transpose_all():
    xs, ws, out, stride, padding = TRANSPOSE_CASES["s2-same-odd"]
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(xs).astype(np.float32), rng.standard_normal(ws).astype(np.float32)
    d = rng.standard_normal((3, 9, 8, 4)).astype(np.float32)
    f = rng.standard_normal((3, 3, 4, 2)).astype(np.float32)
    return [tf.nn.conv2d_transpose(x, w, list(out), stride, padding).numpy(),
            tf.nn.depthwise_conv2d(d, f, [1, 2, 2, 1], "SAME").numpy()]


def _bn_all():
    out = []
    # (not the float32 cases with a large offset: there one ulp of the float32 mean, which
    # a different summation order may move, is a large change of y)
    for name in ("c16-odd-rows", "c3-short-last-block", "c8-float64-offset-1e6", "nchw-c16",
                 "rank2-c5"):
        x, scale, offset, gy = bn_case(name)[:4]
        out += run_batch_norm(name, x, scale, offset, gy)
    return out


def _pool_all():
    out = []
    x = pool_input("relu", (5, 7, 8, 3), 0)
    rng = np.random.default_rng(1)
    for k, s, padding in POOL_WINDOWS.values():
        gy = rng.standard_normal(pool_out_shape(x.shape, k, s, padding)).astype(np.float32)
        for kind in ("max", "avg"):
            for cf in (False, True):
                out += run_pool(kind, x, k, s, padding, gy, cf)
    return out


@pytest.mark.parametrize("compute", [_conv_all, _transpose_all, _bn_all, _pool_all],
                         ids=["conv", "transpose-depthwise", "batch_norm", "pool"])
def test_forced_splitting_matches_default_and_is_deterministic(compute):
    default = compute()
    with forced_splitting() as record:
        first = compute()
        second = compute()
    if compute is not _pool_all:
        assert_was_split(record, blas=compute is not _bn_all)
    with forced_splitting(threads=3):
        third = compute()
    assert len(first) == len(default) == len(second)
    # batch norm sums each block in float32 (see the variance precision test): a different
    # block size moves its statistics by a few float32 ulps more than the other kernels
    rtol = 1e-5 if compute is _bn_all else 2e-6
    for i, (a, b, c, d) in enumerate(zip(default, first, second, third)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(b, c, err_msg=f"result {i} differs between two runs")
        assert_close(b, a, rtol=rtol, what=f"result {i}: forced splitting vs default")
        assert_close(d, a, rtol=rtol, what=f"result {i}: 3 threads vs default")


# blocks of whole padded images run through prepared views and products (_Patches.plan):
# the same numbers as the general path, block by block (the filter gradient up to its
# summation order), and as the reference
LEAN_CASES = {
    "stacks-and-rest": ((4, 29, 29, 32), (3, 3, 32, 32)),     # 841 rows: 8 stacks + 1 row
    "images-per-block": ((6, 14, 14, 32), (3, 3, 32, 64)),    # 4 images per block, 2 left
    "64-channels": ((5, 14, 14, 64), (3, 3, 64, 64)),         # dw stacked over K
}


@pytest.mark.parametrize("name", list(LEAN_CASES))
def test_conv_prepared_blocks_match_the_general_path(name, monkeypatch):
    xs, ws = LEAN_CASES[name]
    x, w, gy, y_ref, dx_ref, dw_ref = conv_inputs(xs, ws, 1, "SAME", 1, len(name))
    bias = np.random.default_rng(1).standard_normal(ws[-1]).astype(np.float32)
    geom = ((1, 1), (1, 1), "SAME")
    plans = []
    real_plan = conv_kernels._Patches.plan
    monkeypatch.setattr(conv_kernels._Patches, "plan",
                        lambda self, *a: plans.append(real_plan(self, *a)) or plans[-1])
    saved = parallel._requested
    parallel.set_num_threads(2)
    try:
        got = {}
        real_lean = conv_kernels._Patches.lean
        for lean in (True, False):      # False: every block the general way
            monkeypatch.setattr(conv_kernels._Patches, "lean",
                                real_lean if lean else lambda self: False)
            got[lean] = (conv_kernels.conv_forward(x, w, *geom, bias=bias),
                         *conv_kernels.conv_backprop(x, w, gy, *geom),
                         conv_kernels.conv_filter_grad(x, w.shape, gy, *geom))
    finally:
        parallel.set_num_threads(saved)
    assert plans, "the prepared path did not run"
    if name == "64-channels" and parallel.small_gemm_macs():
        # the filter gradient as a stack over the patches' columns (_k_rows)
        assert any(entry[8] < 0 for plan in plans for entry in plan)
    for a, b, what in zip(got[True], got[False], ("y", "dx", "dw", "filter dw")):
        # the same sums, made by BLAS products of other shapes (and the filter gradient
        # stacked over K rather than over rows): equal up to float32's last digits
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6 * np.abs(b).max(), err_msg=what)
    y, dx, dw, dw2 = got[True]
    assert_close(y, y_ref + bias, what="y")
    assert_close(dx, dx_ref, what="dx")
    assert_close(dw, dw_ref, rtol=1e-4, what="dw")
    assert_close(dw2, dw_ref, rtol=1e-4, what="filter dw")


@pytest.mark.parametrize("m, cx, k, want", [(392, 64, 576, 36), (256, 64, 576, 48),
                                            (196, 64, 576, 72), (784, 64, 576, 0),
                                            (392, 64, 100, 25)])
def test_filter_gradient_stacks_over_k_rows(m, cx, k, want, monkeypatch):
    """The largest divisor of k of 24 or more whose product fits the small-matrix kernel."""
    monkeypatch.setattr(parallel, "_small_gemm", 1_000_000)
    assert conv_kernels._k_rows(m, cx, k, np.dtype(np.float32)) == want
    assert conv_kernels._k_rows(m, cx, k, np.dtype(np.float64)) == 0
    monkeypatch.setattr(parallel, "_small_gemm", 0)
    assert conv_kernels._k_rows(m, cx, k, np.dtype(np.float32)) == 0
