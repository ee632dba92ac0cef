"""Matrix-product kernels: products made the same way whatever ran before, split across
ember's threads, and products followed by the elementwise trees that read them.

- ``matmul_kernel(a, b)``: ``np.matmul`` whose result depends only on the inputs, their
  dtype and ember's configured thread count (``ember.config.runtime``). A float product
  large enough for BLAS to thread it runs with BLAS held to one thread (BLAS's threaded
  products differ from its one-thread ones in the last bits for some shapes, and its
  threads keep spinning after a call, slowing the next convolution); a large one is cut
  across ember's threads (2-D: by rows or columns; batched: by the leading batch axis,
  else by rows), each piece the same one-thread BLAS product on a slice.
- ``product_then_trees``: a 2-D product and elementwise trees reading it (an optimizer's
  update of the weight whose gradient the product is) block by block while the block is
  in cache (``_MatMulEx``, ``_MatMulTreesEx`` in ember.ops.linalg_ops).
- ``grad_update``: a dense layer's input gradient g @ w^T and the momentum update of w
  from x^T @ g in blocks of w's rows (``_MatMulGradUpdate``).

The thresholds are ``tuning.MATMUL_SMALL_MACS``, ``tuning.MIN_MACS``,
``tuning.EPILOGUE_BYTES`` and ``tuning.UPDATE_BLOCK_BYTES``.
"""
from __future__ import annotations

import math

import numpy as np

from ember.runtime import parallel, tuning
from ember.runtime.fastpath import run_in_chunks, run_steps

__all__ = ["matmul_kernel", "product_then_trees", "grad_update", "thread_blocks",
           "block_operands"]


