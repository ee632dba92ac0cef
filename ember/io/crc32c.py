"""CRC-32C (Castagnoli), and the masked form TFRecord files store.

Short inputs take the table loop in Python. Long ones are cut into 256-byte blocks whose
CRCs NumPy computes side by side (one table step per byte position for all blocks at
once); CRC is linear, so the blocks' CRCs are then joined by "appending 256 zero bytes"
(a fixed linear map on the 32-bit state, applied through four byte tables). A native
``google_crc32c`` or ``crc32c`` package is used instead when installed."""
from __future__ import annotations

import numpy as np

__all__ = ["crc32c", "masked_crc32c"]

_POLY = 0x82F63B78
_BLOCK = 256
_NUMPY_FROM = 2048


def _table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _table()
_TABLE_NP = np.array(_TABLE, dtype=np.uint32)
_fast = None
_shift_tables = None


def _native():
    global _fast
    if _fast is None:
        try:
            import google_crc32c
            _fast = lambda data: google_crc32c.value(bytes(data))  # noqa: E731
        except ImportError:
            try:
                import crc32c as crc_pkg
                _fast = crc_pkg.crc32c
            except ImportError:
                _fast = False
    return _fast


def _raw_python(crc: int, data) -> int:
    """The register after feeding ``data`` (no initial or final inversion)."""
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc


def _zeros_map(n_bytes):
    """Images of the 32 state bits after ``n_bytes`` zero bytes (a linear map)."""
    return [_raw_python(1 << bit, bytes(n_bytes)) for bit in range(32)]


def _shift_by_block():
    """Four 256-entry tables: the state after one block of zeros, byte by byte."""
    global _shift_tables
    if _shift_tables is None:
        columns = np.array(_zeros_map(_BLOCK), dtype=np.uint32)
        tables = []
        values = np.arange(256, dtype=np.uint32)
        for k in range(4):
            t = np.zeros(256, dtype=np.uint32)
            for bit in range(8):
                t ^= np.where((values >> bit) & 1, columns[8 * k + bit], 0).astype(np.uint32)
            tables.append([int(v) for v in t])
        _shift_tables = tables
    return _shift_tables


def _raw_numpy(data: bytes) -> int:
    """The register from 0 after ``data``, block-parallel."""
    n = len(data)
    pad = (-n) % _BLOCK
    # leading zero bytes leave a zero register unchanged
    arr = np.frombuffer(bytes(pad) + bytes(data), dtype=np.uint8).reshape(-1, _BLOCK)
    state = np.zeros(arr.shape[0], dtype=np.uint32)
    table = _TABLE_NP
    for j in range(_BLOCK):
        state = table[(state ^ arr[:, j]) & 0xFF] ^ (state >> 8)
    t0, t1, t2, t3 = _shift_by_block()
    total = 0
    for r in state.tolist():
        total = (t0[total & 0xFF] ^ t1[(total >> 8) & 0xFF] ^ t2[(total >> 16) & 0xFF] ^
                 t3[total >> 24]) ^ r
    return total


def crc32c(data: bytes) -> int:
    fast = _native()
    if fast:
        return fast(data)
    data = bytes(data)
    if len(data) < _NUMPY_FROM:
        return _raw_python(0xFFFFFFFF, data) ^ 0xFFFFFFFF
    # crc(init, data) = zeros(init, len(data)) ^ crc(0, data)
    init_part = _shift_state(0xFFFFFFFF, len(data))
    return (init_part ^ _raw_numpy(data)) ^ 0xFFFFFFFF


def _shift_state(state: int, n_bytes: int) -> int:
    """The register ``state`` after ``n_bytes`` zero bytes: whole blocks through the block
    tables, the rest byte by byte."""
    t0, t1, t2, t3 = _shift_by_block()
    blocks, rest = divmod(n_bytes, _BLOCK)
    for _ in range(blocks):
        state = t0[state & 0xFF] ^ t1[(state >> 8) & 0xFF] ^ t2[(state >> 16) & 0xFF] ^ \
            t3[state >> 24]
    return _raw_python(state, bytes(rest))


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
