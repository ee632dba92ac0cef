"""ModelServer: TensorFlow Serving's REST API over HTTP, on the standard library's
threading HTTP server (one thread per connection).

    GET  /v1/models/NAME[/versions/V|/labels/L]                 model status
    GET  /v1/models/NAME[/versions/V|/labels/L]/metadata        signatures
    POST /v1/models/NAME[/versions/V|/labels/L]:predict         row or columnar tensors
    POST /v1/models/NAME[/versions/V|/labels/L]:classify        tf.Example features
    POST /v1/models/NAME[/versions/V|/labels/L]:regress

Every answer is JSON; a failed request gets ``{"error": "..."}`` with the HTTP status
TensorFlow Serving gives its error code (400 for a bad request, 404 for an unknown model
or version, 500 for a failure inside the model), never a traceback, and the server goes
on serving.
"""
from __future__ import annotations

import contextlib
import functools
import json
import os
import re
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ember.serving.batching import BatchingParameters, parse_batching_parameters
from ember.serving.config import ModelConfig, read_model_config_file
from ember.serving.errors import ServingError, from_exception, invalid_argument
from ember.serving.json_tensors import parse_request
from ember.serving.manager import ModelManager
from ember.serving.servable import Servable

__all__ = ["ModelServer"]

_VERSION_OR_LABEL = r"(?:(?:/versions/(\d+))|(?:/labels/([^/:]+)))?"
_PREDICT = re.compile(r"(?i)/v1/models/([^/:]+)" + _VERSION_OR_LABEL +
                      r":(classify|regress|predict)")
_STATUS = re.compile(r"(?i)/v1/models(?:/([^/:]+))?" + _VERSION_OR_LABEL + r"(?:/(metadata))?")
_API = re.compile(r"(?i)/v1/.*")
_MAX_BODY = 1 << 31


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "ember-model-server"
    timeout = 120           # seconds a connection may sit idle or stall mid-request

    # ------------------------------------------------------------------- plumbing ---
    def setup(self):
        super().setup()
        try:        # each reply goes out at once (no Nagle wait for the client's ACK)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        if self.server.model_server.log_requests:
            sys.stderr.write(f"{self.address_string()} - [{self.log_date_time_string()}] "
                             f"{format % args}\n")

    def send_error(self, code, message=None, explain=None):
        """HTTP-level errors (a malformed request line, an unsupported method) as JSON."""
        self._reply(code, json.dumps({"error": message or self.responses.get(code, ("",))[0]}))

    def _reply(self, status, text):
        body = text.encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":          # a HEAD reply has headers only
                self.wfile.write(body)
        except OSError:
            self.close_connection = True            # the client went away

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0 or length > _MAX_BODY:
            raise invalid_argument(f"Request body of {length} bytes is too large.")
        return self.rfile.read(length) if length else b""

    def _handle(self, method):
        path = urllib.parse.urlsplit(self.path).path
        try:
            body = self._body() if method == "POST" else b""
        except (ValueError, OSError, ServingError) as e:
            self.close_connection = True
            self._reply(400, json.dumps({"error": f"Cannot read the request body: {e}"}))
            return
        server = self.server.model_server
        try:
            with server._slots:
                status, text = 200, server.process(method, path, body)
        except Exception as e:                  # noqa: BLE001 - every failure is a reply
            err = from_exception(e)
            status, text = err.http_status, json.dumps({"error": err.message})
        self._reply(status, text)

    def do_GET(self):  # noqa: N802 - http.server's names
        self._handle("GET")

    def do_POST(self):  # noqa: N802
        self._handle("POST")

    def do_PUT(self):  # noqa: N802
        self._handle("PUT")

    def do_DELETE(self):  # noqa: N802
        self._handle("DELETE")


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        """A connection that fails outside a request (reset by the client): dropped
        quietly unless requests are logged."""
        if self.model_server.log_requests:
            sys.stderr.write(f"ember model server: connection from {client_address} "
                             f"failed: {sys.exc_info()[1]!r}\n")


