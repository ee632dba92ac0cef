"""Trains a Keras model on scikit-learn's bundled handwritten digits (no download).

    pip install -e ".[examples]" && python examples/train_digits.py

1,797 real 8x8 images of the digits 0-9: a small MLP trained with fit() on 80% of them,
then evaluated on the other 20%.
"""
import numpy as np

from ember import keras


def load_digits():
    try:
        from sklearn.datasets import load_digits as sk_load_digits
    except ImportError:
        raise SystemExit("This example needs scikit-learn's bundled digits: "
                         "pip install -e '.[examples]'") from None
    digits = sk_load_digits()
    x = (digits.images / 16.0).astype("float32")
    y = digits.target.astype("int64")
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    return (x[:split], y[:split]), (x[split:], y[split:])


def main():
    (x_train, y_train), (x_test, y_test) = load_digits()
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input(shape=(8, 8)),
        keras.layers.Flatten(),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dropout(0.1),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.summary()
    model.fit(x_train, y_train, epochs=30, batch_size=32, validation_split=0.1, verbose=2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f} "
          f"on {len(x_test)} held-out digits")


if __name__ == "__main__":
    main()
