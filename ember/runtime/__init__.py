"""The low-level runtime beside the core: worker threads and BLAS thread control
(``parallel``), heap settings and scratch buffers (``memory``), blocked and chunked NumPy
forms (``fastpath``). Imports nothing else from ember; kernels in ember.ops use it."""
