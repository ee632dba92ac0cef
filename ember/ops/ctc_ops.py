"""Connectionist temporal classification: the CTC loss (forward-backward in log space, with
its gradient) and the greedy and beam-search decoders, as ``tf.nn.ctc_loss``,
``tf.nn.ctc_greedy_decoder`` and ``tf.nn.ctc_beam_search_decoder``.

The loss runs the forward (alpha) and backward (beta) recursions over the label sequence
with blanks between labels and at both ends (2L + 1 states), vectorized over the batch and
the states, looping over time only. Its kernel also returns d(loss)/d(logits):
softmax(logits) minus the posterior occupancy of each class, which the gradient scales.
"""
from __future__ import annotations

import heapq
import math

import numpy as np

from ember.engine.dispatch import execute
from ember.framework import dtypes
from ember.framework.errors import InvalidArgumentError
from ember.framework.op import Op
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, math_ops
from ember.ops._base import FLOATS, INTS, check_dtype, tensor

__all__ = ["ctc_loss", "ctc_loss_v2", "ctc_loss_v3", "ctc_greedy_decoder",
           "ctc_beam_search_decoder", "ctc_beam_search_decoder_v2"]

_NEG = -np.inf


def _logaddexp3(a, b, c):
    m = np.maximum(np.maximum(a, b), c)
    safe = np.where(np.isfinite(m), m, 0)
    with np.errstate(divide="ignore"):
        out = safe + np.log(np.exp(a - safe) + np.exp(b - safe) + np.exp(c - safe))
    return np.where(np.isfinite(m), out, m)


def _log_softmax(x):
    shifted = x - np.max(x, axis=-1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True))


def ctc_loss_and_grad(logits, labels, label_length, logit_length, blank):
    """(loss [B], d loss / d logits [T, B, C]) for time-major ``logits`` and dense
    ``labels`` [B, L] (the first ``label_length[b]`` entries of row b are its labels)."""
    T, B, C = logits.shape
    work = logits.astype(np.float64 if logits.dtype == np.float64 else np.float32)
    L = labels.shape[1]
    S = 2 * L + 1
    lab_len = label_length.astype(np.int64)
    seq_len = logit_length.astype(np.int64)
    states = 2 * lab_len + 1
    ext = np.full((B, S), blank, np.int64)
    if L:
        ext[:, 1::2] = np.where(np.arange(L)[None, :] < lab_len[:, None], labels, blank)
    lp = _log_softmax(work)
    lpl = np.take_along_axis(lp, np.broadcast_to(ext[None], (T, B, S)), axis=2)
    skip = np.zeros((B, S), bool)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    valid = np.arange(S)[None, :] < states[:, None]
    neg = np.full((B, 1), _NEG, work.dtype)
    neg2 = np.full((B, 2), _NEG, work.dtype)
    alpha = np.full((T, B, S), _NEG, work.dtype)
    if T:
        a = np.full((B, S), _NEG, work.dtype)
        a[:, 0] = lpl[0, :, 0]
        if S > 1:
            a[:, 1] = np.where(states > 1, lpl[0, :, 1], _NEG)
        alpha[0] = np.where(valid, a, _NEG)
    for t in range(1, T):
        prev = alpha[t - 1]
        s1 = np.concatenate([neg, prev[:, :-1]], axis=1)
        s2 = np.where(skip, np.concatenate([neg2, prev[:, :-2]], axis=1), _NEG)
        new = np.where(valid, _logaddexp3(prev, s1, s2) + lpl[t], _NEG)
        alpha[t] = np.where((t < seq_len)[:, None], new, prev)
    rows = np.arange(B)
    last = alpha[T - 1] if T else np.full((B, S), _NEG, work.dtype)
    end1 = last[rows, states - 1]
    end2 = np.where(states > 1, last[rows, np.maximum(states - 2, 0)], _NEG)
    log_p = np.logaddexp(end1, end2)
    log_p = np.where(seq_len > 0, log_p, np.where(lab_len == 0, 0.0, _NEG))
    loss = -log_p
    # backward recursion; beta[t] starts at each sequence's own last frame
    beta = np.full((T, B, S), _NEG, work.dtype)
    nxt = np.full((B, S), _NEG, work.dtype)
    skip_next = np.concatenate([skip[:, 2:], np.zeros((B, 2), bool)], axis=1)
    for t in range(T - 1, -1, -1):
        n1 = np.concatenate([nxt[:, 1:], neg], axis=1)
        n2 = np.where(skip_next, np.concatenate([nxt[:, 2:], neg2], axis=1), _NEG)
        rec = _logaddexp3(nxt, n1, n2) + lpl[t]
        init = np.full((B, S), _NEG, work.dtype)
        init[rows, states - 1] = lpl[t, rows, states - 1]
        two = states > 1
        init[rows[two], states[two] - 2] = lpl[t, rows[two], states[two] - 2]
        cur = np.where((t == seq_len - 1)[:, None], init,
                       np.where((t < seq_len - 1)[:, None], rec, _NEG))
        cur = np.where(valid, cur, _NEG)
        beta[t] = cur
        nxt = cur
    feasible = np.isfinite(loss)
    with np.errstate(invalid="ignore"):
        post = np.exp(alpha + beta - lpl + np.where(feasible, loss, 0)[None, :, None])
    post = np.where(np.isfinite(post), post, 0)
    occupancy = np.zeros((T, B, C), work.dtype)
    for_class = np.eye(C, dtype=work.dtype)[ext]            # [B, S, C]
    if T and S:
        occupancy = np.einsum("tbs,bsc->tbc", post, for_class)
    in_seq = (np.arange(T)[:, None] < seq_len[None, :]) & feasible[None, :]
    grad = np.where(in_seq[:, :, None], np.exp(lp) - occupancy, 0)
    return loss.astype(logits.dtype), grad.astype(logits.dtype)


