"""Every tuning constant of ember's kernels, named and explained in one place.

These numbers decide how kernels cut their work (block sizes, when a product runs as a
stack of small products, when a thread is worth waking); none of them changes a result
beyond float rounding between blockings. Most were chosen by measurement on the
MiniVGG training step on a 2-core machine (``bench/step_ab.py`` toggles a value step by
step, ``bench/compile_ab.py`` a compiler setting); each entry says how it was chosen, and
the figures are in docs/performance.md.
Kernels read them as ``tuning.NAME`` when they run, so a test or a benchmark may set one
for a while (``monkeypatch.setattr(tuning, "CONV_BLOCK_BYTES", 4096)``).

The thread pool's thresholds and spinning timings (``ember.runtime.parallel``) and the
heap settings (``ember.runtime.memory``) are here too; what may be switched on or off
while ember runs (the thread count, spinning, BLAS control, heap tuning) is a runtime
setting under ``ember.config.runtime``, not a constant.
"""
from __future__ import annotations

# ---------------------------------------------------------------- threads ---
# (ember.runtime.parallel) The least work worth handing to a thread of its own: waking a
# sleeping worker costs its waker about 20 us and the worker about 55 us before it runs on
# these VMs, so a share should last much longer than that. MIN_ELEMENTS: elements of a
# memory-bound pass (elementwise trees, pooling, batch norm), set with the first thread
# pool (a4378c5) from that wake-up cost, not measured against other values; MIN_MACS:
# multiply-adds of a matrix product; convolutions thread products of 2 * MIN_MACS (16M)
# and more: the MiniVGG step's 1-channel first layer ran faster on one thread (3547fca).
# Larger values trade parallel speed-up on middling kernels for fewer hand-offs.
MIN_ELEMENTS = 1 << 16
MIN_MACS = 1 << 23
# ``for_blocks``' default block: about this many bytes per block, so that a kernel's
# several passes over a block read it from the core's cache (set with the first thread
# pool; kernels that were measured have their own block sizes below).
BLOCK_BYTES = 1 << 20

# ---------------------------------------------------------------- spinning hand-offs ---
# (ember.runtime.parallel.spinning, while a compiled plan runs on two threads) The worker
# starts its share SPIN_START_US after it is handed over (time the caller spends on its
# own share's first steps before it lets go of the GIL), and the caller goes on
# SPIN_END_US after the worker's signal (time the worker needs to start spinning again);
# asking for the GIL earlier costs a sleeping wake-up, later wastes the wait. Set from
# those two times when spinning came in (e7fc2d2: spinning as a whole -2.7 ms, 3.4% of
# the MiniVGG step by bench/step_ab.py); ``bench/step_ab.py
# ember.runtime.tuning:SPIN_START_US 10 20`` compares two values.
SPIN_START_US = 20.0
SPIN_END_US = 3.0
# Spinning pays only while each thread has a core to itself. A plan's run (of at least
# SPIN_JUDGED_SECONDS; shorter ones are too short to judge) whose threads were preempted
# more than SPIN_MAX_PREEMPTIONS times per second (about 30 with the cores to itself, 280
# and more with another process training on them, when spinning doubled the step: 300
# against 147 ms) makes the next SPIN_BACKOFF_RUNS runs sleep instead; then spinning is
# tried again. The backoff trades a few slower steps after the cores free up against
# measuring preemption on every run.
SPIN_MAX_PREEMPTIONS = 150.0
SPIN_BACKOFF_RUNS = 64
SPIN_JUDGED_SECONDS = 0.005

# ---------------------------------------------------------------- BLAS ---
# (ember.runtime.parallel.small_gemm_macs) OpenBLAS on AVX-512 cores multiplies float32
# matrices of at most this many multiply-adds (M*N*K) without packing them (its
# small-matrix kernel): on the skinny blocks convolutions make (N = 32 or 64 channels)
# about a third faster, so the convolution kernels cut large products into stacks of
# such small ones there. OpenBLAS's own limit; ember only reads it.
SMALL_GEMM_MACS = 1_000_000

# ---------------------------------------------------------------- recurrent layers ---
# (ember.ops.rnn_ops) A whole-sequence recurrent op runs its time steps in one thread and
# hands the large products (the input projection ahead of the steps, the weight and input
# gradients behind backpropagation through time) to the other thread in runs of steps of
# about RNN_CHUNK_ROWS rows (steps x batch): small enough that the step loop rarely waits
# for the first run, large enough that BLAS runs each product at full speed. Splitting
# the batch rows across threads instead pays only when each thread's share of a step is
# at least RNN_ROW_SPLIT_ELEMENTS gate values: a step is a dozen NumPy calls, and two
# threads making small calls queue for the interpreter lock (on the W3 LSTM, 64 rows of
# 512 gate values, two threads of 32 rows ran the steps no faster than one thread of 64;
# forward and backward pipelined against rows split: 42 against 54 ms at 64 rows, 83/90
# at 128, 145/161 at 256, 283/291 at 512 - so only wider steps split).
# RNN_SPLIT_MACS: a product over all steps at least this large is shared out by rows or
# columns.
RNN_CHUNK_ROWS = 512
RNN_ROW_SPLIT_ELEMENTS = 1 << 18
RNN_SPLIT_MACS = 1 << 25

# ---------------------------------------------------------------- heap (opt-in) ---
# (ember.runtime.memory.set_heap_tuning) glibc serves buffers up to MMAP_THRESHOLD bytes
# from the heap (its upper limit for the setting on 64-bit systems), so a training step's
# large activations are reused rather than mapped, faulted in and zeroed each step, and
# keeps up to TRIM_THRESHOLD bytes of freed heap for reuse rather than handing it back.
# On a Keras MLP step about a thousand page faults and a quarter of the time less; the
# process keeps its peak heap size.
MMAP_THRESHOLD = 32 << 20
TRIM_THRESHOLD = 1 << 30
# (ember.runtime.memory.Recycler) The most bytes of arrays one recycler keeps for reuse
# after their holders let go: the W3 LSTM step's recurrent buffers are about 60 MiB.
RECYCLE_BYTES = 256 << 20

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
# (ember.runtime.matmul_kernels) A 2-D product smaller than this many multiply-adds runs
# as one np.matmul as it is (BLAS takes it on one thread anyway, and holding BLAS costs
# two library calls). Products of up to 2 * MIN_MACS run in the calling thread with BLAS
# held to one thread; larger ones are split across ember's threads.
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
