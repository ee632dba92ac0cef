"""TensorFlow's Philox-4x32-10 random stream and the distributions TensorFlow draws from
it, in NumPy, so stateless random ops and ``random.Generator`` give TensorFlow's numbers.

A stream is a 64-bit key and a 128-bit counter; each counter value gives one block of
four 32-bit words (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"). A
distribution turns consecutive blocks into samples:

- uniform float32/float16/bfloat16: one word per sample (its top mantissa bits), float64
  two words;
- normal: Box-Muller on pairs of uniforms (float64 on pairs of two-word uniforms);
- truncated normal: output groups of four samples (two for float64) start 256 blocks
  (128) apart and take words one by one until the group's Box-Muller values that fall
  in (-2, 2) fill it;
- integers: one word (int32) or two words (int64) per sample, reduced modulo the range.

Stateless ops first scramble their seed pair into a key and counter (``seed_key_counter``).
"""
from __future__ import annotations

import numpy as np

_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_LOW = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
RESERVED_BLOCKS_PER_SAMPLE = 256     # how far a Generator's counter moves per output value


def _rounds(key: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Philox-4x32-10 of the 128-bit counters ``hi:lo`` (uint64 arrays): [..., 4] uint32."""
    shape = np.shape(lo)
    lo = np.asarray(lo, np.uint64).reshape(-1)
    hi = np.asarray(hi, np.uint64).reshape(-1)
    c0, c1, c2, c3 = lo & _LOW, lo >> _SHIFT, hi & _LOW, hi >> _SHIFT
    k0 = int(key) & 0xFFFFFFFF
    k1 = (int(key) >> 32) & 0xFFFFFFFF
    for _ in range(10):
        p0 = c0 * _M0                       # a 32 x 32-bit product fits in 64 bits
        p1 = c2 * _M1
        c1 ^= np.uint64(k0)
        c1 ^= p1 >> _SHIFT
        c3 ^= np.uint64(k1)
        c3 ^= p0 >> _SHIFT
        p1 &= _LOW
        p0 &= _LOW
        c0, c1, c2, c3 = c1, p1, c3, p0
        k0 = (k0 + _W0) & 0xFFFFFFFF
        k1 = (k1 + _W1) & 0xFFFFFFFF
    out = np.empty((lo.size, 4), np.uint32)
    out[:, 0], out[:, 1], out[:, 2], out[:, 3] = c0, c1, c2, c3
    return out.reshape(shape + (4,))


def _counters(counter: int, offsets: np.ndarray):
    """The 128-bit counters ``counter + offsets`` as (low, high) uint64 arrays."""
    base = int(counter) % (1 << 128)
    base_lo = np.uint64(base & 0xFFFFFFFFFFFFFFFF)
    lo = base_lo + offsets.astype(np.uint64)
    hi = np.uint64(base >> 64) + (lo < base_lo).astype(np.uint64)
    return lo, hi


def blocks(key: int, counter: int, n: int) -> np.ndarray:
    """n Philox blocks (shape [n, 4], uint32) for counters counter, counter + 1, ..."""
    lo, hi = _counters(counter, np.arange(n, dtype=np.uint64))
    return _rounds(key, lo, hi)


def words(key: int, counter: int, count: int) -> np.ndarray:
    """The first ``count`` 32-bit words of the stream, in order."""
    n = -(-int(count) // 4)
    return blocks(key, counter, n).reshape(-1)[:count]


def seed_key_counter(seed0: int, seed1: int) -> tuple[int, int]:
    """The (key, counter) TensorFlow's stateless ops derive from a seed pair."""
    s0, s1 = int(seed0) & 0xFFFFFFFFFFFFFFFF, int(seed1) & 0xFFFFFFFFFFFFFFFF
    mix = blocks(0x02461E29 << 32 | 0x3EC8F720, s0 | (s1 << 64), 1)[0].astype(np.uint64)
    key = int(mix[0]) | (int(mix[1]) << 32)
    counter = (int(mix[2]) | (int(mix[3]) << 32)) << 64
    return key, counter


def _unit_float32(w):
    bits = (w.astype(np.uint32) & np.uint32(0x7FFFFF)) | np.uint32(0x3F800000)
    return bits.view(np.float32) - np.float32(1.0)


def _unit_float64(w0, w1):
    man = ((w0.astype(np.uint64) & np.uint64(0xFFFFF)) << _SHIFT) | w1.astype(np.uint64)
    return (man | np.uint64(1023 << 52)).view(np.float64) - 1.0


def _unit_float16(w):
    bits = (w.astype(np.uint16) & np.uint16(0x3FF)) | np.uint16(15 << 10)
    return bits.view(np.float16) - np.float16(1.0)


def uniform(key: int, counter: int, size: int, np_dtype) -> np.ndarray:
    """Uniform samples in [0, 1) of ``np_dtype``, as TensorFlow draws them."""
    dt = np.dtype(np_dtype)
    if dt == np.float64:
        w = words(key, counter, 2 * size).reshape(-1, 2)
        return _unit_float64(w[:, 0], w[:, 1])
    w = words(key, counter, size)
    if dt == np.float16:
        return _unit_float16(w)
    if dt == np.float32:
        return _unit_float32(w)
    # bfloat16: 7 mantissa bits
    bits = ((w & np.uint32(0x7F)) | np.uint32(127 << 7)).astype(np.uint32) << np.uint32(16)
    return (bits.view(np.float32) - np.float32(1.0)).astype(dt)


def _box_muller32(w0, w1):
    u1 = np.maximum(_unit_float32(w0), np.float32(1e-7))
    v1 = np.float32(2.0 * np.pi) * _unit_float32(w1)
    r = np.sqrt(np.float32(-2.0) * np.log(u1))
    return np.sin(v1) * r, np.cos(v1) * r


def normal(key: int, counter: int, size: int, np_dtype) -> np.ndarray:
    """Standard normal samples, as TensorFlow draws them (Box-Muller, pairs)."""
    dt = np.dtype(np_dtype)
    if dt == np.float64:
        w = words(key, counter, 4 * (-(-size // 2))).reshape(-1, 4)
        u1 = np.maximum(_unit_float64(w[:, 0], w[:, 1]), 1e-7)
        v1 = 2.0 * np.pi * _unit_float64(w[:, 2], w[:, 3])
        r = np.sqrt(-2.0 * np.log(u1))
        return np.stack([np.sin(v1) * r, np.cos(v1) * r], axis=1).reshape(-1)[:size]
    w = words(key, counter, 2 * (-(-size // 2))).reshape(-1, 2)
    with np.errstate(all="ignore"):
        f0, f1 = _box_muller32(w[:, 0], w[:, 1])
    return np.stack([f0, f1], axis=1).reshape(-1)[:size].astype(dt)


def _truncated_candidates(key, counter, groups, stride, taken, chunk, wide):
    """Box-Muller values from blocks taken..taken+chunk of each group's region."""
    offsets = groups[:, None] * stride + taken + np.arange(chunk)[None, :]
    lo, hi = _counters(counter, offsets)
    w = _rounds(key, lo, hi).reshape(groups.size, -1)
    with np.errstate(all="ignore"):
        if wide:
            q = w.reshape(groups.size, -1, 4)
            u1 = np.maximum(_unit_float64(q[..., 0], q[..., 1]), 1e-7)
            v1 = 2.0 * np.pi * _unit_float64(q[..., 2], q[..., 3])
            r = np.sqrt(-2.0 * np.log(u1))
            f0, f1 = np.sin(v1) * r, np.cos(v1) * r
        else:
            q = w.reshape(groups.size, -1, 2)
            f0, f1 = _box_muller32(q[..., 0], q[..., 1])
    return np.stack([f0, f1], axis=-1).reshape(groups.size, -1)


def truncated_normal(key: int, counter: int, size: int, np_dtype) -> np.ndarray:
    """Standard normal samples within (-2, 2), as TensorFlow draws them."""
    dt = np.dtype(np_dtype)
    wide = dt == np.float64
    per_group = 2 if wide else 4
    groups = -(-size // per_group)
    stride = per_group * RESERVED_BLOCKS_PER_SAMPLE // 4
    out = np.zeros((groups, per_group), dtype=np.float64 if wide else np.float32)
    # fast path: two blocks per group almost always hold enough accepted values
    every = np.arange(groups, dtype=np.int64)
    vals = _truncated_candidates(key, counter, every, stride, 0, 2, wide)
    ok = np.abs(vals) < 2.0
    full = ok.sum(axis=1) >= per_group
    first = np.argsort(~ok, axis=1, kind="stable")[:, :per_group]
    out[full] = np.take_along_axis(vals, first, axis=1)[full]
    # the rare rest: take further blocks until the group is filled
    pending = every[~full]
    filled = np.zeros(groups, dtype=np.int64)
    taken, chunk = 0, 2
    while pending.size:
        vals = _truncated_candidates(key, counter, pending, stride, taken, chunk, wide)
        ok = np.abs(vals) < 2.0
        rank = np.cumsum(ok, axis=1) - 1 + filled[pending][:, None]
        take = ok & (rank < per_group)
        rows = np.broadcast_to(pending[:, None], take.shape)[take]
        out[rows, rank[take]] = vals[take]
        filled[pending] = np.minimum(filled[pending] + ok.sum(axis=1), per_group)
        pending = pending[filled[pending] < per_group]
        taken += chunk
    return out.reshape(-1)[:size].astype(dt)


def full_int(key: int, counter: int, size: int, np_dtype) -> np.ndarray:
    """Integers over the dtype's whole range, as TensorFlow draws them."""
    dt = np.dtype(np_dtype)
    if dt.itemsize == 8:
        w = words(key, counter, 2 * size).reshape(-1, 2).astype(np.uint64)
        bits = w[:, 0] | (w[:, 1] << _SHIFT)
        return bits.view(np.int64) if dt.kind == "i" else bits
    return words(key, counter, size).astype(np.uint32).view(np.int32).astype(dt) \
        if dt.kind == "i" else words(key, counter, size).astype(dt)


def uniform_int(key: int, counter: int, size: int, lo: int, hi: int, np_dtype) -> np.ndarray:
    """Integers in [lo, hi), as TensorFlow draws them (bits modulo the range)."""
    dt = np.dtype(np_dtype)
    span = int(hi) - int(lo)
    if dt.itemsize == 8:
        w = words(key, counter, 2 * size).reshape(-1, 2).astype(np.uint64)
        bits = w[:, 0] | (w[:, 1] << _SHIFT)
        return (np.uint64(int(lo) & 0xFFFFFFFFFFFFFFFF) + bits % np.uint64(span)).view(
            np.int64).astype(dt) if dt.kind == "i" else (int(lo) + bits % np.uint64(span)).astype(dt)
    bits = words(key, counter, size).astype(np.uint64)
    return (int(lo) + (bits % np.uint64(span)).astype(np.int64)).astype(dt)