class _CTCLoss(Op):
    """Outputs (loss [batch], gradient [frames, batch, classes]) of time-major logits."""

    name = "CTCLossDense"
    num_outputs = 2
    grad_accepts_none = True

    def infer(self, inputs, blank_index):
        logits, labels, label_length, logit_length = inputs
        check_dtype(self.name, logits.dtype, FLOATS)
        check_dtype(self.name, labels.dtype, INTS, 1)
        if logits.shape.rank not in (None, 3):
            raise InvalidArgumentError(f"ctc_loss: logits must be 3-D [frames, batch, "
                                       f"classes], got shape {logits.shape}")
        if labels.shape.rank not in (None, 2):
            raise InvalidArgumentError(f"ctc_loss: labels must be 2-D [batch, max_label_"
                                       f"length], got shape {labels.shape}")
        for what, spec in (("label_length", label_length), ("logit_length", logit_length)):
            if spec.shape.rank not in (None, 1):
                raise InvalidArgumentError(f"ctc_loss: {what} must be 1-D [batch], got "
                                           f"shape {spec.shape}")
        batch = logits.shape[1] if logits.shape.rank == 3 else None
        if batch is None and labels.shape.rank == 2:
            batch = labels.shape[0]
        return [(TensorShape([batch]), logits.dtype), (logits.shape, logits.dtype)]

    def kernel(self, xp, logits, labels, label_length, logit_length, blank_index):
        T, B, C = logits.shape
        if labels.shape[0] != B or label_length.shape != (B,) or logit_length.shape != (B,):
            raise InvalidArgumentError(
                f"ctc_loss: batch sizes differ: logits {B}, labels {labels.shape[0]}, "
                f"label_length {label_length.shape}, logit_length {logit_length.shape}")
        if not 0 <= blank_index < C:
            raise InvalidArgumentError(f"ctc_loss: blank_index {blank_index} is outside "
                                       f"[0, {C}) for {C} classes")
        if np.any(label_length < 0) or np.any(label_length > labels.shape[1]):
            raise InvalidArgumentError(f"ctc_loss: label_length must be in [0, "
                                       f"{labels.shape[1]}], got {label_length.tolist()}")
        if np.any(logit_length < 0) or np.any(logit_length > T):
            raise InvalidArgumentError(f"ctc_loss: logit_length must be in [0, {T}], got "
                                       f"{logit_length.tolist()}")
        used = np.arange(labels.shape[1])[None, :] < label_length[:, None]
        bad = used & ((labels < 0) | (labels >= C) | (labels == blank_index))
        if np.any(bad):
            b, i = np.argwhere(bad)[0]
            raise InvalidArgumentError(
                f"ctc_loss: label {int(labels[b, i])} at [{b}, {i}] is not a class in [0, "
                f"{C}) other than the blank ({blank_index})")
        return ctc_loss_and_grad(logits, labels, label_length, logit_length, blank_index)

    def grad(self, call, g_loss, g_grad):
        if g_loss is None:
            return None, None, None, None
        d = array_ops.reshape(g_loss, [1, -1, 1]) * call.outputs[1]
        return d, None, None, None


