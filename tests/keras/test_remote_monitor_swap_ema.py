"""keras.callbacks.RemoteMonitor (against a local HTTP server) and SwapEMAWeights."""
import http.server
import json
import threading
import urllib.parse

import numpy as np
import pytest

from ember import keras


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype("float32")
    return x, x @ np.array([[1.0], [-2.0], [0.5]], np.float32)


def model(use_ema=True):
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    m.compile(keras.optimizers.SGD(0.05, use_ema=use_ema, ema_momentum=0.9), "mse")
    return m


@pytest.mark.parametrize("as_json", [False, True])
def test_remote_monitor_posts_epoch_logs(as_json):
    received = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        x, y = data()
        history = model(False).fit(x, y, epochs=2, verbose=0, callbacks=[
            keras.callbacks.RemoteMonitor(root=f"http://127.0.0.1:{server.server_port}",
                                          path="/ep", send_as_json=as_json)])
    finally:
        server.shutdown()
        server.server_close()
    assert [r[0] for r in received] == ["/ep", "/ep"]
    payloads = [json.loads(b) if as_json else
                json.loads(urllib.parse.parse_qs(b)["data"][0]) for _, _, b in received]
    assert [p["epoch"] for p in payloads] == [0, 1]
    np.testing.assert_allclose([p["loss"] for p in payloads], history.history["loss"])


def test_remote_monitor_warns_when_unreachable():
    x, y = data()
    with pytest.warns(UserWarning, match="RemoteMonitor"):
        model(False).fit(x, y, epochs=1, verbose=0, callbacks=[
            keras.callbacks.RemoteMonitor(root="http://127.0.0.1:9", timeout=2)])


def test_swap_ema_weights_evaluates_with_the_averages():
    x, y = data()
    m = model()
    history = m.fit(x, y, epochs=3, batch_size=16, validation_data=(x, y), verbose=0,
                    callbacks=[keras.callbacks.SwapEMAWeights()])
    trained = [np.array(v.numpy()) for v in m.trainable_variables]
    averages = [np.array(a.numpy()) for a in m.optimizer._model_variables_moving_average]
    assert not np.allclose(trained[0], averages[0])      # the averages differ
    # the validation loss was computed with the EMA weights, then the training ones came back
    for v, a in zip(m.trainable_variables, averages):
        v.assign(a)
    np.testing.assert_allclose(m.evaluate(x, y, verbose=0), history.history["val_loss"][-1],
                               rtol=1e-5)
    for v, t in zip(m.trainable_variables, trained):
        v.assign(t)
    m2 = model()
    m2.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.SwapEMAWeights(
        swap_on_epoch=True)])
    ema = m2.optimizer._model_variables_moving_average
    for v, a in zip(m2.trainable_variables, ema):           # EMA weights left in the model
        np.testing.assert_allclose(v.numpy(), a.numpy())
    with pytest.raises(ValueError, match="use_ema"):
        model(False).fit(x, y, epochs=1, validation_data=(x, y), verbose=0,
                         callbacks=[keras.callbacks.SwapEMAWeights()])
