"""Watch a training run: TensorBoard logs, a picture of the model and a plot of its History.

    python examples/watch_training.py [logdir]
    tensorboard --logdir logs/watch_training        # then open http://localhost:6006

Trains a small classifier on generated data with keras.callbacks.TensorBoard (scalars,
weight histograms and images), draws the model with keras.utils.plot_model when pydot and
Graphviz are installed, and plots the loss and accuracy curves from the History with
matplotlib when it is installed (each optional step is skipped with a note otherwise).
"""
import os
import sys

import numpy as np

from ember import keras


def main(logdir="logs/watch_training"):
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(600, 8)).astype("float32")
    y = (x[:, :4].sum(1) > x[:, 4:].sum(1)).astype("int64")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")], name="watched")
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = []
    try:
        import tensorboard  # noqa: F401
        callbacks.append(keras.callbacks.TensorBoard(logdir, histogram_freq=1,
                                                     write_images=True))
    except ImportError:
        print("tensorboard is not installed: no TensorBoard logs (pip install tensorboard)")
    history = model.fit(x, y, epochs=10, batch_size=32, validation_split=0.2, verbose=0,
                        callbacks=callbacks)
    print(f"final accuracy {history.history['accuracy'][-1]:.3f}, "
          f"validation {history.history['val_accuracy'][-1]:.3f}")
    os.makedirs(logdir, exist_ok=True)
    try:
        keras.utils.plot_model(model, os.path.join(logdir, "model.png"), show_shapes=True,
                               show_layer_names=True)
        print(f"model picture: {os.path.join(logdir, 'model.png')}")
    except ImportError as e:
        print(f"no model picture: {e}")
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no History plot (pip install matplotlib)")
        return
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    for ax, name in zip(axes, ("loss", "accuracy")):
        ax.plot(history.epoch, history.history[name], label="train")
        ax.plot(history.epoch, history.history["val_" + name], label="validation")
        ax.set_xlabel("epoch")
        ax.set_title(name)
        ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(logdir, "history.png"))
    print(f"History plot: {os.path.join(logdir, 'history.png')}")


if __name__ == "__main__":
    main(*sys.argv[1:])
