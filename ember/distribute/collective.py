"""Cross-process collectives over TCP: the workers of a MultiWorkerMirroredStrategy.

Topology: a star around worker 0 (the chief). Worker 0 listens on its address from the
cluster spec; every other worker connects to it at start-up. In a collective each worker
sends its arrays to worker 0, which combines them in worker order (so every worker gets
bit-identical results, and the same sum whatever the timing) and sends the result back.
This costs the chief ``(workers - 1) x size`` of traffic each way, fine for the few
workers of a CPU cluster; a ring would spread it but not change any result.

Failure is never silent and never waits forever:
- a peer that dies closes its socket: the chief sees it at once and tells every other
  worker which worker is lost (``UnavailableError``); a worker whose chief dies sees
  its connection close (``UnavailableError`` naming worker 0);
- a peer that hangs is given ``timeout`` seconds per collective (``CommunicationOptions
  (timeout_seconds=...)``, else the ``EMBER_COLLECTIVE_TIMEOUT`` environment variable,
  else 300 s): then ``DeadlineExceededError`` naming the workers that did not answer
  (at start-up the workers wait ``EMBER_COLLECTIVE_CONNECT_TIMEOUT`` seconds for each
  other, default the larger of that timeout and 120 s);
- collectives called in a different order by different workers (kind, sequence number,
  shapes, dtypes) raise ``InternalError`` naming the difference.
After a failure the communicator stays broken: later calls raise the same error.

Wire format: each message is an 8-byte big-endian length, a JSON header (kind, sequence
number, reduction, array dtypes and shapes, or an error), and the arrays' raw bytes.
"""
from __future__ import annotations

import json
import os
import selectors
import socket
import struct
import time

import numpy as np

from ember.framework import errors

__all__ = ["Communicator", "default_timeout"]

_LEN = struct.Struct(">Q")
DEFAULT_TIMEOUT = 300.0


def default_timeout() -> float:
    """Seconds a collective waits for its peers: ``EMBER_COLLECTIVE_TIMEOUT`` or 300."""
    raw = os.environ.get("EMBER_COLLECTIVE_TIMEOUT")
    if raw:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"EMBER_COLLECTIVE_TIMEOUT must be a number of seconds, got "
                             f"{raw!r}") from None
        if value <= 0:
            raise ValueError(f"EMBER_COLLECTIVE_TIMEOUT must be positive, got {raw!r}")
        return value
    return DEFAULT_TIMEOUT


def default_connect_timeout(timeout: float) -> float:
    """Seconds the workers wait for each other at start-up (workers start at different
    times): ``EMBER_COLLECTIVE_CONNECT_TIMEOUT``, else the larger of the collective
    timeout and 120 s."""
    raw = os.environ.get("EMBER_COLLECTIVE_CONNECT_TIMEOUT")
    if raw:
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"EMBER_COLLECTIVE_CONNECT_TIMEOUT must be a number of "
                             f"seconds, got {raw!r}") from None
    return max(timeout, 120.0)


def split_address(address: str):
    host, sep, port = str(address).rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"MultiWorkerMirroredStrategy: a worker address must be "
                         f"'host:port', got {address!r}")
    host = host.strip("[]") or "localhost"
    return host, int(port)


class _PeerLost(Exception):
    def __init__(self, rank, why):
        super().__init__(why)
        self.rank = rank
        self.why = why


class _Timeout(Exception):
    pass


def _encode(header: dict, arrays=()) -> list:
    arrays = [np.require(a, requirements="C") for a in arrays]   # (0-d stays 0-d)
    header = dict(header, arrays=[[a.dtype.str, list(a.shape)] for a in arrays])
    head = json.dumps(header).encode()
    return [_LEN.pack(len(head)), head] + [memoryview(a).cast("B") for a in arrays
                                           if a.nbytes]


def _recv_exact(sock, n, deadline, rank):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _Timeout()
        sock.settimeout(left)
        try:
            k = sock.recv_into(view[got:], n - got)
        except socket.timeout:
            raise _Timeout() from None
        except OSError as e:
            raise _PeerLost(rank, f"connection error ({e})") from None
        if k == 0:
            raise _PeerLost(rank, "its connection closed (the process exited or was killed)")
        got += k
    return buf


def _recv_message(sock, deadline, rank):
    (length,) = _LEN.unpack(_recv_exact(sock, _LEN.size, deadline, rank))
    header = json.loads(bytes(_recv_exact(sock, length, deadline, rank)))
    arrays = []
    for dtype, shape in header.get("arrays", []):
        dt = np.dtype(dtype)
        size = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
        raw = _recv_exact(sock, size, deadline, rank) if size else bytearray()
        arrays.append(np.frombuffer(raw, dtype=dt).reshape(shape))
    return header, arrays


