"""The low-level runtime beside the core: worker threads and BLAS thread control
(``parallel``), heap settings and scratch buffers (``memory``), blocked and chunked NumPy
forms (``fastpath``), window geometry (``windows``), the blocked convolution, batch-norm
and max-pooling kernels (``conv_kernels``, ``batch_norm_kernels``, ``pool_kernels``) and
their tuning constants (``tuning``). Imports nothing else from ember but its errors;
the op definitions in ember.ops run these kernels."""
