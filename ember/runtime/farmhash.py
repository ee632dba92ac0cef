"""FarmHash Fingerprint64 (farmhashna's 64-bit hash), the hash TensorFlow's
to_hash_bucket_fast and Keras's Hashing use, for byte strings of up to 64 bytes; and
TensorFlow's FingerprintCat64 that combines fingerprints (sparse feature crosses)."""
from __future__ import annotations

import numpy as np

MASK = (1 << 64) - 1
K0 = 0xC3A5C85C97CB3127
K1 = 0xB492B66FBE98F273
K2 = 0x9AE16A3B2F90404F


def _f64(s, i):
    return int.from_bytes(s[i:i + 8], "little")


def _f32(s, i):
    return int.from_bytes(s[i:i + 4], "little")


def _rot(v, shift):
    return v if shift == 0 else ((v >> shift) | (v << (64 - shift))) & MASK


def _mix16(u, v, mul):
    a = ((u ^ v) * mul) & MASK
    a ^= a >> 47
    b = ((v ^ a) * mul) & MASK
    b ^= b >> 47
    return (b * mul) & MASK


def _upto16(s, n):
    if n >= 8:
        mul = K2 + n * 2
        a = (_f64(s, 0) + K2) & MASK
        b = _f64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & MASK
        d = ((_rot(a, 25) + b) * mul) & MASK
        return _mix16(c, d, mul)
    if n >= 4:
        mul = K2 + n * 2
        return _mix16((n + (_f32(s, 0) << 3)) & MASK, _f32(s, n - 4), mul)
    if n > 0:
        y = s[0] + (s[n >> 1] << 8)
        z = n + (s[n - 1] << 2)
        v = ((y * K2) ^ (z * K0)) & MASK
        return ((v ^ (v >> 47)) * K2) & MASK
    return K2


def _head(s, n, ka):
    """The four words both 17-32 and 33-64 byte hashes start from."""
    mul = K2 + n * 2
    a = (_f64(s, 0) * ka) & MASK
    b = _f64(s, 8)
    c = (_f64(s, n - 8) * mul) & MASK
    d = (_f64(s, n - 16) * K2) & MASK
    y = (_rot((a + b) & MASK, 43) + _rot(c, 30) + d) & MASK
    return mul, a, y, (a + _rot((b + K2) & MASK, 18) + c) & MASK


def _upto32(s, n):
    mul, _, y, x = _head(s, n, K1)
    return _mix16(y, x, mul)


def _upto64(s, n):
    mul, a, y, x = _head(s, n, K2)
    z = _mix16(y, x, mul)
    e = (_f64(s, 16) * mul) & MASK
    f = _f64(s, 24)
    g = ((y + _f64(s, n - 32)) * mul) & MASK
    h = ((z + _f64(s, n - 24)) * mul) & MASK
    return _mix16((_rot((e + f) & MASK, 43) + _rot(g, 30) + h) & MASK,
                  (e + _rot((f + a) & MASK, 18) + g) & MASK, mul)


def fingerprint64(data: bytes) -> int:
    """The unsigned 64-bit FarmHash fingerprint of ``data`` (at most 64 bytes)."""
    n = len(data)
    if n <= 16:
        return _upto16(data, n)
    if n <= 32:
        return _upto32(data, n)
    if n <= 64:
        return _upto64(data, n)
    raise NotImplementedError(f"fingerprint64: inputs longer than 64 bytes are not "
                              f"supported yet (got {n} bytes)")


_CAT_MUL = np.uint64(0xC6A4A7935BD1E995)


def _shift_mix(v):
    return v ^ (v >> np.uint64(47))


def fingerprint_cat64(fp1, fp2):
    """TensorFlow's FingerprintCat64 of two uint64 arrays (elementwise)."""
    with np.errstate(over="ignore"):
        r = np.asarray(fp1, np.uint64) ^ _CAT_MUL
        r = r ^ (_shift_mix(np.asarray(fp2, np.uint64) * _CAT_MUL) * _CAT_MUL)
        r = r * _CAT_MUL
        r = _shift_mix(r) * _CAT_MUL
        return _shift_mix(r)