def _tune(sock):
    """No Nagle delay, and buffers that hold a typical gradient message at once."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
        try:
            sock.setsockopt(socket.SOL_SOCKET, option, 4 << 20)
        except OSError:
            pass


def _send(sock, parts, rank):
    try:
        for part in parts:
            sock.sendall(part)
    except OSError as e:
        raise _PeerLost(rank, f"sending to it failed ({e})") from None


class Communicator:
    """This process's link to the other workers of a cluster (see the module docstring).

    ``addresses`` lists every worker's ``host:port`` in rank order (chief first); ``rank``
    is this process's place in it.
    """

    def __init__(self, addresses, rank: int, timeout: float | None = None,
                 connect_timeout: float | None = None):
        self.addresses = [str(a) for a in addresses]
        self.size = len(self.addresses)
        self.rank = int(rank)
        if not 0 <= self.rank < self.size:
            raise ValueError(f"MultiWorkerMirroredStrategy: task index {rank} is outside the "
                             f"cluster of {self.size} workers")
        self.timeout = float(timeout) if timeout else default_timeout()
        self.connect_timeout = float(connect_timeout) if connect_timeout else \
            default_connect_timeout(self.timeout)
        self._seq = 0
        self._broken = None
        self._peers = {}         # chief: rank -> socket
        self._chief = None       # other workers: the socket to the chief
        self._listener = None
        if self.size > 1:
            if self.rank == 0:
                self._accept_workers()
            else:
                self._connect_to_chief()

    # -- start-up -------------------------------------------------------------------
    def _name(self, rank):
        role = " (chief)" if rank == 0 else ""
        return f"worker {rank}{role} at {self.addresses[rank]}"

    def _accept_workers(self):
        host, port = split_address(self.addresses[0])
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("" if host in ("0.0.0.0", "") else host, port))
        except OSError as e:
            listener.close()
            raise errors.UnavailableError(
                f"MultiWorkerMirroredStrategy: worker 0 (chief) cannot listen on "
                f"{self.addresses[0]}: {e}") from None
        listener.listen(self.size)
        self._listener = listener
        deadline = time.monotonic() + self.connect_timeout
        while len(self._peers) < self.size - 1:
            left = deadline - time.monotonic()
            if left <= 0:
                missing = [r for r in range(1, self.size) if r not in self._peers]
                self.close()
                raise errors.DeadlineExceededError(
                    f"MultiWorkerMirroredStrategy: worker(s) "
                    f"{', '.join(self._name(r) for r in missing)} did not connect to the "
                    f"chief within {self.connect_timeout:g} s")
            listener.settimeout(left)
            try:
                conn, _ = listener.accept()
            except socket.timeout:
                continue
            _tune(conn)
            try:
                hello, _ = _recv_message(conn, time.monotonic() + 10.0, -1)
            except (_PeerLost, _Timeout, ValueError):
                conn.close()
                continue
            r = hello.get("rank")
            if hello.get("size") != self.size or not isinstance(r, int) or \
                    not 0 < r < self.size or r in self._peers:
                conn.close()
                self.close()
                raise errors.InvalidArgumentError(
                    f"MultiWorkerMirroredStrategy: a worker connected with task index {r} "
                    f"and a cluster of {hello.get('size')} workers; this chief has a cluster "
                    f"of {self.size} ({self.addresses}) and has already seen "
                    f"{sorted(self._peers)}. Check every worker's TF_CONFIG.")
            self._peers[r] = conn
        for r, conn in self._peers.items():
            self._send_to(r, _encode({"kind": "ready"}))
        listener.close()
        self._listener = None

    def _connect_to_chief(self):
        host, port = split_address(self.addresses[0])
        deadline = time.monotonic() + self.connect_timeout
        last = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise errors.DeadlineExceededError(
                    f"MultiWorkerMirroredStrategy: worker {self.rank} could not reach "
                    f"{self._name(0)} within {self.connect_timeout:g} s ({last})")
            try:
                sock = socket.create_connection((host, port), timeout=min(left, 5.0))
                break
            except OSError as e:
                last = e
                time.sleep(min(0.05, max(left, 0)))
        _tune(sock)
        self._chief = sock
        try:
            _send(sock, _encode({"kind": "hello", "rank": self.rank, "size": self.size}), 0)
            header, _ = _recv_message(sock, deadline, 0)
        except _PeerLost as e:
            self._fail(errors.UnavailableError(
                f"MultiWorkerMirroredStrategy: lost {self._name(0)} while joining the "
                f"cluster: {e.why}"))
        except _Timeout:
            self._fail(errors.DeadlineExceededError(
                f"MultiWorkerMirroredStrategy: {self._name(0)} did not finish start-up "
                f"within {self.connect_timeout:g} s"))
        if header.get("kind") != "ready":
            self._fail(errors.InternalError(f"MultiWorkerMirroredStrategy: unexpected start-up "
                                            f"message from the chief: {header}"))

    # -- failure ----------------------------------------------------------------------
    def _fail(self, error):
        self._broken = error
        self.close()
        raise error

    def _send_to(self, rank, parts):
        _send(self._peers[rank], parts, rank)

    def _abort_others(self, error, skip=()):
        """The chief tells every other live worker why the cluster failed."""
        cls = type(error).__name__
        for r, conn in list(self._peers.items()):
            if r in skip:
                continue
            try:
                conn.settimeout(1.0)
                for part in _encode({"kind": "error", "error": cls, "message": str(error)}):
                    conn.sendall(part)
            except OSError:
                pass

    # -- the collective -----------------------------------------------------------------
    def exchange(self, kind: str, arrays, **attrs) -> list:
        """One collective: every worker passes its arrays; every worker gets the combined
        result (see ``all_reduce``, ``broadcast``, ``all_gather``)."""
        if self._broken is not None:
            raise type(self._broken)(str(self._broken))
        arrays = [np.asarray(a) for a in arrays]
        self._seq += 1
        if self.size == 1:
            return _combine(kind, [arrays], attrs)
        header = {"kind": kind, "seq": self._seq, **attrs}
        if self.rank == 0:
            return self._exchange_as_chief(header, arrays, attrs)
        return self._exchange_as_worker(header, arrays)

    def _describe(self, header):
        return f"collective {header['kind']} #{header['seq']}"

    def _exchange_as_chief(self, header, arrays, attrs):
        deadline = time.monotonic() + self.timeout
        got = {0: (header, arrays)}
        selector = selectors.DefaultSelector()
        for r, conn in self._peers.items():
            selector.register(conn, selectors.EVENT_READ, r)
        try:
            while len(got) < self.size:
                left = deadline - time.monotonic()
                ready = selector.select(timeout=max(left, 0)) if left > 0 else []
                if not ready:
                    late = [r for r in range(self.size) if r not in got]
                    error = errors.DeadlineExceededError(
                        f"MultiWorkerMirroredStrategy: {self._describe(header)} timed out "
                        f"after {self.timeout:g} s waiting for "
                        f"{', '.join(self._name(r) for r in late)} (hung or too slow; set "
                        f"CommunicationOptions(timeout_seconds=...) or "
                        f"EMBER_COLLECTIVE_TIMEOUT to wait longer)")
                    self._abort_others(error, skip=late)
                    self._fail(error)
                for key, _ in ready:
                    r = key.data
                    selector.unregister(key.fileobj)
                    got[r] = _recv_message(key.fileobj, deadline, r)
        except _PeerLost as e:
            error = errors.UnavailableError(
                f"MultiWorkerMirroredStrategy: {self._name(e.rank)} is unavailable during "
                f"{self._describe(header)}: {e.why}")
            self._abort_others(error, skip=(e.rank,))
            self._fail(error)
        except _Timeout:
            late = [r for r in range(self.size) if r not in got]
            error = errors.DeadlineExceededError(
                f"MultiWorkerMirroredStrategy: {self._describe(header)} timed out after "
                f"{self.timeout:g} s receiving from {', '.join(self._name(r) for r in late)}")
            self._abort_others(error, skip=late)
            self._fail(error)
        finally:
            selector.close()
        mismatch = _check_same(header, [got[r] for r in range(self.size)], self._name)
        if mismatch is not None:
            error = errors.InternalError(f"MultiWorkerMirroredStrategy: {mismatch}")
            self._abort_others(error)
            self._fail(error)
        result = _combine(header["kind"], [got[r][1] for r in range(self.size)], attrs)
        message = _encode({"kind": "result", "seq": header["seq"]}, result)
        try:
            for r in self._peers:
                self._send_to(r, message)
        except _PeerLost as e:
            error = errors.UnavailableError(
                f"MultiWorkerMirroredStrategy: {self._name(e.rank)} is unavailable during "
                f"{self._describe(header)}: {e.why}")
            self._abort_others(error, skip=(e.rank,))
            self._fail(error)
        return result

    def _exchange_as_worker(self, header, arrays):
        deadline = time.monotonic() + self.timeout
        try:
            _send(self._chief, _encode(header, arrays), 0)
            reply, result = _recv_message(self._chief, deadline, 0)
        except _PeerLost as e:
            self._fail(errors.UnavailableError(
                f"MultiWorkerMirroredStrategy: {self._name(0)} is unavailable during "
                f"{self._describe(header)}: {e.why}"))
        except _Timeout:
            self._fail(errors.DeadlineExceededError(
                f"MultiWorkerMirroredStrategy: {self._describe(header)} timed out after "
                f"{self.timeout:g} s waiting for {self._name(0)} (hung or too slow; set "
                f"CommunicationOptions(timeout_seconds=...) or EMBER_COLLECTIVE_TIMEOUT to "
                f"wait longer)"))
        if reply.get("kind") == "error":
            cls = getattr(errors, reply.get("error", ""), errors.UnavailableError)
            self._fail(cls(reply.get("message", "the cluster failed")))
        return result

    # -- the collectives users of this class call ----------------------------------------
    def all_reduce(self, arrays, op: str = "sum") -> list:
        """Elementwise ``op`` ('sum', 'mean', 'max', 'min') of every worker's arrays."""
        return self.exchange("all_reduce", arrays, op=op)

    def broadcast(self, arrays, root: int = 0) -> list:
        """Worker ``root``'s arrays, on every worker."""
        return self.exchange("broadcast", arrays, root=int(root))

    def all_gather(self, arrays, axis: int = 0) -> list:
        """Every worker's arrays concatenated along ``axis`` in worker order (the other
        dimensions must agree)."""
        return self.exchange("all_gather", arrays, axis=int(axis))

    def barrier(self) -> None:
        self.exchange("barrier", [])

    def close(self):
        for sock in list(self._peers.values()) + [self._chief, self._listener]:
            if sock is not None:
                try:
                    sock.close()
                except OSError:
                    pass
        self._peers = {}
        self._chief = self._listener = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001  (interpreter shutdown)
            pass


