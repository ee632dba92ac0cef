"""TextVectorization throughput, ember against real Keras (TensorFlow backend) when a
reference environment is given: adapt on N documents of 50 words, then vectorize them in
batches of 256 ('int' with output_sequence_length=50, and 'tf_idf'). Rounds alternate
between the two frameworks (each in its own process) and the median of the per-round
ratios is printed, so the figure stays meaningful on a loaded machine.

Usage: python bench/text_vectorization.py [--docs 4000] [--rounds 3]
                                          [--reference /work/refenv/bin/python]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

WORKLOAD = r'''
import json, random, sys, time
import numpy as np
framework = sys.argv[1]
n = int(sys.argv[2])
if framework == "keras":
    import os
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    import tensorflow as tf
    def batches(docs):
        return [tf.constant(docs[i:i + 256]) for i in range(0, len(docs), 256)]
else:
    import ember as tf
    from ember import keras
    def batches(docs):
        return [np.array(docs[i:i + 256]) for i in range(0, len(docs), 256)]
random.seed(0)
words = ["w%d" % i for i in range(5000)]
docs = [" ".join(random.choice(words) for _ in range(50)) + "!" for _ in range(n)]
out = {}
for mode, kwargs in (("int", {"output_sequence_length": 50}), ("tf_idf", {})):
    layer = keras.layers.TextVectorization(max_tokens=2000, output_mode=mode, **kwargs)
    t0 = time.perf_counter()
    layer.adapt(docs)
    out["adapt_" + mode] = time.perf_counter() - t0
    parts = batches(docs)
    layer(parts[0])
    t0 = time.perf_counter()
    for b in parts:
        layer(b)
    out["call_" + mode] = time.perf_counter() - t0
print(json.dumps(out))
'''


def run(python, framework, docs):
    env = dict(os.environ)
    if framework == "ember":
        env["PYTHONPATH"] = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    result = subprocess.run([python, "-c", WORKLOAD, framework, str(docs)], env=env,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=4000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--reference", default="/work/refenv/bin/python")
    args = parser.parse_args()
    have_reference = os.path.exists(args.reference)
    ratios, last = {}, {}
    for _ in range(args.rounds):
        mine = run(sys.executable, "ember", args.docs)
        last["ember"] = mine
        if have_reference:
            theirs = run(args.reference, "keras", args.docs)
            last["keras"] = theirs
            for key in mine:
                ratios.setdefault(key, []).append(mine[key] / theirs[key])
    for key, seconds in last["ember"].items():
        line = f"{key:12s} ember {seconds * 1000:8.1f} ms"
        if have_reference:
            line += (f"   keras {last['keras'][key] * 1000:8.1f} ms   median ember/keras "
                     f"{statistics.median(ratios[key]):.2f}")
        print(line)


if __name__ == "__main__":
    main()
