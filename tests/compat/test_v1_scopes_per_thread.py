"""compat.v1 variable scopes and Keras custom-object scopes are per thread, as in
TensorFlow and Keras: a scope opened in one thread is not seen by another."""
import threading

import ember as tf
from ember import keras


def _in_other_thread(fn):
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("v", fn()))
    t.start()
    t.join(10)
    return box["v"]


def test_variable_scope_is_per_thread():
    with tf.compat.v1.variable_scope("outer"):
        assert tf.compat.v1.get_variable_scope().name == "outer"
        assert _in_other_thread(lambda: tf.compat.v1.get_variable_scope().name) == ""


def test_custom_object_scope_is_per_thread():
    class Marker:
        pass

    get = keras.saving.get_registered_object
    with keras.utils.custom_object_scope({"Marker": Marker}):
        assert get("Marker") is Marker
        assert _in_other_thread(lambda: get("Marker")) is None
    assert get("Marker") is None
