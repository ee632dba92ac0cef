"""Whole-sequence recurrent ops: LSTM, GRU (both reset_after variants) and simple RNN.

``RNNSequence`` runs a recurrent layer over all time steps in one kernel: the inputs of
every step are projected at once (one tall product per gate) into a gate-outermost buffer
(gate, time, batch, units), then a loop over time does the step's product per gate (one
batched matmul) and the gates' elementwise work on contiguous blocks, in place in buffers
made once. With enough work per
step the batch rows are shared out across ember's threads, each running every step on its
rows. It saves what the backward pass needs (activated gates, the states of every step, x
time-major), and its gradient ``RNNSequenceGrad`` runs backpropagation through time in one
kernel over the same row shares, the input's and the weights' gradients being one product
each over all steps at the end.

Layout and semantics follow Keras exactly:
- weights ``kernel (input_dim, G)``, ``recurrent_kernel (units, G)`` with gates in Keras's
  order (LSTM i, f, c, o; GRU z, r, h), bias ``(G,)`` (GRU ``reset_after``: ``(2, G)``,
  input bias then recurrent bias);
- a mask ``(batch, time)``: at a masked step states are carried over and the output is
  the previous step's output (zeros with ``zero_output``); the first "previous output"
  is zeros;
- ``go_backwards`` processes the steps last to first and returns outputs in that order;
- an optional recurrent-dropout mask ``(batch, units)`` multiplies the previous h before
  its product with the recurrent kernel (Keras's one mask for all gates).

Inputs: ``x, h0, [c0 (lstm)], kernel, recurrent_kernel, bias, [mask], [rmask]``.
Outputs: ``sequence (batch, time, units), last output, h_T, [c_T]`` and saved arrays.
"""
from __future__ import annotations

import threading

import numpy as np

from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.engine.dispatch import execute
from ember.runtime import memory, parallel, tuning
from ember.framework.tensor_shape import TensorShape
from ember.ops._base import tensor

__all__ = ["rnn_sequence", "FUSED_ACTIVATIONS", "CELLS"]

CELLS = ("lstm", "gru", "gru_v1", "simple")
FUSED_ACTIVATIONS = ("tanh", "sigmoid", "relu", "linear", "hard_sigmoid")
_GATES = {"lstm": 4, "gru": 3, "gru_v1": 3, "simple": 1}


# ------------------------------------------------------------------ activations ---

def _activate(name, a):
    """``a = name(a)`` in place."""
    if name == "tanh":
        np.tanh(a, out=a)
    elif name == "sigmoid":     # 1 / (1 + exp(-a)) = (tanh(a / 2) + 1) / 2
        a *= 0.5
        np.tanh(a, out=a)
        a *= 0.5
        a += 0.5
    elif name == "relu":
        np.maximum(a, 0, out=a)
    elif name == "hard_sigmoid":    # Keras 3: relu6(x + 3) / 6
        a += 3.0
        np.clip(a, 0.0, 6.0, out=a)
        a *= 1.0 / 6.0


def _derivative(name, y, out):
    """``out = name'(z)`` from the activation's output ``y = name(z)``."""
    if name == "tanh":
        np.multiply(y, y, out=out)
        np.subtract(1, out, out=out)
    elif name == "sigmoid":
        np.subtract(1, y, out=out)
        out *= y
    elif name == "relu":
        np.greater(y, 0, out=out)
    elif name == "hard_sigmoid":
        np.greater(y, 0, out=out)
        out *= (y < 1)
        out *= 1.0 / 6.0
    else:
        out.fill(1)
    return out


def _lstm_gate_scale(units, dtype):
    """Column scale for the default LSTM gates: sigmoid(z) = s*tanh(s*z) + (1 - s) with
    s = 1/2, and tanh with s = 1, so one tanh covers all four gates."""
    s = np.full(4 * units, 0.5, dtype)
    s[2 * units:3 * units] = 1
    return s, (1 - s).astype(dtype)


def _gate_prescale(attrs, units, dtype):
    """The scale folded into the weights (so into every pre-activation) for the default
    LSTM gates and GRU sigmoid gates (1/2 for z and r), else None."""
    if attrs["cell"] == "lstm" and attrs["activation"] == "tanh" and \
            attrs["recurrent_activation"] == "sigmoid":
        return _lstm_gate_scale(units, dtype)[0]
    if attrs["cell"] in ("gru", "gru_v1") and attrs["recurrent_activation"] == "sigmoid":
        s = np.full(3 * units, 0.5, dtype)
        s[2 * units:] = 1
        return s
    return None


def _half_scaled_sigmoid(a):
    """``a = sigmoid(2 a)`` in place: the gate's pre-activation came out halved."""
    np.tanh(a, out=a)
    a *= 0.5
    a += 0.5


# ------------------------------------------------------------ large products ---

