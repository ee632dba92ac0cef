"""String op throughput: microseconds per element of ember.strings ops on 100k short words
(split on 10k lines of 10 words). Usage: python bench/strings.py [--n 100000]"""
import argparse
import time

import numpy as np

import ember as tf


def timed(fn, repeat=3):
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100000)
    n = parser.parse_args().n
    rng = np.random.default_rng(0)
    words = [rng.integers(97, 123, rng.integers(1, 20)).astype(np.uint8).tobytes()
             for _ in range(n)]
    t = tf.constant(words)
    lines = tf.constant([b" ".join(words[i:i + 10]) for i in range(0, n, 10)])
    cases = {
        "constant (list of str)": lambda: tf.constant([w.decode() for w in words]),
        "to_hash_bucket_fast": lambda: tf.strings.to_hash_bucket_fast(t, 1000),
        "to_hash_bucket_strong": lambda: tf.strings.to_hash_bucket_strong(t, 1000, [1, 2]),
        "to_hash_bucket": lambda: tf.strings.to_hash_bucket(t, 1000),
        "lower": lambda: tf.strings.lower(t),
        "length": lambda: tf.strings.length(t),
        "regex_replace": lambda: tf.strings.regex_replace(t, "[aeiou]", "_"),
        "split (per word)": lambda: tf.strings.split(lines),
        "equal": lambda: tf.equal(t, b"abc"),
    }
    for name, fn in cases.items():
        print(f"{name:24s} {timed(fn) / n * 1e6:7.2f} us/element")


if __name__ == "__main__":
    main()