def _check_same(header, messages, name):
    """None when every worker called the same collective on like arrays, else why not."""
    kind = header["kind"]
    for r, (h, arrays) in enumerate(messages):
        if h.get("kind") != kind or h.get("seq") != header["seq"]:
            return (f"the workers called different collectives: {name(0)} called {kind} "
                    f"#{header['seq']}, {name(r)} called {h.get('kind')} #{h.get('seq')}")
        for key in ("op", "root", "axis"):
            if h.get(key) != header.get(key):
                return (f"the workers called {kind} #{header['seq']} with different {key}: "
                        f"{header.get(key)!r} on {name(0)}, {h.get(key)!r} on {name(r)}")
        if len(arrays) != len(messages[0][1]):
            return (f"{kind} #{header['seq']}: {name(r)} passed {len(arrays)} tensors, "
                    f"{name(0)} {len(messages[0][1])}")
        if kind == "all_reduce":
            for a, b in zip(arrays, messages[0][1]):
                if a.shape != b.shape or a.dtype != b.dtype:
                    return (f"all_reduce #{header['seq']}: {name(r)} passed a "
                            f"{a.dtype}{list(a.shape)} tensor where {name(0)} passed "
                            f"{b.dtype}{list(b.shape)}")
    return None


def _combine(kind, per_worker, attrs):
    if kind == "barrier":
        return []
    if kind == "broadcast":
        return [np.array(a) for a in per_worker[attrs.get("root", 0)]]
    if kind == "all_gather":
        axis = attrs.get("axis", 0)
        return [np.concatenate(parts, axis=axis) for parts in zip(*per_worker)]
    op = attrs.get("op", "sum")
    out = []
    for parts in zip(*per_worker):
        acc = np.array(parts[0], copy=True)
        for p in parts[1:]:
            if op in ("sum", "mean"):
                acc = acc + p
            elif op == "max":
                acc = np.maximum(acc, p)
            elif op == "min":
                acc = np.minimum(acc, p)
            else:
                raise ValueError(f"all_reduce: unknown op {op!r}")
        if op == "mean":
            acc = (acc / len(parts)).astype(acc.dtype) if acc.dtype.kind == "f" else \
                acc // len(parts)
        out.append(np.asarray(acc, dtype=parts[0].dtype))
    return out