CTC_LOSS = _CTCLoss()


def _lengths(x, name, what):
    t = tensor(x)
    if not t.dtype.is_integer:
        raise TypeError(f"{name}: {what} must be integers, got {t.dtype.name}")
    return math_ops.cast(t, dtypes.int32) if t.dtype is not dtypes.int32 else t


def sparse_labels_to_dense(labels):
    """(dense int32 labels, label_length) of a SparseTensor of labels: a row's length is
    one past its last given column."""
    from ember.ops import creation_ops, reduce_ops, sparse_ops
    dense = sparse_ops.to_dense(labels)
    rows = math_ops.cast(labels.indices[:, 0], dtypes.int32)
    ends = math_ops.cast(labels.indices[:, 1], dtypes.int32) + 1
    batch = math_ops.cast(labels.dense_shape[0], dtypes.int32)
    in_row = array_ops.expand_dims(creation_ops.range(batch), 1) == array_ops.expand_dims(rows, 0)
    count = reduce_ops.reduce_max(
        array_ops.where(in_row, array_ops.expand_dims(ends, 0),
                        array_ops.zeros_like(array_ops.expand_dims(ends, 0))), axis=1)
    return math_ops.cast(dense, dtypes.int32), count


def ctc_loss_v3(labels, logits, label_length, logit_length, logits_time_major=True,
                unique=None, blank_index=None, name=None):
    """The negative log probability of each label sequence under per-frame logits.

    labels: int [batch, max_label_length] (with ``label_length``) or a SparseTensor.
    logits: [frames, batch, classes] (``logits_time_major``) or [batch, frames, classes],
    unnormalized. logit_length: [batch] frames used per sequence. blank_index: the blank
    class (default 0; negative counts from the end). Returns float [batch].

    >>> logits = ember.zeros([3, 1, 3])
    >>> float(ember.nn.ctc_loss([[1]], logits, [1], [3])[0])   # 6 of 27 paths give "1"
    1.5040774
    """
    from ember.ops.sparse_ops import SparseTensor
    op = "ctc_loss"
    if unique is not None:
        raise NotImplementedError("ctc_loss: `unique` (precomputed unique labels) is not "
                                  "supported by ember; pass unique=None")
    logits = tensor(logits)
    if logits.dtype in (dtypes.float16, dtypes.bfloat16):
        out_dtype, logits = logits.dtype, math_ops.cast(logits, dtypes.float32)
    else:
        out_dtype = None
    if not logits_time_major:
        logits = array_ops.transpose(logits, [1, 0, 2])
    if isinstance(labels, SparseTensor):
        labels, sparse_len = sparse_labels_to_dense(labels)
        label_length = sparse_len if label_length is None else label_length
    else:
        labels = tensor(labels)
        if label_length is None:
            raise ValueError("ctc_loss: dense labels need `label_length`")
        if not labels.dtype.is_integer:
            raise TypeError(f"ctc_loss: labels must be integers, got {labels.dtype.name}")
        labels = math_ops.cast(labels, dtypes.int32) if labels.dtype is not dtypes.int32 \
            else labels
    label_length = _lengths(label_length, op, "label_length")
    logit_length = _lengths(logit_length, op, "logit_length")
    num_classes = logits.shape[-1] if logits.shape.rank == 3 else None
    blank = 0 if blank_index is None else int(blank_index)
    if blank < 0:
        if num_classes is None:
            raise ValueError("ctc_loss: a negative blank_index needs a known number of "
                             "classes")
        blank += num_classes
    loss, _ = execute(CTC_LOSS, (logits, labels, label_length, logit_length),
                      {"blank_index": blank}, name)
    return math_ops.cast(loss, out_dtype) if out_dtype is not None else loss


