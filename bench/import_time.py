"""Cold import time of ember in fresh processes (median of 9).

    python bench/import_time.py
"""
import statistics
import subprocess
import sys

CODE = "import time; t = time.perf_counter(); import {mod}; print(time.perf_counter() - t)"


def measure(mod, runs=9):
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", CODE.format(mod=mod)],
                             capture_output=True, text=True, check=True)
        times.append(float(out.stdout))
    return statistics.median(times)


if __name__ == "__main__":
    numpy_t = measure("numpy")
    ember_t = measure("ember")
    keras_t = measure("ember.keras")
    print(f"import numpy        {numpy_t * 1000:7.1f} ms")
    print(f"import ember        {ember_t * 1000:7.1f} ms")
    print(f"import ember.keras  {keras_t * 1000:7.1f} ms")
