import subprocess
import sys
import textwrap


def test_unchanged_tensorflow_script_runs_with_python_m_ember_run(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent("""
        import numpy as np
        import tensorflow as tf
        from tensorflow import keras
        from tensorflow.keras.layers import Dense
        import keras as k2
        x = tf.Variable(3.0)
        with tf.GradientTape() as tape:
            y = x ** 2
        assert float(tape.gradient(y, x)) == 6.0
        assert k2 is keras and keras.layers.Dense is Dense
        model = keras.Sequential([Dense(4, activation="relu", input_shape=(3,)), Dense(1)])
        model.compile("adam", "mse")
        model.fit(np.ones((16, 3), "float32"), np.ones((16, 1), "float32"), epochs=1,
                  verbose=0)
        print(tf.__name__, model.predict(np.ones((2, 3), "float32"), verbose=0).shape)
    """))
    out = subprocess.run([sys.executable, "-m", "ember", "run", str(script)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ember (2, 1)"


def test_import_prints_nothing():
    out = subprocess.run([sys.executable, "-c", "import ember"], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0
    assert out.stdout == "" and out.stderr == ""