ctc_loss_v2 = ctc_loss_v3


def ctc_loss(labels, logits, label_length, logit_length, logits_time_major=True, unique=None,
             blank_index=None, name=None):
    """``tf.nn.ctc_loss`` (TensorFlow 2's signature); see ``ctc_loss_v3``."""
    return ctc_loss_v3(labels, logits, label_length, logit_length,
                       logits_time_major=logits_time_major, unique=unique,
                       blank_index=blank_index, name=name)


# ------------------------------------------------------------------------- decoding ---

def _sparse_paths(paths, batch):
    """indices [N, 2], values [N] (int64) and dense_shape of a list of label lists."""
    n = sum(len(p) for p in paths)
    indices = np.zeros((n, 2), np.int64)
    values = np.zeros(n, np.int64)
    k = 0
    for b, p in enumerate(paths):
        m = len(p)
        indices[k:k + m, 0] = b
        indices[k:k + m, 1] = np.arange(m)
        values[k:k + m] = p
        k += m
    width = max((len(p) for p in paths), default=0)
    return indices, values, np.array([batch, width], np.int64)


def _check_decoder_inputs(name, inputs, sequence_length):
    T, B, C = inputs.shape
    if sequence_length.shape != (B,):
        raise InvalidArgumentError(f"{name}: sequence_length must have shape [{B}] (the "
                                   f"batch size), got {list(sequence_length.shape)}")
    if np.any(sequence_length < 0) or np.any(sequence_length > T):
        raise InvalidArgumentError(f"{name}: sequence_length must be in [0, {T}] (the "
                                   f"frames), got {sequence_length.tolist()}")


# a decoded SparseTensor's (indices, values, dense_shape)
_SPARSE_SPECS = [(TensorShape([None, 2]), dtypes.int64), (TensorShape([None]), dtypes.int64),
                 (TensorShape([2]), dtypes.int64)]


def _decoder_batch(op_name, name, x):
    """The batch size (or None) of a decoder's [frames, batch, classes] input spec."""
    check_dtype(op_name, x.dtype, FLOATS)
    if x.shape.rank not in (None, 3):
        raise InvalidArgumentError(f"{name}: inputs must be 3-D [frames, batch, classes], "
                                   f"got shape {x.shape}")
    return x.shape[1] if x.shape.rank == 3 else None


class _GreedyDecoder(Op):
    """Outputs (indices, values, dense_shape, neg_sum_logits) of the best path."""

    name = "CTCGreedyDecoder"
    num_outputs = 4
    differentiable = False
    data_dependent_shape = True

    def infer(self, inputs, merge_repeated, blank_index):
        batch = _decoder_batch(self.name, "ctc_greedy_decoder", inputs[0])
        return _SPARSE_SPECS + [(TensorShape([batch, 1]), inputs[0].dtype)]

    def kernel(self, xp, x, seq, merge_repeated, blank_index):
        _check_decoder_inputs("ctc_greedy_decoder", x, seq)
        T, B, C = x.shape
        blank = blank_index if blank_index >= 0 else blank_index + C
        if not 0 <= blank < C:
            raise InvalidArgumentError(f"ctc_greedy_decoder: blank_index {blank_index} is "
                                       f"outside [0, {C}) for {C} classes")
        best = np.argmax(x, axis=2)                           # [T, B]
        top = np.max(x, axis=2)
        in_seq = np.arange(T)[:, None] < seq[None, :]
        score = -np.sum(np.where(in_seq, top, 0), axis=0, dtype=x.dtype)[:, None]
        keep = in_seq & (best != blank)
        if merge_repeated and T > 1:
            keep[1:] &= ~((best[1:] == best[:-1]) & in_seq[:-1])
        paths = [best[keep[:, b], b] for b in range(B)]
        indices, values, shape = _sparse_paths(paths, B)
        return indices, values, shape, score.astype(x.dtype)


