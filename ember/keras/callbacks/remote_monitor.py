"""RemoteMonitor: send each epoch's logs to a server over HTTP."""
from __future__ import annotations

import json
import warnings

import numpy as np

from ember.keras.callbacks.callback import Callback

__all__ = ["RemoteMonitor"]


class RemoteMonitor(Callback):
    """POSTs ``{"epoch": n, <log>: value, ...}`` to ``root + path`` at each epoch's end:
    as a form field ``field`` holding the JSON, or (``send_as_json=True``) as a JSON body.
    A server that cannot be reached gives a warning, not an error.

    >>> keras.callbacks.RemoteMonitor(root="http://localhost:9000")
    """

    def __init__(self, root="http://localhost:9000", path="/publish/epoch/end/",
                 field="data", headers=None, send_as_json=False, timeout=10.0):
        super().__init__()
        self.root = root
        self.path = path
        self.field = field
        self.headers = dict(headers or {})
        self.send_as_json = bool(send_as_json)
        self.timeout = timeout

    def on_epoch_end(self, epoch, logs=None):
        import urllib.parse          # loaded here: urllib.request costs 20 ms at import
        import urllib.request
        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            arr = np.asarray(value)
            send[key] = arr.item() if arr.ndim == 0 else arr.tolist()
        if self.send_as_json:
            body = json.dumps(send).encode()
            headers = {"Content-Type": "application/json", **self.headers}
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded", **self.headers}
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout):
                pass
        except OSError:
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
