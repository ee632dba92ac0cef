"""``ember.profiler``: profiles a program's run for TensorBoard's profile plugin
(``ember.profiler.experimental``)."""
from ember.profiler import experimental

__all__ = ["experimental"]