class _Chunks:
    """Work items ``0..n-1`` (the products of a run of time steps), each done once by
    whichever thread claims it first, claimed in order. The other thread drains them while
    the step loop asks for each one when it needs it, doing it itself if nobody has claimed
    it yet: the same code runs on one thread or two, and never waits for a thread that is
    not there (``parallel.run`` may run its shares one after another)."""

    def __init__(self, n, work):
        self.n, self._work = n, work
        self._next = 0
        self._lock = threading.Lock()
        self._done = [threading.Event() for _ in range(n)]
        self.failed = False

    def _claim(self, upto):
        with self._lock:
            i = self._next
            if i >= self.n or i > upto:
                return None
            self._next = i + 1
            return i

    def _do(self, i):
        try:
            self._work(i)
        except BaseException:
            self.failed = True
            raise
        finally:
            self._done[i].set()

    def drain(self, *_):
        """Claims and does items until none are left."""
        while (i := self._claim(self.n)) is not None:
            self._do(i)

    def need(self, i):
        """Returns once item ``i`` is done (doing the unclaimed items up to it here), False
        when some item failed (its thread raises the error)."""
        while not self._done[i].is_set():
            j = self._claim(i)
            if j is None:
                self._done[i].wait()
                break
            self._do(j)
        return not self.failed