class ModelServer:
    """Serves SavedModels with TensorFlow Serving's REST API.

    >>> server = ember.serving.ModelServer("half_plus_two", "/models/half_plus_two",
    ...                                    rest_api_port=0).start()
    >>> urllib.request.urlopen(server.url + "/v1/models/half_plus_two").read()
    >>> server.stop()

    ``model_base_path`` holds one directory per version (``1/``, ``2/``, ...), each a
    SavedModel written by ``ember.saved_model.save`` or Keras ``model.export``; the
    highest version is served (or what ``model_config_file``'s version policies say),
    and the base paths are looked at again every ``file_system_poll_wait_seconds``
    (0: only at start) for new versions. ``rest_api_port=0`` picks a free port
    (``server.port``); ``rest_api_num_threads`` caps how many requests run at once.
    ``enable_batching`` (with ``batching_parameters_file`` or ``batching_parameters``, an
    ``ember.serving.batching.BatchingParameters``) runs concurrent requests for one
    signature as one batch.
    Requests are logged to stderr only with ``log_requests=True``.
    """

    def __init__(self, model_name: str | None = None, model_base_path: str | None = None, *,
                 model_config_file: str | None = None, model_configs=None,
                 rest_api_port: int = 8501, rest_api_host: str = "0.0.0.0",
                 file_system_poll_wait_seconds: float = 1.0,
                 model_config_file_poll_wait_seconds: float = 0.0,
                 rest_api_num_threads: int | None = None, enable_batching: bool = False,
                 batching_parameters_file: str | None = None, batching_parameters=None,
                 log_requests: bool = False):
        configs = list(model_configs or [])
        if model_config_file:
            if model_base_path:
                raise ValueError("Give either model_base_path (with model_name) or "
                                 "model_config_file, not both.")
            configs.extend(read_model_config_file(model_config_file))
        elif model_base_path:
            configs.append(ModelConfig(name=model_name or "default", base_path=model_base_path))
        if not configs:
            raise ValueError("ModelServer needs a model: model_name and model_base_path, "
                             "model_config_file, or model_configs.")
        if batching_parameters_file:
            with open(batching_parameters_file, encoding="utf-8") as f:
                batching_parameters = parse_batching_parameters(f.read())
        if batching_parameters is None and enable_batching:
            batching_parameters = BatchingParameters()
        self.batching = batching_parameters
        self.manager = ModelManager(configs, loader=functools.partial(
            Servable, batching=batching_parameters))
        self.model_config_file = model_config_file
        self.rest_api_port = int(rest_api_port)
        self.rest_api_host = rest_api_host
        self.poll_seconds = float(file_system_poll_wait_seconds)
        self.config_poll_seconds = float(model_config_file_poll_wait_seconds)
        self.log_requests = bool(log_requests)
        if rest_api_num_threads is not None and rest_api_num_threads < 1:
            raise ValueError(f"rest_api_num_threads must be at least 1; got "
                             f"{rest_api_num_threads}.")
        # requests answered at once (the others wait); unlimited by default
        self._slots = threading.BoundedSemaphore(rest_api_num_threads) \
            if rest_api_num_threads else contextlib.nullcontext()
        self._httpd = None
        self._threads = []
        self._stopping = threading.Event()

    # ------------------------------------------------------------------- lifecycle ---
    @property
    def port(self) -> int:
        """The port the REST API listens on (known once started)."""
        return self._httpd.server_address[1] if self._httpd else self.rest_api_port

    @property
    def url(self) -> str:
        host = self.rest_api_host if self.rest_api_host not in ("", "0.0.0.0", "::") \
            else "localhost"
        return f"http://{host}:{self.port}"

    def start(self) -> "ModelServer":
        """Loads the models (their current versions), then serves in background threads."""
        if self._httpd is not None:
            raise RuntimeError("This ModelServer is already running.")
        self._stopping.clear()
        self.manager.poll()
        self._httpd = _HTTPServer((self.rest_api_host, self.rest_api_port), _Handler)
        self._httpd.model_server = self
        self._threads = [threading.Thread(target=self._httpd.serve_forever,
                                          kwargs={"poll_interval": 0.2},
                                          name="ember-rest-api", daemon=True)]
        if self.poll_seconds > 0 or (self.config_poll_seconds > 0 and self.model_config_file):
            self._threads.append(threading.Thread(target=self._watch, daemon=True,
                                                  name="ember-model-poll"))
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        """Stops serving (requests being answered finish) and the polling."""
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(5)
        self._threads = []

    def serve_forever(self) -> None:
        """start(), then wait until stop() (or a KeyboardInterrupt)."""
        if self._httpd is None:
            self.start()
        try:
            while not self._stopping.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self):
        return self if self._httpd is not None else self.start()

    def __exit__(self, *exc):
        self.stop()

    def _watch(self):
        next_poll = next_config = time.monotonic()
        config_mtime = None
        while not self._stopping.is_set():
            now = time.monotonic()
            if self.config_poll_seconds > 0 and self.model_config_file and now >= next_config:
                next_config = now + self.config_poll_seconds
                config_mtime = self._reload_config(config_mtime)
            if self.poll_seconds > 0 and now >= next_poll:
                next_poll = now + self.poll_seconds
                try:
                    self.manager.poll()
                except Exception as e:          # noqa: BLE001 - keep watching
                    if self.log_requests:
                        sys.stderr.write(f"ember model server: polling failed: {e!r}\n")
            waits = [t - time.monotonic() for t, on in
                     ((next_poll, self.poll_seconds > 0),
                      (next_config, self.config_poll_seconds > 0)) if on]
            self._stopping.wait(max(0.01, min(waits)) if waits else 0.5)

    def _reload_config(self, last_mtime):
        try:
            mtime = os.stat(self.model_config_file).st_mtime
            if mtime != last_mtime:
                self.manager.set_configs(read_model_config_file(self.model_config_file))
                self.manager.poll()
            return mtime
        except (OSError, ValueError, NotImplementedError) as e:
            if self.log_requests:
                sys.stderr.write(f"ember model server: cannot reload "
                                 f"{self.model_config_file}: {e}\n")
            return last_mtime

    # -------------------------------------------------------------------- requests ---
    def process(self, method: str, path: str, body: bytes = b"") -> str:
        """The JSON answer to one REST request (raises ServingError for an error reply)."""
        if not _API.fullmatch(path):
            raise ServingError("NOT_FOUND", f"Not found: {method} {path} (the REST API is "
                                            f"under /v1/models/...)")
        m = _PREDICT.fullmatch(path) if method == "POST" else None
        if m is not None:
            name, version, label, verb = _spec(m)
            servable = self.manager.servable(name, version, label)
            return getattr(servable, verb.lower())(parse_request(body))
        m = _STATUS.fullmatch(path) if method == "GET" else None
        if m is None:
            raise invalid_argument(f"Malformed request: {method} {path}")
        name, version, label, metadata = _spec(m)
        if not name:
            raise invalid_argument("Missing model name in request.")
        if metadata:
            return json.dumps(self.manager.servable(name, version, label).metadata(),
                              indent=1)
        return json.dumps(self.manager.status(name, version, label), indent=1)


def _spec(match):
    """(model name, version or None, label or None, last group) of a matched path."""
    name, version, label, last = match.groups()
    return (urllib.parse.unquote(name) if name else name,
            int(version) if version else None,
            urllib.parse.unquote(label) if label else None, last)
