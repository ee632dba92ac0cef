"""CRC-32C (Castagnoli), and the masked form TFRecord files store."""
from __future__ import annotations

__all__ = ["crc32c", "masked_crc32c"]

_POLY = 0x82F63B78


def _table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _table()
_fast = None


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


def crc32c(data: bytes) -> int:
    fast = _native()
    if fast:
        return fast(data)
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in bytes(data):
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF
