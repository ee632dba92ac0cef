"""The REST model server's cost over calling the loaded signature directly: a Dense MLP
(784-512-512-10, the W1 model) exported with ``model.export`` and served by
``ember.serving.ModelServer``; per request, median milliseconds of

- ``direct``: ``loaded.signatures["serving_default"](feat=x)`` in this process,
- ``rest``: a ``:predict`` row-format request over HTTP (JSON both ways, urllib client),

for batches of 1 and 32, interleaved round by round; then requests per second with 1 and 4
client threads (batch 1), without and with server-side batching (``enable_batching``,
at most 32 rows, 1 ms timeout).

    python bench/serving_latency.py [--rounds 5] [--calls 50]

On a shared machine only the ratios mean anything.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import ember  # noqa: E402
from ember import keras  # noqa: E402
from ember.serving.batching import BatchingParameters  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--calls", type=int, default=50)
    args = p.parse_args()
    tmp = tempfile.mkdtemp()
    try:
        keras.utils.set_random_seed(0)
        i = keras.Input((784,), name="feat")
        h = keras.layers.Dense(512, activation="relu")(i)
        h = keras.layers.Dense(512, activation="relu")(h)
        model = keras.Model(i, keras.layers.Dense(10, activation="softmax")(h))
        model.export(f"{tmp}/w1/1", verbose=False)
        sig = ember.saved_model.load(f"{tmp}/w1/1").signatures["serving_default"]
        server = ember.serving.ModelServer("w1", f"{tmp}/w1", rest_api_port=0,
                                           rest_api_host="127.0.0.1",
                                           file_system_poll_wait_seconds=0).start()
        url = server.url + "/v1/models/w1:predict"
        rng = np.random.default_rng(0)

        def rest(x):
            body = json.dumps({"instances": x.tolist()}).encode()
            with urllib.request.urlopen(urllib.request.Request(url, data=body)) as r:
                return json.loads(r.read())

        def timed(fn, x):
            for _ in range(5):
                fn(x)
            times = []
            for _ in range(args.calls):
                t = time.perf_counter()
                fn(x)
                times.append(time.perf_counter() - t)
            return statistics.median(times) * 1e3

        for batch in (1, 32):
            x = rng.random((batch, 784), dtype=np.float32)
            ratios = []
            for r in range(args.rounds):
                direct = timed(lambda a: sig(feat=a)["output_0"].numpy(), x)
                over_http = timed(rest, x)
                ratios.append(over_http / direct)
                print(f"batch {batch:2d} round {r}: direct {direct:.3f} ms  rest "
                      f"{over_http:.3f} ms  ratio {over_http / direct:.1f}")
            print(f"batch {batch:2d}: median rest/direct ratio {statistics.median(ratios):.1f}")

        x = rng.random((1, 784), dtype=np.float32)
        batching = ember.serving.ModelServer(
            "w1", f"{tmp}/w1", rest_api_port=0, rest_api_host="127.0.0.1",
            file_system_poll_wait_seconds=0, batching_parameters=BatchingParameters(
                max_batch_size=32, batch_timeout_micros=1000)).start()
        for label, target in (("", server.url), (" (batching)", batching.url)):
            url = target + "/v1/models/w1:predict"
            for clients in (1, 4):
                done = []
                stop = time.perf_counter() + 2.0

                def client():
                    n = 0
                    while time.perf_counter() < stop:
                        rest(x)
                        n += 1
                    done.append(n)
                threads = [threading.Thread(target=client) for _ in range(clients)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
                print(f"{clients} client thread(s){label}: {sum(done) / 2.0:.0f} requests/s")
        batching.stop()
        server.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
