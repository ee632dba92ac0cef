"""Compares the architectures the suite leaves out (over HEAVY_PARAMS parameters: VGG16/19
with their top, ResNet101/152, EfficientNetB4-B7, EfficientNetV2B3/S/M/L, ConvNeXt
Small..XLarge, InceptionResNetV2, NASNetLarge, ...) with the Keras fixture, one at a time,
and runs the prediction cases the suite leaves out (test_predictions.HEAVY_CASES):

    PYTHONPATH=. python tests/keras/applications/check_heavy_architectures.py [NAME ...]

Building them allocates up to ~3 GB and takes minutes in all, hence outside the suite."""
import gc
import sys
import time

from tests.keras.applications.test_architectures import HEAVY, check_architecture
from tests.keras.applications.test_predictions import HEAVY_CASES, check_predictions


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
    sys.exit(main(sys.argv[1:]))