GREEDY_DECODER = _GreedyDecoder()


def ctc_greedy_decoder(inputs, sequence_length, merge_repeated=True, blank_index=None):
    """Best-path decoding: the most likely class per frame, repeats merged (when
    ``merge_repeated``), blanks removed.

    inputs: [frames, batch, classes] logits; blank_index defaults to the last class.
    Returns ``([SparseTensor of int64 labels [batch, longest]], neg_sum_logits [batch, 1])``
    where neg_sum_logits is minus the sum over frames of each frame's largest logit.
    """
    from ember.ops.sparse_ops import SparseTensor
    x = tensor(inputs)
    seq = _lengths(sequence_length, "ctc_greedy_decoder", "sequence_length")
    blank = -1 if blank_index is None else int(blank_index)
    i, v, s, score = execute(GREEDY_DECODER, (x, seq),
                             {"merge_repeated": bool(merge_repeated), "blank_index": blank})
    return [SparseTensor(i, v, s)], score


def _collapse(path):
    out = []
    for c in path:
        if not out or out[-1] != c:
            out.append(c)
    return out


class _Beam:
    """A prefix in the beam-search tree with its log probabilities, before (``old_*``)
    and after (``new_*``) the current frame: ending in a blank, ending in its last label,
    and their total."""

    __slots__ = ("parent", "label", "children", "old_blank", "old_label", "old_total",
                 "new_blank", "new_label", "new_total")

    def __init__(self, parent, label):
        self.parent, self.label, self.children = parent, label, {}
        self.old_blank = self.old_label = self.old_total = _NEG
        self.new_blank = self.new_label = self.new_total = _NEG

    def active(self):
        return self.new_total != _NEG

    def reset(self):
        self.old_blank = self.old_label = self.old_total = _NEG
        self.new_blank = self.new_label = self.new_total = _NEG

    def labels(self):
        out, e = [], self
        while e.parent is not None:
            out.append(e.label)
            e = e.parent
        return out[::-1]


def _logadd(a, b):
    if a == _NEG:
        return b
    if b == _NEG:
        return a
    m = max(a, b)
    return m + math.log1p(math.exp(-abs(a - b)))


def beam_search(logp, seq_len, beam_width, top_paths, blank, merge_repeated):
    """TensorFlow's CTC prefix beam search on one sequence's log-probabilities [T, C]: the
    ``top_paths`` most likely label sequences with their log probabilities, best first.

    The beam is a tree of prefixes. Each frame, every prefix in the beam takes the frame's
    blank (or repeats its last label; a parent in the beam adds the way of reaching it with
    this frame's label), then every prefix offers each label as a child, which enters the
    beam if there is room or it beats the beam's worst, which then leaves it (and no longer
    counts as active, as in TensorFlow, even later in the same frame)."""
    C = logp.shape[1]
    root = _Beam(None, -1)
    root.new_total, root.new_blank = 0.0, 0.0
    leaves = [root]                      # the beam: at most beam_width prefixes
    others = [c for c in range(C) if c != blank]
    for t in range(seq_len):
        frame = logp[t].tolist()
        branches = sorted(leaves, key=lambda e: -e.new_total)
        for e in branches:
            e.old_blank, e.old_label, e.old_total = e.new_blank, e.new_label, e.new_total
        heap, order = [], 0
        for e in branches:
            if e.parent is not None:
                if e.parent.active():
                    prev = e.parent.old_blank if e.label == e.parent.label else \
                        e.parent.old_total
                    e.new_label = _logadd(e.new_label, prev)
                e.new_label += frame[e.label]
            e.new_blank = e.old_total + frame[blank]
            e.new_total = _logadd(e.new_blank, e.new_label)
            heapq.heappush(heap, (e.new_total, order, e))
            order += 1
        for e in branches:
            if e.old_total == _NEG or (len(heap) >= beam_width and
                                       e.old_total <= heap[0][0]):
                continue           # none of its children could enter the beam
            for c in others:
                child = e.children.get(c)
                if child is not None and child.active():
                    continue
                prev = e.old_blank if c == e.label else e.old_total
                score = frame[c] + prev
                if score > _NEG and (len(heap) < beam_width or score > heap[0][0]):
                    if child is None:
                        child = e.children[c] = _Beam(e, c)
                    child.new_blank, child.new_label, child.new_total = _NEG, score, score
                    item = (score, order, child)
                    order += 1
                    if len(heap) < beam_width:
                        heapq.heappush(heap, item)
                    else:
                        # the worst leaves the beam: it no longer counts as active
                        out = heapq.heapreplace(heap, item)[2]
                        out.new_blank = out.new_label = out.new_total = _NEG
                elif child is not None:
                    child.reset()
        leaves = [item[2] for item in heap]
    ranked = sorted(leaves, key=lambda e: -e.new_total)
    if len(ranked) < top_paths:
        raise InvalidArgumentError(
            f"ctc_beam_search_decoder: fewer beams ({len(ranked)}) than top_paths "
            f"({top_paths}) after {seq_len} frames")
    out = []
    for e in ranked[:top_paths]:
        path = e.labels()
        out.append((_collapse(path) if merge_repeated else path, e.new_total))
    return out


