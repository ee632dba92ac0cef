"""Row sums by id: the kernel behind sparse gradients (IndexedSlices densified, unsorted
segment sums, variable scatter-adds).

``np.add.at`` adds element by element. ``add_rows_into`` adds whole rows with fancy-index
updates, a round per repetition of an id; ``sum_rows_by_id`` sorts the ids once and sums
each run of equal ids with ``np.add.reduceat``, which suits ids repeated many times.
"""
from __future__ import annotations

import numpy as np

__all__ = ["sum_rows_by_id", "add_rows_into", "scatter_into"]

_FEW = 12     # runs up to this long are summed by rank passes, longer ones by reduceat
_ROUNDS = 4   # add_rows_into's rounds before the ids still repeated are sorted


def sum_rows_by_id(ids, rows):
    """``(unique_ids, sums)``: the distinct ids of the 1-D array ``ids`` and, for each, the
    sum of the ``rows[k]`` (``rows.shape[0] == ids.size``) whose id it is. Without repeated
    ids, ``ids`` and ``rows`` themselves come back; otherwise the ids are sorted."""
    if ids.size == 0:
        return ids, rows
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    new = np.empty(sorted_ids.size, dtype=bool)
    new[0] = True
    np.not_equal(sorted_ids[1:], sorted_ids[:-1], out=new[1:])
    if new.all():
        return ids, rows
    starts = np.flatnonzero(new)
    counts = np.diff(starts, append=sorted_ids.size)
    sorted_rows = rows[order]
    sums = sorted_rows[starts]
    longest = int(counts.max())
    if longest <= _FEW:
        # add the second rows of all runs at once, then the third rows, ...: a few
        # vectorized passes (reduceat pays about a microsecond per run)
        run = np.cumsum(new) - 1
        rank = np.arange(sorted_ids.size) - starts[run]
        for r in range(1, longest + 1):
            at = np.flatnonzero(rank == r)
            sums[run[at]] += sorted_rows[at]
    else:
        repeated = counts > 1
        runs = counts[repeated]
        run_starts = np.zeros(runs.size, dtype=np.intp)
        np.cumsum(runs[:-1], out=run_starts[1:])
        sums[repeated] = np.add.reduceat(sorted_rows[np.repeat(repeated, counts)],
                                         run_starts, axis=0)
    return sorted_ids[starts], sums


def add_rows_into(buf, ids, rows, subtract=False):
    """``buf[ids[k]] += rows[k]`` for every k (``-=`` with ``subtract``), repeated ids adding
    up, in place. Each round updates the last occurrence of every id with one fancy-index
    update (of repeated positions NumPy keeps the last one's result) and goes on with the
    earlier occurrences, so ids seen once cost no sort; ids repeated more than a few times
    are summed by sorting (``sum_rows_by_id``)."""
    n = ids.size
    if n == 0:
        return
    if buf.shape[0] > max(8 * n, 1 << 16):      # a mark per buffer row would cost too much
        ids, rows = sum_rows_by_id(ids, rows)
        _update(buf, ids, rows, subtract)
        return
    mark = np.empty(buf.shape[0], np.intp)
    for _ in range(_ROUNDS):
        pos = np.arange(ids.size)
        mark[ids] = pos                 # the last position of each id
        last = mark[ids] == pos
        _update(buf, ids, rows, subtract)
        if last.all():
            return
        earlier = ~last
        ids, rows = ids[earlier], rows[earlier]
    ids, rows = sum_rows_by_id(ids, rows)
    _update(buf, ids, rows, subtract)


def _update(buf, ids, rows, subtract):
    if subtract:
        buf[ids] -= rows
    else:
        buf[ids] += rows


_SCATTER_UFUNCS = {"add": np.add, "sub": np.subtract, "mul": np.multiply,
                   "div": np.divide, "min": np.minimum, "max": np.maximum}


def scatter_into(buf, how, index, updates):
    """Updates ``buf`` in place at ``index`` (an integer array of first-axis positions, or a
    tuple of them for ``scatter_nd``) with ``updates``: ``how`` is "update" (assign; of
    repeated positions the last wins), "add", "sub", "mul", "div", "min" or "max" (repeated
    positions combine, as in TensorFlow's scatter ops)."""
    if how == "update":
        buf[index] = updates
        return
    if how in ("add", "sub") and not isinstance(index, tuple) and index.ndim == 1:
        add_rows_into(buf, index, updates.reshape((index.size,) + buf.shape[1:]),
                      subtract=how == "sub")
        return
    ufunc = _SCATTER_UFUNCS[how]
    if ufunc is np.divide and buf.dtype.kind in "iu":
        ufunc = np.floor_divide
    ufunc.at(buf, index, updates)
