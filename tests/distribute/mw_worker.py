"""A MultiWorkerMirroredStrategy worker the multi-worker tests start in a subprocess.

    python mw_worker.py <mode> <out.npz>

with TF_CONFIG set. Modes: ``fit`` (Keras fit + evaluate), ``loop`` (a custom loop with
strategy.run / strategy.reduce / nn.compute_average_loss), ``hang`` (worker 1 stops
answering after the first step), ``die`` (worker 1 exits after the first step).
Worker 1 seeds differently from worker 0, so equal weights prove the start-up broadcast.
"""
import importlib.util
import json
import os
import sys
import time

import numpy as np

import ember as tf
from ember import keras

GLOBAL_BATCH = 16


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5)).astype("float32")
    y = (x @ rng.normal(size=(5, 1)) + 0.1).astype("float32")
    return x, y


def make_model(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="tanh"),
                              keras.layers.Dense(1, kernel_regularizer=keras.regularizers.L2(
                                  0.01))])
    return model


def main():
    mode, out = sys.argv[1], sys.argv[2]
    task = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    x, y = data()
    result = {"task": task, "replicas": strategy.num_replicas_in_sync}
    with strategy.scope():
        model = make_model(1 + 100 * task)
        if mode in ("fit", "hang", "die"):
            model.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="mse",
                          metrics=["mae"])
    if mode == "fit":
        callbacks = []
        if importlib.util.find_spec("h5py") is not None:   # every worker saves; the chief
            callbacks.append(keras.callbacks.ModelCheckpoint(        # writes the file
                os.path.join(os.path.dirname(out), "ckpt.weights.h5"),
                save_weights_only=True))
        history = model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=2, shuffle=False,
                            verbose=0, callbacks=callbacks, validation_data=(x[:24], y[:24]))
        result["loss"] = np.array(history.history["loss"])
        result["val_mae"] = np.array(history.history["val_mae"])
        result["eval"] = np.array(model.evaluate(x, y, batch_size=GLOBAL_BATCH, verbose=0))
    elif mode in ("hang", "die"):
        class Stop(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if task == 1 and batch == 0:
                    if mode == "die":
                        os._exit(3)
                    time.sleep(600)
        started = time.monotonic()
        try:
            model.fit(x, y, batch_size=GLOBAL_BATCH, epochs=1, shuffle=False, verbose=0,
                      callbacks=[Stop()])
            result["error"] = "none"
        except (tf.errors.UnavailableError, tf.errors.DeadlineExceededError) as e:
            result["error"] = type(e).__name__
            result["message"] = str(e)
        result["seconds"] = time.monotonic() - started
        np.savez(out, **result)
        os._exit(0)
    else:
        with strategy.scope():
            optimizer = keras.optimizers.SGD(0.1)
            model.build((None, 5))
        dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(GLOBAL_BATCH)
        dist = strategy.experimental_distribute_dataset(dataset)
        loss_fn = keras.losses.MeanSquaredError(reduction="none")

        def step_fn(inputs):
            bx, by = inputs
            with tf.GradientTape() as tape:
                pred = model(bx, training=True)
                per_example = loss_fn(by, pred)
                loss = tf.nn.compute_average_loss(per_example,
                                                  global_batch_size=GLOBAL_BATCH)
                loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            return loss

        @tf.function
        def train_step(iterator):        # as TF's multi-worker tutorial: next() inside
            per_replica = strategy.run(step_fn, args=(next(iterator),))
            return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

        losses = []
        for _ in range(2):
            iterator = iter(dist)
            for _ in range(len(x) // GLOBAL_BATCH):
                losses.append(float(train_step(iterator)))
        result["loss"] = np.array(losses)
    for i, w in enumerate(model.get_weights()):
        result[f"w{i}"] = w
    np.savez(out, **result)


if __name__ == "__main__":
    main()
