import numpy as np
import pytest

import ember as tf


@pytest.mark.parametrize("name,np_dtype", [
    ("float16", np.float16), ("float32", np.float32), ("float64", np.float64),
    ("int8", np.int8), ("int16", np.int16), ("int32", np.int32), ("int64", np.int64),
    ("uint8", np.uint8), ("uint16", np.uint16), ("bool", np.bool_),
    ("complex64", np.complex64),
])
def test_dtype_round_trips(name, np_dtype):
    d = tf.as_dtype(name)
    assert d is getattr(tf, name)
    assert d.as_numpy_dtype is np_dtype
    assert tf.as_dtype(np_dtype) is d
    assert tf.as_dtype(np.dtype(np_dtype)) is d
    assert repr(d) == f"ember.{name}"
    assert tf.constant(np.zeros(2, np_dtype)).dtype is d


def test_dtype_properties():
    assert tf.float32.is_floating and not tf.float32.is_integer
    assert tf.int32.is_integer and not tf.int32.is_unsigned and tf.uint8.is_unsigned
    assert tf.bool.is_bool and tf.complex64.is_complex
    assert tf.float32.size == 4 and tf.float64.size == 8
    assert tf.int8.min == -128 and tf.uint8.max == 255
    assert tf.as_dtype(float) is tf.float32 and tf.as_dtype(int) is tf.int32
    assert tf.float32 != tf.float64 and tf.float32 == "float32"
    assert tf.string.name == "string"


def test_unknown_dtype_name_lists_choices():
    with pytest.raises(TypeError, match="float32"):
        tf.as_dtype("floaty")


def test_bfloat16_via_ml_dtypes():
    pytest.importorskip("ml_dtypes")
    x = tf.cast(tf.constant([1.0, 2.5, -3.0]), tf.bfloat16)
    assert x.dtype is tf.bfloat16
    y = x * x
    assert y.dtype is tf.bfloat16
    np.testing.assert_allclose(np.asarray(tf.cast(y, tf.float32)), [1.0, 6.25, 9.0])


def test_cast_truncates_toward_zero():
    np.testing.assert_array_equal(tf.cast([1.7, -1.7, 2.5], tf.int32).numpy(), [1, -1, 2])
    assert tf.cast(tf.constant([1, 0]), tf.bool).numpy().tolist() == [True, False]
    assert tf.cast(tf.constant([True, False]), tf.float32).numpy().tolist() == [1.0, 0.0]


def test_tensor_shape_behaviour():
    s = tf.TensorShape([None, 784])
    assert s.rank == 2 and s[1] == 784 and s[0] is None
    assert not s.is_fully_defined()
    assert s.is_compatible_with([32, 784]) and not s.is_compatible_with([32, 10])
    assert s.merge_with([32, None]).as_list() == [32, 784]
    assert tf.TensorShape(None).rank is None
    assert str(tf.TensorShape([2, 3])) == "(2, 3)" and str(tf.TensorShape([5])) == "(5,)"
    assert repr(s) == "TensorShape([None, 784])"
    assert s[1:] == tf.TensorShape([784])
    assert tf.TensorShape([2]).concatenate([3]).as_list() == [2, 3]
    assert tf.TensorShape([2, 3]).num_elements() == 6
    with pytest.raises(ValueError):
        tf.TensorShape([2]).merge_with([3])


def _run(code):
    import os
    import subprocess
    import sys
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_import_does_not_load_ml_dtypes():
    """ml_dtypes (half a second to import) loads on the first use of bfloat16 only."""
    out = _run("import sys, ember\n"
               "print('ml_dtypes' in sys.modules)\n"
               "print(ember.bfloat16.size, ember.bfloat16.is_floating)\n")
    assert out.split() == ["False", "2", "True"]


def test_ember_works_without_ml_dtypes():
    """NumPy is the only hard dependency: without ml_dtypes everything but bfloat16 works,
    and bfloat16 says what it needs."""
    out = _run("import sys\n"
               "sys.modules['ml_dtypes'] = None\n"          # as if it were not installed
               "import ember as tf\n"
               "print(float(tf.reduce_sum(tf.constant([1.0, 2.0]) * 2)))\n"
               "try:\n"
               "    tf.cast(tf.constant([1.0]), tf.bfloat16)\n"
               "except Exception as e:\n"
               "    print(type(e).__name__, 'ml_dtypes' in str(e))\n")
    assert out.split() == ["6.0", "InvalidArgumentError", "True"]


def test_bfloat16_arrays_made_before_ember_knows_the_dtype():
    """An ml_dtypes array handed to ember first: its dtype is recognized, and ops whose
    dtype sets were built before (unions of unions included) accept it."""
    pytest.importorskip("ml_dtypes")
    out = _run("import numpy as np, ml_dtypes, ember as tf\n"
               "a = np.array([1.5, -2.0], dtype=ml_dtypes.bfloat16)\n"
               "t = tf.constant(a)\n"
               "print(t.dtype.name, (t * t).numpy().astype(np.float32).tolist(),\n"
               "      tf.nn.relu(t).numpy().astype(np.float32).tolist(),\n"
               "      float(tf.matmul(tf.reshape(t, [1, 2]), tf.reshape(t, [2, 1]))[0, 0]))\n")
    assert out.split(None, 1)[0] == "bfloat16"
    assert "[2.25, 4.0]" in out and "[1.5, 0.0]" in out and out.strip().endswith("6.25")


# TensorFlow 2.21's numbers: tf.as_dtype(n) and tf.<dtype>.as_datatype_enum
TF_ENUMS = {1: "float32", 2: "float64", 3: "int32", 4: "uint8", 5: "int16", 6: "int8",
            7: "string", 8: "complex64", 9: "int64", 10: "bool", 14: "bfloat16", 17: "uint16",
            18: "complex128", 19: "float16", 22: "uint32", 23: "uint64"}


def test_datatype_enum_numbers_are_dtypes():
    for number, name in TF_ENUMS.items():
        d = tf.as_dtype(number)
        assert d is getattr(tf, name) and d.as_datatype_enum == number
        assert tf.as_dtype(np.int64(number)) is d and d == number
    zeros = tf.zeros(1, 1)                         # tf.zeros(shape, dtype): 1 is float32
    assert zeros.dtype == tf.float32 and zeros.numpy().tolist() == [0.0]
    assert tf.ones([2], 3).dtype == tf.int32
    assert tf.cast(1.7, 9).dtype == tf.int64 and int(tf.cast(1.7, 9)) == 1
    assert tf.constant([1, 2], dtype=2).dtype == tf.float64
    assert tf.Variable(1.0, dtype=19).dtype == tf.float16
    assert tf.TensorSpec([None], 10).dtype == tf.bool
    with pytest.raises(TypeError, match="100"):
        tf.zeros(1, 100)
    with pytest.raises(TypeError, match="qint8"):
        tf.as_dtype(11)
    with pytest.raises(TypeError):
        tf.as_dtype(True)
    assert tf.float32 != 2 and tf.float32 != 0