def _runs(T, B):
    """The runs of steps (t0, t1) the large products go by, in the order the steps are
    taken: about tuning.RNN_CHUNK_ROWS rows each, the first a quarter of that so that the
    step loop (or the other thread behind it) starts soon."""
    per = max(1, min(T, -(-tuning.RNN_CHUNK_ROWS // max(B, 1))))
    edges = [0, min(T, max(1, per // 4))] if T else [0]
    while edges[-1] < T:
        edges.append(min(T, edges[-1] + per))
    return list(zip(edges[:-1], edges[1:]))


def _projection(x, backwards, Wb, xt, A):
    """``project(t0, t1)``: steps t0:t1 of ``x`` (batch, time, K) time-major into ``xt``
    (with a last feature of ones, for the bias; steps reversed for ``go_backwards``), and
    their input projection ``xt @ Wb (K + 1, G)`` into ``A`` (gates, T, B, U),
    gate-outermost so that each gate of each step is one contiguous (B, U) block: one tall
    product per gate (N = U wide; BLAS runs those at full speed)."""
    gates, _, B, U = A.shape
    tall = _gate_outermost(B)
    W4 = _gate_major(Wb, gates) if tall else None
    src = x[:, ::-1] if backwards else x

    def project(t0, t1):
        xt[t0:t1, :, :-1] = src[:, t0:t1].transpose(1, 0, 2)
        xt[t0:t1, :, -1] = 1
        X = xt[t0:t1].reshape(-1, xt.shape[2])
        if tall:
            for g in range(gates):
                np.matmul(X, W4[g], out=A[g, t0:t1].reshape(X.shape[0], -1))
        elif B == 1:       # (steps, gates, 1, U) is the product's own layout
            np.matmul(X, Wb, out=A[:, t0:t1].transpose(1, 0, 2, 3).reshape(t1 - t0, -1))
        else:
            P = np.matmul(X, Wb).reshape(t1 - t0, B, gates, U)
            A[:, t0:t1] = P.transpose(2, 0, 1, 3)
    return project


def _gate_outermost(B):
    """Whether the projection buffer is laid out (gates, T, B, U), one tall product per gate
    filling it; with few batch rows it is (T, gates, B, U) instead (seen through a
    transposed view, so indexing is the same), so that a step's gates are one contiguous
    block: elementwise calls on several short blocks cost more than the products save."""
    return B >= 16


def _projection_buffer(gates, T, B, U, dt):
    if _gate_outermost(B):
        return _BUFFERS.empty((gates, T, B, U), dt)
    return _BUFFERS.empty((T, gates, B, U), dt).transpose(1, 0, 2, 3)


def _split_rows(B, G):
    """Shares of the batch rows for threads that each run every step on their rows, or a
    single share when the steps are too small to split (see tuning.RNN_ROW_SPLIT_ELEMENTS)."""
    if parallel.num_threads() < 2:
        return [(0, B)]
    return parallel.split(B, G, tuning.RNN_ROW_SPLIT_ELEMENTS)


def _run_with_chunks(loop, chunks, B, G, macs):
    """Runs ``loop(lo, hi)`` (the step loop over batch rows lo:hi, which calls
    ``chunks.need`` or signals the chunks' inputs as it goes) and every item of ``chunks``:
    with large steps every thread runs its rows (the chunks then drained by all threads
    before or after, as ``loop`` needs them); otherwise the caller runs all the steps
    while the other threads work through the chunks, and joins in when its loop ends."""
    threads = parallel.num_threads()
    shares = _split_rows(B, G)
    if len(shares) > 1:
        return shares
    if threads > 1 and chunks.n > 1 and macs >= tuning.RNN_SPLIT_MACS:
        def share(lo, _hi):
            if lo == 0:
                loop(0, B)
            chunks.drain()
        parallel.run(share, [(i, i) for i in range(min(threads, chunks.n + 1))], blas=True)
    else:
        parallel.park_spinning_workers()
        loop(0, B)
        chunks.drain()
    return None


def _gate_major(R, gates):
    """(K, gates*U) -> (gates, K, U): the kernel of each gate."""
    K, G = R.shape
    return np.ascontiguousarray(R.reshape(K, gates, G // gates).transpose(1, 0, 2))


# The op's large arrays (projections, states, gradients), reused step after step once
# nothing holds them (memory.Recycler): a fresh mapping faults in every page.
_BUFFERS = memory.Recycler(keep=24)


# -------------------------------------------------------------------- the op ---

def _layout(attrs):
    """Positions of the op's inputs for these attributes."""
    lstm = attrs["cell"] == "lstm"
    pos = {"x": 0, "h0": 1}
    i = 2
    if lstm:
        pos["c0"] = i
        i += 1
    pos["W"], pos["R"], pos["b"] = i, i + 1, i + 2
    i += 3
    if attrs["masked"]:
        pos["mask"] = i
        i += 1
    if attrs["rdrop"]:
        pos["rmask"] = i
        i += 1
    return pos, i


def _bias_shape(cell, units):
    g = _GATES[cell] * units
    return (2, g) if cell == "gru" else (g,)


class _RNNSequence(Op):
    name = "RNNSequence"

    def output_count(self, attrs):
        return 9 if attrs["cell"] == "lstm" else 7

    def infer(self, inputs, cell, activation, recurrent_activation, go_backwards, masked,
              rdrop, zero_output):
        pos, n = _layout(locals())
        if len(inputs) != n:
            raise InvalidArgumentError(f"RNNSequence({cell}) takes {n} inputs, got "
                                       f"{len(inputs)} [Op:RNNSequence]")
        x, R = inputs[pos["x"]], inputs[pos["R"]]
        dt = x.dtype
        if x.shape.rank is not None and x.shape.rank != 3:
            raise InvalidArgumentError(f"RNNSequence: inputs must be (batch, time, features), "
                                       f"got shape {x.shape} [Op:RNNSequence]")
        b, t, d = x.shape.as_list() if x.shape.rank is not None else (None, None, None)
        u = R.shape.as_list()[0] if R.shape.rank is not None else None
        ng = _GATES[cell]
        seq = TensorShape([b, t, u])
        vec = TensorShape([b, u])
        steps1 = None if t is None else t + 1
        outs = [(seq, dt), (vec, dt), (vec, dt)]
        if cell == "lstm":
            outs += [(vec, dt), (TensorShape([ng, t, b, u]), dt),
                     (TensorShape([steps1, b, u]), dt), (TensorShape([steps1, b, u]), dt),
                     (TensorShape([t, b, u]), dt)]
        elif cell == "simple":
            outs += [(TensorShape([ng, t, b, u]), dt), (TensorShape([steps1, b, u]), dt),
                     (TensorShape([0]), dt)]
        else:
            outs += [(TensorShape([ng, t, b, u]), dt), (TensorShape([steps1, b, u]), dt),
                     (TensorShape([t, b, u]), dt)]
        outs.append((TensorShape([t, b, None if d is None else d + 1]), dt))   # x, time-major
        return outs

    def kernel(self, xp, *arrays, **attrs):
        with parallel.single_threaded_blas():    # small products, one after another
            return self._forward(arrays, attrs)

    def _forward(self, arrays, attrs):
        pos, _ = _layout(attrs)
        x = arrays[pos["x"]]
        W, R, bias = arrays[pos["W"]], arrays[pos["R"]], arrays[pos["b"]]
        cell = attrs["cell"]
        dt = x.dtype
        B, T, _ = x.shape
        U = R.shape[0]
        G = _GATES[cell] * U
        scale = _gate_prescale(attrs, U, dt)
        if scale is not None:      # the gates' pre-activations come out scaled
            W, R, bias = W * scale, R * scale, bias * scale
        # the bias (GRU reset_after: with the recurrent bias of z and r, which is outside
        # the reset gate's product) rides along in the projection, x having a column of ones
        b_in = bias
        if cell == "gru":
            b_in = bias[0].copy()
            b_in[:2 * U] += bias[1, :2 * U]
        gates = _GATES[cell]
        xt = _BUFFERS.empty((T, B, x.shape[2] + 1), dt)    # x time-major, for the backward pass
        A = _projection_buffer(gates, T, B, U, dt)
        project = _projection(x, attrs["go_backwards"], np.concatenate([W, b_in[None]]), xt, A)
        runs = _runs(T, B)
        chunks = _Chunks(len(runs), lambda j: project(*runs[j]))
        Hs = _BUFFERS.empty((T + 1, B, U), dt)
        Hs[0] = arrays[pos["h0"]]
        Cs = None
        if cell == "lstm":
            Cs = _BUFFERS.empty((T + 1, B, U), dt)
            Cs[0] = arrays[pos["c0"]]
        M = _time_mask(arrays[pos["mask"]], attrs["go_backwards"]) if attrs["masked"] else None
        rm = arrays[pos["rmask"]] if attrs["rdrop"] else None
        O = _BUFFERS.empty((T, B, U), dt) if M is not None else None
        saved = _BUFFERS.empty((T, B, U) if cell != "simple" else (0,), dt)
        seq = _BUFFERS.empty((B, T, U), dt)
        outs_t = O if O is not None else Hs[1:]


        def rows(lo, hi):      # batch rows lo:hi over all steps, independent of the others
            r = slice(lo, hi)
            step = _STEPS[cell](A[:, :, r], Hs[:, r], None if Cs is None else Cs[:, r],
                                saved[:, r] if saved.ndim == 3 else saved, R, bias,
                                None if rm is None else rm[r], attrs)
            if M is None:
                step.run(runs, chunks.need)
            else:
                _masked_forward(step, runs, chunks.need, M[:, r], O[:, r],
                                attrs["zero_output"])
            seq[r] = outs_t[:, r].transpose(1, 0, 2)
        shares = _run_with_chunks(rows, chunks, B, G, T * B * xt.shape[2] * G)
        if shares is not None:     # large steps: project on every thread, then split rows
            parallel.run(chunks.drain, [(0, 0)] * len(shares), blas=True)
            parallel.run(rows, shares, blas=True)
        last = outs_t[T - 1].copy() if T else np.zeros((B, U), dt)
        result = [seq, last, Hs[T].copy()]
        if cell == "lstm":
            result += [Cs[T].copy(), A, Hs, Cs, saved]
        else:
            result += [A, Hs, saved]
        return tuple(result + [xt])

    def grad(self, call, *grads):
        attrs = call.attrs
        pos, n = _layout(attrs)
        lstm = attrs["cell"] == "lstm"
        dseq, dlast, dh = grads[0], grads[1], grads[2]
        dc = grads[3] if lstm else None
        given = [g for g in (dseq, dlast, dh, dc) if g is not None]
        flags = {"has_dseq": dseq is not None, "has_dlast": dlast is not None,
                 "has_dh": dh is not None, "has_dc": dc is not None}
        inp = call.inputs
        extra = [inp[pos["x"]], inp[pos["W"]], inp[pos["R"]]]
        if attrs["masked"]:
            extra.append(inp[pos["mask"]])
        if attrs["rdrop"]:
            extra.append(inp[pos["rmask"]])
        saved = list(call.outputs[4:] if lstm else call.outputs[3:])
        out = execute(RNN_SEQUENCE_GRAD, given + extra + saved, dict(attrs, **flags))
        result = [None] * n
        result[pos["x"]], result[pos["h0"]] = out[0], out[1]
        i = 2
        if lstm:
            result[pos["c0"]] = out[2]
            i = 3
        result[pos["W"]], result[pos["R"]], result[pos["b"]] = out[i], out[i + 1], out[i + 2]
        return result

    grad_accepts_none = True


def _time_mask(mask, backwards):
    m = mask.astype(bool, copy=False).T
    if backwards:
        m = m[::-1]
    return np.ascontiguousarray(m)[:, :, None]


def _steps(runs, need):
    """The steps of ``runs`` in order, ``need(j)`` called before run j's; stops early when
    it returns False."""
    for j, (t0, t1) in enumerate(runs):
        if not need(j):
            return
        yield from range(t0, t1)


def _masked_forward(step, runs, need, M, O, zero_output):
    """The forward loop with a mask: a masked step carries the states over and repeats the
    previous output (zeros with ``zero_output``); ``runs`` and ``need`` as in
    ``_Step.run``."""
    Hs, Cs = step.Hs, step.Cs
    B, U = Hs.shape[1:]
    hp = np.empty((B, U), Hs.dtype)
    cp = np.empty((B, U), Hs.dtype) if Cs is not None else None
    zeros = np.zeros((B, U), Hs.dtype)
    for k in _steps(runs, need):
        step(k, hp, cp)
        m = M[k]
        np.copyto(O[k], hp)
        np.copyto(O[k], zeros if zero_output or not k else O[k - 1], where=~m)
        np.copyto(Hs[k + 1], Hs[k])
        np.copyto(Hs[k + 1], hp, where=m)
        if Cs is not None:
            np.copyto(Cs[k + 1], Cs[k])
            np.copyto(Cs[k + 1], cp, where=m)


# ------------------------------------------------------------- forward steps ---

def _gemm_pieces(rows, macs_per_row):
    """Row slices of a step's product small enough for BLAS's unpacked small-matrix kernel
    where it has one (parallel.small_gemm_macs): the recurrent weights are then read in
    place each step rather than packed."""
    small = parallel.small_gemm_macs()
    n = 1 if not small else max(1, -(-rows * macs_per_row // small))
    n = min(n, rows) if rows else 1
    edges = [rows * i // n for i in range(n + 1)]
    return [slice(a, b) for a, b in zip(edges[:-1], edges[1:])]


class _Step:
    """One time step of a cell over some batch rows (``__call__(k, h_out, c_out)``), on
    views of the op's buffers, with its scratch buffers made once. ``self.A[k]`` (the
    projection buffer seen step-major) holds step k's gates, (gates, rows, U), each gate a
    contiguous block; the step product runs per gate, ``h (rows, U) @ R (gates, U, U)``,
    into the same layout."""

    Cs = None

    def run(self, runs, need):
        """Every step, without a mask: the new states go straight into Hs (and Cs). The
        steps go by ``runs``; ``need(j)`` before run j makes sure its input projection is
        there (False: the thread making it failed, and raises)."""
        Hs, Cs = self.Hs, self.Cs
        for j, (t0, t1) in enumerate(runs):
            if not need(j):
                return
            if Cs is None:
                for k in range(t0, t1):
                    self(k, Hs[k + 1], None)
            else:
                for k in range(t0, t1):
                    self(k, Hs[k + 1], Cs[k + 1])

    def _previous(self, k):
        h = self.Hs[k]
        if self.rm is not None:
            h = np.multiply(h, self.rm, out=self.hr)
        return h


class _LSTMStep(_Step):
    def __init__(self, A, Hs, Cs, saved, R, bias, rm, attrs):
        _, T, B, U = A.shape
        self.A, self.Hs, self.Cs, self.rm, self.U = A.swapaxes(0, 1), Hs, Cs, rm, U
        self.R4 = _gate_major(R, 4)
        self.pieces = _gemm_pieces(B, U * U)
        self.tmp = np.empty((4, B, U), A.dtype)
        self.tu = np.empty((B, U), A.dtype)
        self.hr = np.empty((B, U), A.dtype) if rm is not None else None
        self.saved = saved    # tanh of the new cell state
        self.act, self.ract = attrs["activation"], attrs["recurrent_activation"]
        self.fast = self.act == "tanh" and self.ract == "sigmoid"
        if self.fast:
            s, s1 = _lstm_gate_scale(1, A.dtype)
            self.s, self.s1 = s.reshape(4, 1, 1), s1.reshape(4, 1, 1)

    def __call__(self, k, h_out, c_out):
        z, tu, h = self.A[k], self.tu, self._previous(k)
        if len(self.pieces) == 1:
            np.matmul(h, self.R4, out=self.tmp)
        else:
            for p in self.pieces:
                np.matmul(h[p], self.R4, out=self.tmp[:, p])
        z += self.tmp
        if self.fast:          # z already holds s * pre-activation (_gate_prescale)
            np.tanh(z, out=z)
            z *= self.s
            z += self.s1
        else:
            _activate(self.ract, z[:2])
            _activate(self.act, z[2])
            _activate(self.ract, z[3])
        np.multiply(z[1], self.Cs[k], out=c_out)
        np.multiply(z[0], z[2], out=tu)
        c_out += tu
        tc = self.saved[k]
        if self.act == "tanh":
            np.tanh(c_out, out=tc)
        else:
            np.copyto(tc, c_out)
            _activate(self.act, tc)
        np.multiply(z[3], tc, out=h_out)


class _GRUStep(_Step):
    def __init__(self, A, Hs, Cs, saved, R, bias, rm, attrs):
        _, T, B, U = A.shape
        self.A, self.Hs, self.rm, self.U = A.swapaxes(0, 1), Hs, rm, U
        self.after = attrs["cell"] == "gru"
        self.rbias_h = bias[1, 2 * U:] if self.after else None   # inside r * (...)
        R3 = _gate_major(R, 3)
        self.R3, self.R_zr, self.R_h = R3, R3[:2], R3[2]
        self.tmp = np.empty((3 if self.after else 2, B, U), A.dtype)
        self.tu = np.empty((B, U), A.dtype)
        self.hr = np.empty((B, U), A.dtype) if rm is not None else None
        self.saved = saved    # the candidate's recurrent part (reset_after) or r * h
        self.act, self.ract = attrs["activation"], attrs["recurrent_activation"]
        self.gates = _half_scaled_sigmoid if self.ract == "sigmoid" else \
            (lambda a: _activate(self.ract, a))

    def __call__(self, k, h_out, c_out):
        z, tu, tmp, rh = self.A[k], self.tu, self.tmp, self.saved[k]
        h = self.Hs[k]
        hr = self._previous(k)
        if self.after:
            np.matmul(hr, self.R3, out=tmp)
            z[:2] += tmp[:2]
            self.gates(z[:2])
            np.add(tmp[2], self.rbias_h, out=rh)
            np.multiply(z[1], rh, out=tu)
        else:
            np.matmul(hr, self.R_zr, out=tmp)
            z[:2] += tmp
            self.gates(z[:2])
            np.multiply(z[1], hr, out=rh)
            np.matmul(rh, self.R_h, out=tu)
        hh = z[2]
        hh += tu
        _activate(self.act, hh)
        # h' = hh + z * (h - hh)
        np.subtract(h, hh, out=h_out)
        h_out *= z[0]
        h_out += hh


class _SimpleStep(_Step):
    def __init__(self, A, Hs, Cs, saved, R, bias, rm, attrs):
        _, T, B, U = A.shape
        self.A, self.Hs, self.R, self.rm = A.swapaxes(0, 1), Hs, R, rm
        self.tmp = np.empty((B, U), A.dtype)
        self.hr = np.empty((B, U), A.dtype) if rm is not None else None
        self.act = attrs["activation"]

    def __call__(self, k, h_out, c_out):
        z = self.A[k, 0]
        np.matmul(self._previous(k), self.R, out=self.tmp)
        z += self.tmp
        _activate(self.act, z)
        np.copyto(h_out, z)


_STEPS = {"lstm": _LSTMStep, "gru": _GRUStep, "gru_v1": _GRUStep, "simple": _SimpleStep}

RNN_SEQUENCE = _RNNSequence()


# ------------------------------------------------------------------ the gradient ---

def _grad_layout(attrs):
    pos = {}
    i = 0
    for key in ("dseq", "dlast", "dh", "dc"):
        if attrs["has_" + key]:
            pos[key] = i
            i += 1
    for key in ("x", "W", "R"):
        pos[key] = i
        i += 1
    if attrs["masked"]:
        pos["mask"] = i
        i += 1
    if attrs["rdrop"]:
        pos["rmask"] = i
        i += 1
    names = ("A", "Hs", "Cs", "saved", "xt") if attrs["cell"] == "lstm" else \
        ("A", "Hs", "saved", "xt")
    for key in names:
        pos[key] = i
        i += 1
    return pos


class _RNNSequenceGrad(Op):
    name = "RNNSequenceGrad"

    def output_count(self, attrs):
        return 6 if attrs["cell"] == "lstm" else 5

    def infer(self, inputs, **attrs):
        pos = _grad_layout(attrs)
        x, W, R = inputs[pos["x"]], inputs[pos["W"]], inputs[pos["R"]]
        dt = x.dtype
        b = x.shape.as_list()[0] if x.shape.rank is not None else None
        u = R.shape.as_list()[0] if R.shape.rank is not None else None
        bias = TensorShape(_bias_shape(attrs["cell"], u)) if u is not None else \
            TensorShape(None)
        outs = [(x.shape, dt), (TensorShape([b, u]), dt)]
        if attrs["cell"] == "lstm":
            outs.append((TensorShape([b, u]), dt))
        return outs + [(W.shape, dt), (R.shape, dt), (bias, dt)]

    def kernel(self, xp, *arrays, **attrs):
        with parallel.single_threaded_blas():
            return self._backward(arrays, attrs)

    def _backward(self, arrays, attrs):
        pos = _grad_layout(attrs)
        get = lambda k: arrays[pos[k]] if k in pos else None   # noqa: E731
        x, W, R, A, Hs = get("x"), get("W"), get("R"), get("A"), get("Hs")
        Cs, saved, rm = get("Cs"), get("saved"), get("rmask")
        cell = attrs["cell"]
        dt = x.dtype
        B, T, _ = x.shape
        U = R.shape[0]
        G = A.shape[0] * U
        back = attrs["go_backwards"]
        dS = get("dseq")
        dS = dS.transpose(1, 0, 2) if dS is not None else None
        dlast = get("dlast")
        dh = np.zeros((B, U), dt) if get("dh") is None else get("dh").astype(dt, copy=True)
        dc = None
        if cell == "lstm":
            dc = np.zeros((B, U), dt) if get("dc") is None else get("dc").astype(dt, copy=True)
        M = _time_mask(get("mask"), back).astype(dt) if attrs["masked"] else None
        dZx = _BUFFERS.empty((T, B, G), dt)      # pre-activation gradients, Keras's order
        dZr = _BUFFERS.empty((T, B, U), dt) if cell == "gru" else None  # r * d candidate
        RT = np.ascontiguousarray(R.T)
        WT = np.ascontiguousarray(W.T)
        xt = get("xt")
        dxt = _BUFFERS.empty((T, B, x.shape[2]), dt)
        # the products over all steps (input and weight gradients) in runs of steps, each
        # run as soon as backpropagation through time has passed it
        runs = [(T - t1, T - t0) for t0, t1 in _runs(T, B)]    # backwards in time
        n = len(runs)
        passed_run = [threading.Event() for _ in range(n)]
        ends = {t0: j for j, (t0, _) in enumerate(runs)}
        total = _OrderedSum(n)

        def products(j):
            passed_run[j].wait()
            t0, t1 = runs[j]
            dZ = dZx[t0:t1].reshape(-1, G)
            # x's column of ones makes the input bias's gradient the last row of this one
            dWb = np.matmul(xt[t0:t1].reshape(dZ.shape[0], -1).T, dZ)
            dR, db = _weight_grads(cell, Hs[t0:t1 + 1], saved[t0:t1] if saved.ndim == 3
                                   else saved, rm, dZx[t0:t1],
                                   None if dZr is None else dZr[t0:t1], dWb[-1])
            np.matmul(dZ, WT, out=dxt[t0:t1].reshape(dZ.shape[0], -1))
            total.add(j, (dWb[:-1], dR, db))
        chunks = _Chunks(n, products)

        def passed(k):         # after step k: the run it completes may start
            j = ends.get(k)
            if j is not None:
                passed_run[j].set()

        def rows(lo, hi, signal=None):      # batch rows lo:hi back through all steps
            r = slice(lo, hi)
            v = lambda a: None if a is None else a[:, r]       # noqa: E731
            bstep = _BACK[cell](A[:, :, r], Hs[:, r], v(Cs), v(saved) if saved.ndim == 3 else
                                None, R, RT, None if rm is None else rm[r], dZx[:, r],
                                v(dZr), attrs)
            dh_r, dc_r = _bptt(bstep, T, v(dS), None if dlast is None else dlast[r], dh[r],
                               None if dc is None else dc[r], v(M), attrs["zero_output"],
                               signal)
            dh[r] = dh_r
            if dc is not None:
                dc[r] = dc_r

        def all_rows(lo, hi):
            try:
                rows(lo, hi, passed)
            finally:           # never leave the other thread waiting
                for e in passed_run:
                    e.set()
        shares = _run_with_chunks(all_rows, chunks, B, G, T * B * G * (xt.shape[2] + U))
        if shares is not None:     # large steps: every thread its rows, then the products
            parallel.run(rows, shares, blas=True)
            for e in passed_run:
                e.set()
            parallel.run(chunks.drain, [(0, 0)] * len(shares), blas=True)
        dW, dR, db = total.result()
        dx = _BUFFERS.empty(x.shape, dt)
        np.copyto(dx, (dxt[::-1] if back else dxt).transpose(1, 0, 2))
        out = [dx, dh]
        if cell == "lstm":
            out.append(dc)
        return tuple(out + [dW, dR, db])


def _bptt(bstep, T, dS, dlast, dh, dc, M, zero_output, passed=None):
    """Backpropagation through time over some batch rows: returns the gradients of the
    initial states; ``bstep`` writes each step's pre-activation gradients into its dZx,
    and ``passed(k)`` is called after step k."""
    B, U = dh.shape
    dt = dh.dtype
    dhp = np.empty((B, U), dt)
    if passed is None:
        passed = _nothing
    if M is None:
        for k in range(T - 1, -1, -1):
            g = dh              # the gradient reaching this step's new state
            if dS is not None:
                g = np.add(dh, dS[k], out=dhp)
            if k == T - 1 and dlast is not None:
                g = np.add(g, dlast, out=dhp)
            dh, dc = bstep(k, g, dc)
            passed(k)
        return dh, dc
    go = np.empty((B, U), dt)
    carry = np.zeros((B, U), dt) if not zero_output else None
    dcp = np.empty((B, U), dt) if dc is not None else None
    inv = np.empty((B, 1), dt)
    for k in range(T - 1, -1, -1):
        parts = [p for p in (dS[k] if dS is not None else None,
                             dlast if k == T - 1 else None, carry) if p is not None]
        if parts:           # the gradient reaching this step's output
            np.copyto(go, parts[0])
            for p in parts[1:]:
                go += p
            np.add(dh, go, out=dhp)
        else:
            np.copyto(dhp, dh)
        m = M[k]
        dhp *= m
        np.subtract(1, m, out=inv)
        if carry is not None:
            np.multiply(go, inv, out=carry)
        dh_keep = dh * inv
        if dc is not None:
            np.multiply(dc, m, out=dcp)
            dc_keep = dc * inv
        dh_prev, dc_prev = bstep(k, dhp, dcp)
        dh = dh_prev + dh_keep
        if dc is not None:
            dc = dc_prev + dc_keep
        passed(k)
    return dh, dc


def _nothing(_k):
    pass


class _OrderedSum:
    """Sums of the runs' weight gradients, added in run order whichever thread finishes
    which run first, so that the result does not depend on the threads."""

    def __init__(self, n):
        self._parts = [None] * n
        self._next = 0
        self._total = None
        self._lock = threading.Lock()

    def add(self, j, part):
        self._parts[j] = part
        with self._lock:
            while self._next < len(self._parts) and self._parts[self._next] is not None:
                p, self._parts[self._next] = self._parts[self._next], None
                if self._total is None:
                    self._total = [np.array(a) for a in p]
                else:
                    for t, a in zip(self._total, p):
                        t += a
                self._next += 1

    def result(self):
        return self._total


def _weight_grads(cell, Hs, saved, rm, dZx, dZr, db):
    """The recurrent kernel's and the bias's gradients (``db``: the input bias's) over the
    steps of ``dZx`` (``Hs`` has one more, the state before the first): one product over
    them."""
    T, B, G = dZx.shape
    U = Hs.shape[2]
    H = Hs[:-1]
    if rm is not None:
        H = H * rm
    H = H.reshape(T * B, U)
    dZ = dZx.reshape(T * B, G)
    if cell == "gru":
        dZr = dZr.reshape(T * B, U)
        dR = np.concatenate([np.matmul(H.T, dZ[:, :2 * U]), np.matmul(H.T, dZr)], axis=1)
        return dR, np.stack([db, np.concatenate([db[:2 * U], dZr.sum(0)])])
    if cell == "gru_v1":
        dR = np.concatenate([np.matmul(H.T, dZ[:, :2 * U]),
                             np.matmul(saved.reshape(T * B, U).T, dZ[:, 2 * U:])], axis=1)
        return dR, db
    return np.matmul(H.T, dZ), db


class _Back:
    """One step of backpropagation through time over some batch rows: works out the
    step's pre-activation gradients gate-major in ``S`` (gates, rows, U), stores them in
    dZx (rows, gates * U) for the products over all steps, and returns the gradients of
    the previous states."""

    def __init__(self, A, Hs, RT, rm, dZx):
        gates, T, B, U = A.shape
        self.A, self.Hs, self.rm, self.dZx, self.U = A.swapaxes(0, 1), Hs, rm, dZx, U
        self.RT = RT.reshape(gates, U, U)            # each gate's rows of R.T
        self.S = np.empty((gates, B, U), A.dtype)
        self.d = np.empty((gates, B, U), A.dtype)
        self.o = np.empty((gates, B, U), A.dtype)
        self.tu = np.empty((B, U), A.dtype)

    def store(self, k, S):
        """S (gates, rows, U) into dZx[k] (rows, gates * U)."""
        B, U = S.shape[1:]
        np.copyto(self.dZx[k].reshape(B, -1, U)[:, :len(S)].transpose(1, 0, 2), S)

    def recurrent(self, S, RT, out):
        """The gradient reaching the previous h from the gates' gradients S: the sum over
        gates of S[g] @ R[g].T (times the recurrent dropout mask)."""
        np.matmul(S, RT, out=out)
        dh = np.add.reduce(out, axis=0)
        if self.rm is not None:
            dh *= self.rm
        return dh


class _LSTMBack(_Back):
    def __init__(self, A, Hs, Cs, TC, R, RT, rm, dZx, dZr, attrs):
        super().__init__(A, Hs, RT, rm, dZx)
        self.Cs, self.TC, self.RTf = Cs, TC, RT
        self.act, self.ract = attrs["activation"], attrs["recurrent_activation"]
        self.fast = self.act == "tanh" and self.ract == "sigmoid"

    def __call__(self, k, dhp, dc):
        a, S, d, tu = self.A[k], self.S, self.d, self.tu
        i, f, g, o = a
        tc = self.TC[k]
        np.multiply(dhp, tc, out=S[3])                         # d o
        _derivative(self.act, tc, tu)
        tu *= o
        tu *= dhp
        dcp = dc + tu                                          # d c'
        np.multiply(dcp, g, out=S[0])                          # d i
        np.multiply(dcp, self.Cs[k], out=S[1])                 # d f
        np.multiply(dcp, i, out=S[2])                          # d g
        if self.fast:
            _derivative("sigmoid", a, d)
            _derivative("tanh", g, d[2])
        else:
            _derivative(self.ract, a[:2], d[:2])
            _derivative(self.act, g, d[2])
            _derivative(self.ract, o, d[3])
        S *= d
        dcp *= f
        self.store(k, S)
        # the gradient reaching the previous h: dZ (rows, 4U) @ R.T, one product
        dh = np.matmul(self.dZx[k], self.RTf)
        if self.rm is not None:
            dh *= self.rm
        return dh, dcp


class _GRUBack(_Back):
    def __init__(self, A, Hs, Cs, RH, R, RT, rm, dZx, dZr, attrs):
        super().__init__(A, Hs, RT, rm, dZx)
        self.RH, self.dZr = RH, dZr
        self.after = attrs["cell"] == "gru"
        self.act, self.ract = attrs["activation"], attrs["recurrent_activation"]

    def __call__(self, k, dhp, dc):
        a, S, d = self.A[k], self.S, self.d
        z, r, hh = a
        h = self.Hs[k]
        _derivative(self.ract, a[:2], d[:2])
        _derivative(self.act, hh, d[2])
        np.subtract(h, hh, out=S[0])
        S[0] *= dhp
        S[0] *= d[0]                                           # d pre-z
        dzh = S[2]
        np.subtract(1, z, out=dzh)
        dzh *= dhp
        dzh *= d[2]                                            # d pre-hh
        dh_direct = dhp * z
        if self.after:
            np.multiply(dzh, self.RH[k], out=S[1])
            S[1] *= d[1]                                       # d pre-r
            self.store(k, S)
            dzh *= r                                           # d candidate's recurrent part
            np.copyto(self.dZr[k], dzh)
            dhr = self.recurrent(S, self.RT, self.o)
        else:
            drh = np.matmul(dzh, self.RT[2])                   # d (r * h_r)
            hr = h if self.rm is None else h * self.rm
            np.multiply(drh, hr, out=S[1])
            S[1] *= d[1]
            self.store(k, S)
            drh *= r
            if self.rm is not None:
                drh *= self.rm
            dhr = self.recurrent(S[:2], self.RT[:2], self.o[:2])
            dhr += drh
        dhr += dh_direct
        return dhr, None


class _SimpleBack:
    def __init__(self, A, Hs, Cs, saved, R, RT, rm, dZx, dZr, attrs):
        self.A, self.rm, self.RT, self.dZx = A.swapaxes(0, 1), rm, RT, dZx
        self.act = attrs["activation"]

    def __call__(self, k, dhp, dc):
        dz = self.dZx[k]
        _derivative(self.act, self.A[k, 0], dz)
        dz *= dhp
        dh = np.matmul(dz, self.RT)
        if self.rm is not None:
            dh *= self.rm
        return dh, None


_BACK = {"lstm": _LSTMBack, "gru": _GRUBack, "gru_v1": _GRUBack, "simple": _SimpleBack}

RNN_SEQUENCE_GRAD = _RNNSequenceGrad()


def rnn_sequence(cell, x, states, kernel, recurrent_kernel, bias, mask=None,
                 recurrent_mask=None, activation="tanh", recurrent_activation="sigmoid",
                 go_backwards=False, zero_output=False):
    """Runs a whole recurrent layer over ``x`` (batch, time, features) in one op.

    ``cell`` is "lstm", "gru" (reset_after=True), "gru_v1" (reset_after=False) or
    "simple"; ``states`` is ``[h0]`` or, for LSTM, ``[h0, c0]``. Returns
    ``(sequence, last_output, final_states)``.
    """
    if cell not in CELLS:
        raise ValueError(f"rnn_sequence: cell must be one of {CELLS}, got {cell!r}")
    for name in (activation, recurrent_activation):
        if name not in FUSED_ACTIVATIONS:
            raise ValueError(f"rnn_sequence: activation {name!r} is not one of "
                             f"{FUSED_ACTIVATIONS}")
    inputs = [x] + list(states) + [kernel, recurrent_kernel, bias]
    if mask is not None:
        inputs.append(mask)
    if recurrent_mask is not None:
        inputs.append(recurrent_mask)
    attrs = {"cell": cell, "activation": activation,
             "recurrent_activation": recurrent_activation,
             "go_backwards": bool(go_backwards), "masked": mask is not None,
             "rdrop": recurrent_mask is not None, "zero_output": bool(zero_output)}
    out = execute(RNN_SEQUENCE, [tensor(t) for t in inputs], attrs)
    n_states = 2 if cell == "lstm" else 1
    return out[0], out[1], list(out[2:2 + n_states])