class _BeamSearchDecoder(Op):
    """Outputs top_paths x (indices, values, dense_shape), then log_probability."""

    name = "CTCBeamSearchDecoder"
    differentiable = False
    data_dependent_shape = True

    def output_count(self, attrs):
        return 3 * attrs["top_paths"] + 1

    def infer(self, inputs, beam_width, top_paths, merge_repeated):
        batch = _decoder_batch(self.name, "ctc_beam_search_decoder", inputs[0])
        return _SPARSE_SPECS * top_paths + [(TensorShape([batch, top_paths]),
                                             inputs[0].dtype)]

    def kernel(self, xp, x, seq, beam_width, top_paths, merge_repeated):
        _check_decoder_inputs("ctc_beam_search_decoder", x, seq)
        T, B, C = x.shape
        logp = _log_softmax(x.astype(np.float64))
        results = [beam_search(logp[:, b], int(seq[b]), beam_width, top_paths, C - 1,
                               merge_repeated) for b in range(B)]
        out = []
        for k in range(top_paths):
            out.extend(_sparse_paths([r[k][0] for r in results], B))
        log_prob = np.array([[r[k][1] for k in range(top_paths)] for r in results],
                            x.dtype).reshape(B, top_paths)
        return tuple(out) + (log_prob,)


BEAM_SEARCH_DECODER = _BeamSearchDecoder()


def ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width=100, top_paths=1,
                               merge_repeated=False):
    """Beam-search decoding (the last class is the blank) of [frames, batch, classes]
    logits: ``(decoded, log_probability)`` with ``decoded`` a list of ``top_paths``
    SparseTensors of int64 labels (best first) and log_probability [batch, top_paths]."""
    from ember.ops.sparse_ops import SparseTensor
    beam_width, top_paths = int(beam_width), int(top_paths)
    if beam_width < 1 or top_paths < 1 or top_paths > beam_width:
        raise ValueError(f"ctc_beam_search_decoder: need 1 <= top_paths <= beam_width; got "
                         f"top_paths={top_paths}, beam_width={beam_width}")
    x = tensor(inputs)
    seq = _lengths(sequence_length, "ctc_beam_search_decoder", "sequence_length")
    outs = execute(BEAM_SEARCH_DECODER, (x, seq),
                   {"beam_width": beam_width, "top_paths": top_paths,
                    "merge_repeated": bool(merge_repeated)})
    decoded = [SparseTensor(*outs[3 * k:3 * k + 3]) for k in range(top_paths)]
    return decoded, outs[-1]


def ctc_beam_search_decoder(inputs, sequence_length, beam_width=100, top_paths=1):
    """``tf.nn.ctc_beam_search_decoder`` (TensorFlow 2: repeats are not merged)."""
    return ctc_beam_search_decoder_v2(inputs, sequence_length, beam_width, top_paths)

