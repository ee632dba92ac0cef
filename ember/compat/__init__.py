"""ember.compat: ``compat.v1`` (TF1-style graphs and Sessions) and ``compat.v2``."""
from ember.compat import v1  # noqa: F401


def _v2():
    import ember
    return ember


def __getattr__(name):
    if name == "v2":
        return _v2()
    raise AttributeError(name)


def as_bytes(bytes_or_text, encoding="utf-8"):
    return bytes_or_text.encode(encoding) if isinstance(bytes_or_text, str) else bytes(bytes_or_text)


def as_text(bytes_or_text, encoding="utf-8"):
    return bytes_or_text.decode(encoding) if isinstance(bytes_or_text, bytes) else str(bytes_or_text)


as_str = as_text
