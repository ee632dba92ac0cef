"""Compares the architectures the suite leaves out (over HEAVY_PARAMS parameters: VGG16/19
with their top, ResNet101/152, EfficientNetB4-B7, EfficientNetV2B3/S/M/L, ConvNeXt
Small..XLarge, InceptionResNetV2, NASNetLarge, ...) with the Keras fixture, one at a time,
and runs the prediction cases the suite leaves out (test_predictions.HEAVY_CASES):

    PYTHONPATH=. python tests/keras/applications/check_heavy_architectures.py [NAME ...]

``--imagenet-files`` instead builds every configuration real Keras has ImageNet weights
for (tests/fixtures/applications/imagenet_files.json) with ``weights="imagenet"`` and no
network, and checks each asks ``get_file`` for Keras's file name, URL and hash.

Building them allocates up to ~3 GB and takes minutes in all, hence outside the suite."""
import gc
import sys
import time

from tests.keras.applications.test_architectures import HEAVY, check_architecture
from tests.keras.applications.test_predictions import HEAVY_CASES, check_predictions


def check_imagenet_files():
    import json
    import os
    from unittest import mock

    from ember import keras
    from ember.keras import applications
    from tests.keras.applications import fixtures

    class Requested(BaseException):      # not wrapped by the download error
        pass

    def fake_get_file(fname, origin, cache_subdir, file_hash):
        raise Requested((fname, origin, cache_subdir, file_hash))

    with open(os.path.join(fixtures.FIXTURES, "imagenet_files.json")) as f:
        table = json.load(f)
    failed = 0
    for key, entry in sorted(table.items()):
        if key == "class_index":
            continue
        name, *rest = key.split("/")
        top = rest[-1] == "True"
        kwargs = {"include_top": top}
        if name == "MobileNet" or name == "MobileNetV2":
            kwargs.update(alpha=float(rest[0]), input_shape=(int(rest[1]),) * 2 + (3,))
        elif name.startswith("MobileNetV3"):
            kwargs.update(alpha=float(rest[0]), minimalistic=rest[1] == "True")
        elif name == "NASNetLarge" and not top:
            kwargs.update(input_shape=(331, 331, 3))
        keras.backend.clear_session()
        with mock.patch("ember.keras.utils.get_file", fake_get_file):
            try:
                getattr(applications, name)(weights="imagenet", **kwargs)
                got = "no request"
            except Requested as r:
                got = r.args[0]
            except ValueError as e:
                got = f"ValueError {e}"
        if entry is None or "error" in entry:
            ok = isinstance(got, str) and got.startswith("ValueError")
        else:
            ok = got == (entry["fname"], entry["origin"], "models", entry["file_hash"])
        failed += not ok
        print(f"{key}: {'ok' if ok else f'MISMATCH {got} != {entry}'}", flush=True)
    return 1 if failed else 0


def main(names):
    failed = []
    for name in names or HEAVY + list(HEAVY_CASES):
        start = time.perf_counter()
        try:
            (check_predictions if name in HEAVY_CASES else check_architecture)(name)
            status = "ok"
        except AssertionError as e:
            failed.append(name)
            status = f"MISMATCH {str(e)[:300]}"
        gc.collect()
        print(f"{name}: {status} ({time.perf_counter() - start:.1f}s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    if "--imagenet-files" in sys.argv:
        sys.exit(check_imagenet_files())
    sys.exit(main(sys.argv[1:]))
