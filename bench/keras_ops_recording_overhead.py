"""What recording keras.ops calls on KerasTensors costs eager calls that get no KerasTensor:
each keras.ops function is wrapped (ember/keras/ops/_symbolic.py) to check its arguments
first. Prints the median, over rounds, of (wrapped time / unwrapped time) per function.

    PYTHONPATH=. python bench/keras_ops_recording_overhead.py
"""
import timeit

import numpy as np

import ember
from ember.keras import ops


def main(rounds=7, number=5000):
    a = ember.constant(np.ones((4, 4), "float32"))
    b = ember.constant(np.ones((4, 4), "float32"))
    cases = [(ops.add, (a, b)), (ops.not_equal, (a, 0.0)), (ops.mean, (a,)),
             (ops.concatenate, ([a, b, a],)), (ops.reshape, (a, (2, 8)))]
    for fn, args in cases:
        raw = fn.__wrapped__
        ratios = []
        for _ in range(rounds):          # interleaved, so load changes hit both alike
            wrapped_t = min(timeit.repeat(lambda: fn(*args), number=number, repeat=3))
            raw_t = min(timeit.repeat(lambda: raw(*args), number=number, repeat=3))
            ratios.append(wrapped_t / raw_t)
        ratios.sort()
        print(f"{fn.__name__:12s} wrapped/unwrapped median {ratios[len(ratios) // 2]:.3f} "
              f"({raw_t / number * 1e6:.1f} us per unwrapped call)")


if __name__ == "__main__":
    main()
