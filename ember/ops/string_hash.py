"""The 64-bit string hashes behind TensorFlow's hash-bucket ops, in NumPy.

- ``fingerprint64``: FarmHash's Fingerprint64 (the ``farmhashna`` 64-bit hash), used by
  ``to_hash_bucket_fast`` and ``Fingerprint``;
- ``siphash24``: keyed SipHash-2-4, used by ``to_hash_bucket_strong``;
- ``legacy_hash64``: TensorFlow's own ``Hash64`` (MurmurHash64A, seed 0xDECAFCAFFE), used
  by ``to_hash_bucket``.

Strings of one length follow the same path through each algorithm, so every function
groups its inputs by length and hashes each group at once on uint64 arrays (NumPy's
unsigned arithmetic wraps modulo 2**64, as the C code does).
"""
from __future__ import annotations

import numpy as np

__all__ = ["fingerprint64", "siphash24", "legacy_hash64"]

_U64 = np.uint64
_K0 = _U64(0xC3A5C85C97CB3127)
_K1 = _U64(0xB492B66FBE98F273)
_K2 = _U64(0x9AE16A3B2F90404F)
_MASK = (1 << 64) - 1


def _by_length(strings, hash_rows):
    """Applies ``hash_rows(rows, n)`` (rows: a (k, n) uint8 matrix) to each group of equal
    length; returns the uint64 hashes in the input's shape."""
    flat = np.asarray(strings, dtype=object).reshape(-1)
    out = np.zeros(len(flat), dtype=np.uint64)
    lengths = np.fromiter(map(len, flat), dtype=np.int64, count=len(flat))
    order = np.argsort(lengths, kind="stable")
    blob = np.frombuffer(b"".join(flat[order].tolist()), dtype=np.uint8)
    sorted_lengths = lengths[order]
    starts = np.concatenate([[0], np.cumsum(sorted_lengths)])
    bounds = np.flatnonzero(np.diff(sorted_lengths)) + 1
    with np.errstate(over="ignore"):
        for a, b in zip(np.concatenate([[0], bounds]).tolist(),
                        np.concatenate([bounds, [len(flat)]]).tolist()):
            if a == b:
                continue
            n = int(sorted_lengths[a])
            rows = blob[starts[a]:starts[b]].reshape(b - a, n)
            out[order[a:b]] = hash_rows(rows, n)
    return out.reshape(np.shape(strings))


def _fetch(rows, p, dtype):
    """Each row's little-endian integer at byte offset ``p`` (an unaligned strided view of
    the rows' buffer, widened to uint64)."""
    view = np.ndarray((rows.shape[0],), dtype=dtype, buffer=rows, offset=p,
                      strides=(rows.strides[0],))
    return view.astype(np.uint64)


def _fetch64(rows, p):
    return _fetch(rows, p, "<u8")


def _fetch32(rows, p):
    return _fetch(rows, p, "<u4")


def _rot(v, shift):
    return (v >> _U64(shift)) | (v << _U64(64 - shift))


def _shift_mix(v):
    return v ^ (v >> _U64(47))


def _len16(u, v, mul):
    a = (u ^ v) * mul
    a ^= a >> _U64(47)
    b = (v ^ a) * mul
    b ^= b >> _U64(47)
    return b * mul


def _len0to16(rows, n):
    k = rows.shape[0]
    if n >= 8:
        mul = _K2 + _U64(n * 2)
        a = _fetch64(rows, 0) + _K2
        b = _fetch64(rows, n - 8)
        c = _rot(b, 37) * mul + a
        d = (_rot(a, 25) + b) * mul
        return _len16(c, d, mul)
    if n >= 4:
        mul = _K2 + _U64(n * 2)
        a = _fetch32(rows, 0)
        return _len16(_U64(n) + (a << _U64(3)), _fetch32(rows, n - 4), mul)
    if n > 0:
        a = rows[:, 0].astype(np.uint64)
        b = rows[:, n >> 1].astype(np.uint64)
        c = rows[:, n - 1].astype(np.uint64)
        y = a + (b << _U64(8))
        z = _U64(n) + (c << _U64(2))
        return _shift_mix(y * _K2 ^ z * _K0) * _K2
    return np.full(k, _K2, dtype=np.uint64)


def _ends(rows, n, a_mul):
    """The multiplier and the first and last 16 bytes, mixed as both mid-length paths do."""
    mul = _K2 + _U64(n * 2)
    return (mul, _fetch64(rows, 0) * a_mul, _fetch64(rows, 8), _fetch64(rows, n - 8) * mul,
            _fetch64(rows, n - 16) * _K2)


def _len17to32(rows, n):
    mul, a, b, c, d = _ends(rows, n, _K1)
    return _len16(_rot(a + b, 43) + _rot(c, 30) + d, a + _rot(b + _K2, 18) + c, mul)


def _len33to64(rows, n):
    mul, a, b, c, d = _ends(rows, n, _K2)
    y = _rot(a + b, 43) + _rot(c, 30) + d
    z = _len16(y, a + _rot(b + _K2, 18) + c, mul)
    e = _fetch64(rows, 16) * mul
    f = _fetch64(rows, 24)
    g = (y + _fetch64(rows, n - 32)) * mul
    h = (z + _fetch64(rows, n - 24)) * mul
    return _len16(_rot(e + f, 43) + _rot(g, 30) + h, e + _rot(f + a, 18) + g, mul)


def _weak32(rows, p, a, b):
    w, x, y, z = (_fetch64(rows, p + 8 * i) for i in range(4))
    a = a + w
    b = _rot(b + a + z, 21)
    c = a
    a = a + x + y
    b = b + _rot(a, 44)
    return a + z, b + c