def matmul_kernel(a, b):
    """``np.matmul(a, b)``, made the same way whatever ran before or runs meanwhile in
    other threads (see the module docstring): small products as they are, middling ones
    with BLAS held to one thread, large ones split across ember's threads."""
    if a.dtype.kind == "V":
        # bfloat16 (ml_dtypes): NumPy's product of two gives float32; round it back
        return np.matmul(a.astype(np.float32), b.astype(np.float32)).astype(a.dtype)
    if a.dtype.kind not in "fc" or a.ndim < 2 or b.ndim < 2:
        return np.matmul(a, b)
    if a.ndim == 2 and b.ndim == 2:
        (m, k), n = a.shape, b.shape[1]
        batch, count = (), 1
    else:
        m, k = a.shape[-2:]
        n = b.shape[-1]
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        count = math.prod(batch)
    macs = count * m * k * n
    if macs < tuning.MATMUL_SMALL_MACS:
        return np.matmul(a, b)            # BLAS runs a product this small on one thread
    if macs < 2 * tuning.MIN_MACS or parallel.num_threads() < 2:
        with parallel.single_threaded_blas():
            return np.matmul(a, b)
    out = np.empty(batch + (m, n), np.result_type(a.dtype, b.dtype))
    if batch and batch[0] >= parallel.num_threads():
        lead = len(out.shape)

        def items(lo, hi):
            np.matmul(_lead_slice(a, lead, lo, hi), _lead_slice(b, lead, lo, hi),
                      out=out[lo:hi])
        parallel.run(items, parallel.split(batch[0], macs // batch[0], tuning.MIN_MACS),
                     blas=True)
    elif m >= n:
        def rows(lo, hi):
            np.matmul(a[..., lo:hi, :], b, out=out[..., lo:hi, :])
        parallel.run(rows, parallel.split(m, count * k * n, tuning.MIN_MACS), blas=True)
    else:
        def cols(lo, hi):
            np.matmul(a, b[..., lo:hi], out=out[..., lo:hi])
        parallel.run(cols, parallel.split(n, count * k * m, tuning.MIN_MACS), blas=True)
    return out


def _lead_slice(x, rank, lo, hi):
    """x's part for items lo:hi of a batched product's leading axis (x itself where it
    broadcasts along that axis)."""
    if x.ndim == rank and x.shape[0] != 1:
        return x[lo:hi]
    return x


def thread_blocks(long, per):
    """(start, end) blocks of range(long), each of at most ``per`` (at least 1), about
    equal, as few as make a multiple of ember's threads."""
    t = parallel.num_threads()
    count = t * -(-long // (t * max(1, per)))
    step = -(-long // count)
    return [(i, min(i + step, long)) for i in range(0, long, step)]


def block_operands(operands, m, n, rows, cols):
    """An elementwise tree's operands for block [rows, cols] of its (m, n) result: (m, n)
    ones sliced, (n,) and (1, n) ones cut to the columns, single values as they are."""
    out = []
    for o in operands:
        shape = np.shape(o)
        if shape == (m, n):
            o = o[rows, cols]
        elif shape == (n,):
            o = o[cols]
        elif shape == (1, n):
            o = o[:, cols]
        out.append(o)
    return out


def product_then_trees(a, b, transpose_a, transpose_b, trees):
    """a @ b (transposed as asked) followed by elementwise trees reading it, as one
    kernel: ``trees`` are (operands, steps, dtype, at), the product going into each
    tree's arguments at ``at``; returns the trees' results. Where ember's threads run
    products, the product is made in blocks of rows (or of columns, for a short wide
    result) shared out across threads, each block followed by the trees on it while it
    is in cache; the last tree may compute in the block's buffer."""
    a = a.T if transpose_a else a
    b = b.T if transpose_b else b
    m, k = a.shape
    n = b.shape[1]
    last = len(trees) - 1

    t = parallel.num_threads()
    if t < 2 or m * k * n < 2 * tuning.MIN_MACS:
        product = matmul_kernel(a, b)
        results = []
        for j, (operands, steps, dtype, at) in enumerate(trees):
            args = list(operands)
            args.insert(at, product)
            got = run_in_chunks(args, steps, into=args[at] if j == last else None)
            results.append(got if got is not None else
                           run_steps(args, steps, np.empty((m, n), dtype)))
        return results
    outs = [np.empty((m, n), dtype) for _, _, dtype, _ in trees]

    def part(rows, cols):
        block = np.matmul(a[rows], b[:, cols])
        for j, (operands, steps, _, at) in enumerate(trees):
            args = block_operands(operands, m, n, rows, cols)
            args.insert(at, block)
            # the product block and out are this call's own: the trees compute in them
            # (-0.28 ms on the MiniVGG step's dense weight update, against fresh arrays)
            run_steps(args, steps, outs[j][rows, cols], writable=at if j == last else None,
                      scratch=True)

    long = max(m, n)
    edges = thread_blocks(long, tuning.EPILOGUE_BYTES // (outs[0].itemsize * min(m, n)))
    everything = slice(None)
    if m >= n:
        parallel.map_items(lambda i: part(slice(*edges[i]), everything), len(edges),
                           blas=True)
    else:
        parallel.map_items(lambda i: part(everything, slice(*edges[i])), len(edges),
                           blas=True)
    return outs


# ------------------------------------------------------- a dense layer's momentum step ---

def grad_update(g, w, x, operands, steps, dtype, at, slot_at):
    """A dense layer's input gradient and its weight's momentum update, as one kernel:
    returns ``(dx, new_slot, new_w)`` where dx = g @ w^T from w before the update, the
    slot's new value is the tree ``steps`` over its arguments (``operands`` with the
    product x^T @ g inserted at ``at``; the slot's old value is the argument at
    ``slot_at``), and new_w = w + new_slot.

    ``w`` and the slot's old value are buffers the caller owns (a compiled plan's reads
    for an update): the kernel may write the new values into them, and returns the
    arrays holding them. When
    shapes, dtypes and layouts allow, w's rows go through in blocks shared across ember's
    threads: a block's columns of g @ w^T, the block's rows of x^T @ g, the tree making
    the slot's new rows over its old ones, and the weight's rows adding them. The weight
    is read twice instead of three times, the slot's new value needs no buffer of its
    own, and each thread's products are as large as they can be. Otherwise the steps run
    one after another."""
    j = slot_at - (at < slot_at)
    m = operands[j]
    if blocks_apply(g, w, x, m, operands, dtype):
        dx = _blocked(g, w, x, operands, steps, at, slot_at)
        return dx, m, w
    dx = matmul_kernel(g, w.T)
    new = product_then_trees(x, g, True, False, [(operands, steps, np.dtype(dtype), at)])[0]
    if _writable_like(w, new):
        np.add(w, new, out=w)
        new_w = w
    else:
        new_w = w + new
    return dx, new, new_w


def _writable_like(buf, value):
    return type(buf) is np.ndarray and buf.flags.writeable and \
        np.shape(value) == buf.shape and np.result_type(buf, value) == buf.dtype and \
        not np.may_share_memory(buf, value)


def blocks_apply(g, w, x, m, operands, dtype):
    """Whether ``grad_update``'s blocked form applies to these arrays: floats of one
    dtype, matching 2-D shapes, w and the slot's value m writable, C-contiguous and
    sharing memory with nothing else the tree reads."""
    if not all(type(a) is np.ndarray for a in (g, w, x, m)):
        return False
    k, n = w.shape if w.ndim == 2 else (0, 0)
    dt = w.dtype
    if dt.kind != "f" or np.dtype(dtype) != dt or m.shape != w.shape or m.dtype != dt or \
            g.dtype != dt or x.dtype != dt or g.ndim != 2 or x.ndim != 2 or \
            g.shape[1] != n or x.shape[1] != k or x.shape[0] != g.shape[0] or \
            not (w.flags.c_contiguous and w.flags.writeable and m.flags.c_contiguous
                 and m.flags.writeable) or np.may_share_memory(w, m):
        return False
    return all(o is m or np.ndim(o) == 0 or np.shape(o) in ((k, n), (n,), (1, n)) and
               not np.may_share_memory(o, m) and not np.may_share_memory(o, w)
               for o in operands)


def _blocked(g, w, x, operands, steps, at, slot_at):
    k, n = w.shape
    dx = np.empty((g.shape[0], k), w.dtype)
    edges = thread_blocks(k, tuning.UPDATE_BLOCK_BYTES // (n * w.itemsize))
    # the last step computes into the slot's rows after reading them; the one before
    # it may too when the last one does not read the slot (run_steps' scratch)
    scratch = slot_at not in steps[-1][1]

    def block(i):
        lo, hi = edges[i]
        wb = w[lo:hi]
        np.matmul(g, wb.T, out=dx[:, lo:hi])
        args = block_operands(operands, k, n, slice(lo, hi), slice(None))
        args.insert(at, np.matmul(x[:, lo:hi].T, g))
        mb = args[slot_at]
        run_steps(args, steps, mb, writable=at, scratch=scratch)
        np.add(wb, mb, out=wb)

    parallel.map_items(block, len(edges), blas=True)
    return dx
