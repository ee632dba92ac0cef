"""Every tuning constant of ember's kernels, named and explained in one place.

These numbers decide how kernels cut their work (block sizes, when a product runs as a
stack of small products, when a thread is worth waking); none of them changes a result
beyond float rounding between blockings. Each was chosen by measurement on the MiniVGG
training step on a 2-core machine (``bench/step_ab.py`` toggles a value step by step,
``bench/compile_ab.py`` a compiler setting); the figures are in docs/performance.md.
Kernels read them as ``tuning.NAME`` when they run, so a test or a benchmark may set one
for a while (``monkeypatch.setattr(tuning, "CONV_BLOCK_BYTES", 4096)``).

Thread and BLAS settings of ``ember.runtime.parallel`` (``MIN_ELEMENTS``, ``MIN_MACS``,
``BLOCK_BYTES``, ``SMALL_GEMM_MACS``, the ``SPIN_*`` timings) and the heap settings of
``ember.runtime.memory`` (``MMAP_THRESHOLD``, ``TRIM_THRESHOLD``) stay in those modules:
they are runtime settings, made configurable under ``ember.config``.
"""
from __future__ import annotations

# ---------------------------------------------------------------- convolutions ---
# (ember.runtime.conv_kernels) The batch is cut into groups of whole images whose patch
# matrices hold about CONV_GROUP_BYTES, as few as fit and as many per thread; an image
# with more than CONV_BLOCK_BYTES of patches is cut into blocks of output rows instead.
# Within a group, patches are made and multiplied CONV_SUB_BYTES at a time so that they
# are read back from the core's cache. One group per thread beat four by 4-5% of the
# MiniVGG step; 1 MiB sub-blocks beat 1.5 MiB and whole groups.
CONV_GROUP_BYTES = 1 << 25
CONV_BLOCK_BYTES = 1 << 22
CONV_SUB_BYTES = 1 << 20
# Padded buffers and patch matrices kept per thread and geometry, least recently used
# dropped beyond this many bytes.
CONV_CACHE_BYTES = 1 << 28
# Patch matrices start on this byte boundary: BLAS's small-matrix kernel reads a
# misaligned right-hand operand up to a fifth slower (0.9 ms off the MiniVGG step).
CONV_ALIGN = 64
# A product runs as a stack of small products (BLAS's unpacked small-matrix kernel, see
# parallel.small_gemm_macs) only with at least this many rows per product: for a.T @ g,
# whose stack is summed afterwards, and for a @ b.
MIN_STACK_ROWS = 40
MIN_STACK_ROWS_PRODUCT = 8
# The filter gradient's products stacked over the patches' columns need at least this
# many rows each (fewer measured slower than one product).
MIN_K_STACK_ROWS = 24

# ---------------------------------------------------------------- matrix products ---
# (ember.ops.linalg_ops) A product smaller than this many multiply-adds runs as one
# np.matmul (BLAS takes it on one thread anyway).
MATMUL_SMALL_MACS = 1 << 16
# _MatMulEx: output bytes of a block of the product that the elementwise tree (an
# optimizer's update) runs on while the block is in cache.
EPILOGUE_BYTES = 1 << 19
# _MatMulGradUpdate: the weight's rows in as few blocks of at most this many bytes as make
# a multiple of the threads (one block per thread beat 2 MiB blocks by 0.24 ms and 1 MiB
# ones by 0.4 ms on MiniVGG's 3136 x 512 dense layer).
UPDATE_BLOCK_BYTES = 1 << 23

# ---------------------------------------------------------------- batch norm ---
# (ember.runtime.fastpath.ChannelBlocks, ember.runtime.batch_norm_kernels) Training batch
# norm walks (P, C) rows in blocks of at most this many bytes, as many as a multiple of
# the threads (-0.7 ms of 87 from 1 to 2 MiB, -0.8 ms of 83 from 2 to 4 MiB).
CHANNEL_BLOCK_BYTES = 1 << 22
# The gradient's second pass goes through a block larger than twice this in pieces of
# this size, so its temporary x - mean is read back from cache (-0.24 ms per 6 MiB batch
# norm of the MiniVGG step).
BN_BACKWARD_INNER_BYTES = 1 << 20
# Statistics come from raw sums (x and x*x) while mean**2 <= RAW_SPREAD * variance (at
# most 4 of float32's 24 bits lost to cancellation); beyond it, around a shift.
RAW_SPREAD = 16.0

# ---------------------------------------------------------------- pooling ---
# (ember.ops.pool_ops) Max pooling's forward pass takes blocks of this many input bytes
# (-0.14 ms against 1 MiB on the MiniVGG step, +0.3 ms with 16 MiB).
MAX_POOL_BYTES = 1 << 22

# ---------------------------------------------------------------- elementwise trees ---
# (ember.runtime.fastpath) A fused elementwise tree over at least MIN_CHUNKED elements
# runs CHUNK elements at a time across threads; smaller ones run whole.
CHUNK = 1 << 17
MIN_CHUNKED = 1 << 18