def _farm_long(rows, n):
    k = rows.shape[0]
    seed = _U64(81)
    x = np.full(k, seed, dtype=np.uint64)
    y = np.full(k, seed * _K1 + _U64(113), dtype=np.uint64)
    z = _shift_mix(y * _K2 + _U64(113)) * _K2
    v0 = v1 = w0 = w1 = np.zeros(k, dtype=np.uint64)
    x = x * _K2 + _fetch64(rows, 0)
    end = ((n - 1) // 64) * 64
    for p in range(0, end, 64):
        x = _rot(x + y + v0 + _fetch64(rows, p + 8), 37) * _K1
        y = _rot(y + v1 + _fetch64(rows, p + 48), 42) * _K1
        x = x ^ w1
        y = y + v0 + _fetch64(rows, p + 40)
        z = _rot(z + w0, 33) * _K1
        v0, v1 = _weak32(rows, p, v1 * _K1, x + w0)
        w0, w1 = _weak32(rows, p + 32, z + w1, y + _fetch64(rows, p + 16))
        z, x = x, z
    mul = _K1 + ((z & _U64(0xFF)) << _U64(1))
    p = n - 64
    w0 = w0 + _U64((n - 1) & 63)
    v0 = v0 + w0
    w0 = w0 + v0
    x = _rot(x + y + v0 + _fetch64(rows, p + 8), 37) * mul
    y = _rot(y + v1 + _fetch64(rows, p + 48), 42) * mul
    x = x ^ (w1 * _U64(9))
    y = y + v0 * _U64(9) + _fetch64(rows, p + 40)
    z = _rot(z + w0, 33) * mul
    v0, v1 = _weak32(rows, p, v1 * mul, x + w0)
    w0, w1 = _weak32(rows, p + 32, z + w1, y + _fetch64(rows, p + 16))
    z, x = x, z
    return _len16(_len16(v0, w0, mul) + _shift_mix(y) * _K0 + z, _len16(v1, w1, mul) + x, mul)


def _farm_rows(rows, n):
    if n <= 16:
        return _len0to16(rows, n)
    if n <= 32:
        return _len17to32(rows, n)
    if n <= 64:
        return _len33to64(rows, n)
    return _farm_long(rows, n)


def fingerprint64(strings) -> np.ndarray:
    """FarmHash Fingerprint64 of each bytes element, as uint64.

    >>> int(fingerprint64([b"hello"])[0]) % 1000000
    800296
    """
    return _by_length(strings, _farm_rows)


def _sip_round(v0, v1, v2, v3):
    v0 = v0 + v1
    v1 = _rot_left(v1, 13) ^ v0
    v0 = _rot_left(v0, 32)
    v2 = v2 + v3
    v3 = _rot_left(v3, 16) ^ v2
    v0 = v0 + v3
    v3 = _rot_left(v3, 21) ^ v0
    v2 = v2 + v1
    v1 = _rot_left(v1, 17) ^ v2
    v2 = _rot_left(v2, 32)
    return v0, v1, v2, v3


def _rot_left(v, shift):
    return (v << _U64(shift)) | (v >> _U64(64 - shift))


def siphash24(strings, key) -> np.ndarray:
    """Keyed SipHash-2-4 of each bytes element (``key``: two 64-bit integers), as uint64."""
    k0, k1 = (_U64(int(k) & _MASK) for k in key)

    def rows_hash(rows, n):
        k = rows.shape[0]
        v0 = np.full(k, k0 ^ _U64(0x736F6D6570736575), dtype=np.uint64)
        v1 = np.full(k, k1 ^ _U64(0x646F72616E646F6D), dtype=np.uint64)
        v2 = np.full(k, k0 ^ _U64(0x6C7967656E657261), dtype=np.uint64)
        v3 = np.full(k, k1 ^ _U64(0x7465646279746573), dtype=np.uint64)
        full = n - n % 8
        for p in range(0, full, 8):
            m = _fetch64(rows, p)
            v3 = v3 ^ m
            v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
            v0 = v0 ^ m
        last = np.full(k, _U64((n & 0xFF) << 56), dtype=np.uint64)
        for i in range(n - full):
            last = last | (rows[:, full + i].astype(np.uint64) << _U64(8 * i))
        v3 = v3 ^ last
        v0, v1, v2, v3 = _sip_round(*_sip_round(v0, v1, v2, v3))
        v0 = v0 ^ last
        v2 = v2 ^ _U64(0xFF)
        for _ in range(4):
            v0, v1, v2, v3 = _sip_round(v0, v1, v2, v3)
        return v0 ^ v1 ^ v2 ^ v3

    return _by_length(strings, rows_hash)


_MURMUR_M = _U64(0xC6A4A7935BD1E995)


def legacy_hash64(strings, seed=0xDECAFCAFFE) -> np.ndarray:
    """TensorFlow's ``Hash64`` (MurmurHash64A with its fixed seed) of each bytes element."""
    def rows_hash(rows, n):
        k = rows.shape[0]
        h = np.full(k, _U64(seed) ^ (_U64(n) * _MURMUR_M), dtype=np.uint64)
        full = n - n % 8
        for p in range(0, full, 8):
            m = _fetch64(rows, p) * _MURMUR_M
            m = m ^ (m >> _U64(47))
            h = (h ^ (m * _MURMUR_M)) * _MURMUR_M
        if n > full:
            for i in range(n - full):
                h = h ^ (rows[:, full + i].astype(np.uint64) << _U64(8 * i))
            h = h * _MURMUR_M
        h = h ^ (h >> _U64(47))
        h = h * _MURMUR_M
        return h ^ (h >> _U64(47))

    return _by_length(strings, rows_hash)
