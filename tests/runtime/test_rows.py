"""Row sums by id (ember.runtime.rows): every path against np.add.at in float64."""
import numpy as np
import pytest

from ember.runtime import rows


def _ids(kind, rng):
    if kind == "distinct":
        return rng.permutation(300)[:120]
    if kind == "random":                  # a few repeats each, as an embedding batch has
        return rng.integers(0, 300, 900)
    if kind == "one id":                  # a padding token: far more rounds than allowed
        return np.zeros(200, np.int64)
    return np.concatenate([np.zeros(150, np.int64), rng.integers(0, 40, 150)])


@pytest.mark.parametrize("kind", ["distinct", "random", "one id", "mixed"])
@pytest.mark.parametrize("subtract", [False, True])
@pytest.mark.parametrize("width", [None, 5])
def test_add_rows_into_equals_add_at(kind, subtract, width):
    rng = np.random.default_rng(len(kind))
    ids = _ids(kind, rng)
    shape = (ids.size,) if width is None else (ids.size, width)
    data = rng.standard_normal(shape)
    start = rng.standard_normal((300,) + shape[1:])
    want = start.copy()
    (np.subtract if subtract else np.add).at(want, ids, data)
    got = start.copy()
    rows.add_rows_into(got, ids, data, subtract=subtract)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_add_rows_into_a_buffer_far_larger_than_the_ids_sorts_them(monkeypatch):
    calls = []
    real = rows.sum_rows_by_id
    monkeypatch.setattr(rows, "sum_rows_by_id", lambda i, r: calls.append(1) or real(i, r))
    ids = np.array([5, 70000, 5, 3])
    data = np.arange(8.0).reshape(4, 2)
    buf = np.zeros((100000, 2))
    rows.add_rows_into(buf, ids, data)
    assert calls
    want = np.zeros((100000, 2))
    np.add.at(want, ids, data)
    np.testing.assert_array_equal(buf, want)


def test_scatter_into_add_and_sub_repeat_ids():
    buf = np.ones((4, 3))
    rows.scatter_into(buf, "add", np.array([1, 1, 3]), np.ones((3, 3)))
    np.testing.assert_array_equal(buf, [[1] * 3, [3] * 3, [1] * 3, [2] * 3])
    rows.scatter_into(buf, "sub", np.array([1, 1]), np.ones((2, 3)))
    np.testing.assert_array_equal(buf[1], [1, 1, 1])
