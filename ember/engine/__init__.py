"""Execution: the dispatcher (``dispatch.execute``), tapes and the backward walker, graphs,
``ember.function`` tracing, nested function graphs, the compiler and its fusion pass, graph
files and the gradient checker. Imports only ember.framework and ember.runtime."""
