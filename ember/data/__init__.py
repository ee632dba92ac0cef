"""``ember.data``: input pipelines with ``tf.data``'s API.

>>> ds = ember.data.Dataset.from_tensor_slices((x, y)).shuffle(1000).batch(32)
>>> model.fit(ds, epochs=3)

Inside a pipeline elements are NumPy arrays passed between stages on plain Python
iterators (threads for parallel ``map``, ``interleave`` and ``prefetch``); iterating a
dataset gives ember Tensors. Inside ``ember.function``, a ``for`` loop over a dataset of
in-memory data without random stages becomes a graph loop (AutoGraph); other datasets are
iterated eagerly or handed to Keras.
"""
from ember.data import experimental  # noqa: F401
from ember.data.dataset import (  # noqa: F401
    AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset, DatasetSpec,
)
from ember.data.dataset import DatasetIterator as Iterator  # noqa: F401
from ember.data.options import Options, ThreadingOptions  # noqa: F401
from ember.data.readers import (  # noqa: F401
    FixedLengthRecordDataset, TextLineDataset, TFRecordDataset,
)

DatasetV2 = Dataset

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "Dataset", "DatasetSpec",
           "Iterator", "Options", "ThreadingOptions", "TextLineDataset", "TFRecordDataset",
           "FixedLengthRecordDataset", "experimental"]
