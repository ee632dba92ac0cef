"""prefetch: a background thread keeps up to ``buffer_size`` elements ready."""
from __future__ import annotations


from ember.data.dataset import AUTOTUNE, UnaryDataset
from ember.data.threads import Feed, Raised
from ember.data.slicing import _count

__all__ = ["PrefetchDataset", "background", "INLINE_IN_MEMORY"]

# A pipeline over in-memory arrays (slices -> shuffle/take/skip/repeat/shard -> batch)
# makes each batch with one fancy index per array; a thread would add only hand-offs.
INLINE_IN_MEMORY = True

def background(iterator, size):
    """Reads ``iterator`` on a daemon thread into a queue of ``size``; the thread stops when
    the returned generator is closed or garbage collected."""
    end = object()
    feed = Feed(size)
    feed.start(iterator, end, "ember-data-prefetch")

    def consume():
        try:
            while True:
                item = feed.queue.get()
                if item is end:
                    return
                if type(item) is Raised:
                    raise item.error
                yield item
        finally:
            feed.close()
    return consume()


class PrefetchDataset(UnaryDataset):
    def __init__(self, input_dataset, buffer_size):
        self._input = input_dataset
        size = _count(buffer_size, "Dataset.prefetch: buffer_size")
        if size == AUTOTUNE:
            size = 2
        elif size < 0:
            raise ValueError(f"Dataset.prefetch: buffer_size must be >= 0 or AUTOTUNE, got "
                             f"{size}.")
        self._size = size

    def _cardinality(self):
        return self._input._cardinality()

    def _reused_batches(self, slots):
        if self._size == 0 or (INLINE_IN_MEMORY and self._input._in_memory()):
            return self._input._reused_batches(slots)
        return None

    def _iter(self):
        if self._size == 0 or (INLINE_IN_MEMORY and self._input._in_memory()):
            return self._input._iter()
        return background(self._input._iter(), self._size)
