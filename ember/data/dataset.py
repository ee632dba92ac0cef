"""``ember.data.Dataset``: the base class of every pipeline stage, with TensorFlow's
methods. Each method builds a new stage (a subclass defined in its own module); iterating
walks the stages, which pass NumPy arrays between them, and hands ember Tensors out.

>>> ds = ember.data.Dataset.from_tensor_slices([1, 2, 3]).map(lambda x: x * 2)
>>> [int(x) for x in ds]
[2, 4, 6]
"""
from __future__ import annotations

import numpy as np

from ember.data import structure

__all__ = ["Dataset", "AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY",
           "DatasetIterator", "DatasetSpec"]

AUTOTUNE = -1
INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2


class Dataset:
    """A sequence of elements, each a (nested) structure of tensors."""

    _options = None

    # -- what each stage defines ----------------------------------------------------
    def _iter(self):
        """A fresh Python iterator over the elements as structures of NumPy arrays."""
        raise NotImplementedError

    @property
    def element_spec(self):
        """The structure of ``TensorSpec``s of one element."""
        raise NotImplementedError

    def _cardinality(self) -> int:
        return UNKNOWN_CARDINALITY

    def _inputs(self):
        return []

    def _gather(self):
        """For stages over in-memory arrays: ``(arrays, make_indices)`` where
        ``make_indices()`` yields 1-D int arrays of element positions in order, so batching
        gathers whole batches with one index per array; None otherwise."""
        return None

    def _reused_batches(self, slots: int):
        """For a consumer that is done with each batch before it asks for the ``slots``-th
        next one (Keras ``fit``): an iterator like ``_iter()`` whose batches of in-memory
        arrays are written into ``slots`` buffers used in turn, or None when this stage
        does not make batches that way."""
        return None

    def _in_memory(self) -> bool:
        """True when elements come from in-memory arrays by indexing alone."""
        return self._gather() is not None

    # -- iteration ------------------------------------------------------------------
    def __iter__(self):
        return DatasetIterator(self)

    def _autograph_for_stmt(self, extra_test, body, get_state, set_state, names, opts):
        _autograph_loop(self, extra_test, body, get_state, set_state, names, opts)

    def as_numpy_iterator(self):
        """Elements as NumPy arrays (bytes objects for string scalars)."""
        return NumpyIterator(self)

    def __len__(self):
        n = self._cardinality()
        if n == INFINITE_CARDINALITY:
            raise TypeError("The dataset is infinite.")
        if n == UNKNOWN_CARDINALITY:
            raise TypeError("The dataset length is unknown.")
        return n

    def __bool__(self):
        return True

    def __repr__(self):
        return f"<{type(self).__name__} element_spec={structure.structure_repr(self.element_spec)}>"

    def cardinality(self):
        """The number of elements as an int64 scalar tensor; ``INFINITE_CARDINALITY`` (-1)
        or ``UNKNOWN_CARDINALITY`` (-2) when not a known finite number."""
        import ember
        return ember.constant(self._cardinality(), dtype="int64")

    def get_single_element(self, name=None):
        """The one element of a dataset that has exactly one."""
        it = self._iter()
        try:
            first = next(it)
        except StopIteration:
            raise ValueError("Dataset.get_single_element: the dataset was empty; expected "
                             "exactly one element.") from None
        for _ in it:
            raise ValueError("Dataset.get_single_element: the dataset had more than one "
                             "element; expected exactly one.")
        return structure.to_tensors(first)

    # -- options --------------------------------------------------------------------
    def options(self):
        """The ``Options`` in effect for this dataset (merged along the pipeline)."""
        from ember.data.options import Options
        merged = Options()
        for ds in _stages(self):
            if ds._options is not None:
                merged = merged.merge(ds._options)
        return merged

    def with_options(self, options, name=None):
        from ember.data.transforms import OptionsDataset
        return OptionsDataset(self, options)

    # -- sources ----------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors, name=None):
        """Slices along the first dimension of each component."""
        from ember.data.sources import TensorSliceDataset
        return TensorSliceDataset(tensors)

    @staticmethod
    def from_tensors(tensors, name=None):
        """A dataset of one element, ``tensors``."""
        from ember.data.sources import TensorDataset
        return TensorDataset(tensors)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None,
                       output_signature=None, name=None):
        """Elements yielded by ``generator()`` (called anew on every iteration)."""
        from ember.data.sources import GeneratorDataset
        return GeneratorDataset(generator, output_types, output_shapes, args,
                                output_signature)

    @staticmethod
    def range(*args, dtype="int64", name=None):
        """Like Python's ``range``: ``range(stop)``, ``range(start, stop[, step])``."""
        from ember.data.sources import RangeDataset
        return RangeDataset(*args, dtype=dtype)

    @staticmethod
    def counter(start=0, step=1, dtype="int64", name=None):
        from ember.data.sources import RangeDataset
        return RangeDataset(start, None, step, dtype=dtype)

    @staticmethod
    def random(seed=None, rerandomize_each_iteration=None, name=None):
        """An infinite dataset of random int64 values (ember's random stream, so the same
        seed gives the same values; TensorFlow's numbers are not reproduced)."""
        from ember.data.sources import RandomDataset
        return RandomDataset(seed, rerandomize_each_iteration)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        """File names matching the glob pattern(s), shuffled unless ``shuffle=False``."""
        from ember.data.sources import list_files
        return list_files(file_pattern, shuffle, seed)

    @staticmethod
    def zip(*args, datasets=None, name=None):
        """Elements of several datasets side by side (a structure of datasets)."""
        from ember.data.combine import ZipDataset
        if datasets is None:
            datasets = args[0] if len(args) == 1 else tuple(args)
        elif args:
            raise TypeError("Dataset.zip: pass the datasets positionally or as "
                            "`datasets=`, not both.")
        return ZipDataset(datasets)

    @staticmethod
    def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False,
                             rerandomize_each_iteration=None):
        from ember.data.sampling import sample_from_datasets
        return sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset,
                                    rerandomize_each_iteration)

    @staticmethod
    def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
        from ember.data.sampling import ChooseDataset
        return ChooseDataset(datasets, choice_dataset, stop_on_empty_dataset)

    @staticmethod
    def load(path, element_spec=None, compression=None, reader_func=None,
             wait=False):
        """A dataset saved with ``Dataset.save``."""
        from ember.data.saving import load
        return load(path, element_spec, compression, reader_func)

    # -- transformations --------------------------------------------------------------
    def apply(self, transformation_func):
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError(f"Dataset.apply: `transformation_func` must return a Dataset, "
                            f"got {type(out).__name__}.")
        return out

    def concatenate(self, dataset, name=None):
        from ember.data.combine import ConcatenateDataset
        return ConcatenateDataset(self, dataset)

    def enumerate(self, start=0, name=None):
        """``(index, element)`` pairs, index int64 from ``start``."""
        from ember.data.combine import ZipDataset
        from ember.data.sources import RangeDataset
        return ZipDataset((RangeDataset(start, None, 1, dtype="int64"), self))

    def map(self, map_func, num_parallel_calls=None, deterministic=None, synchronous=None,
            use_unbounded_threadpool=False, name=None):
        """``map_func`` on each element; with ``num_parallel_calls`` (an int or
        ``AUTOTUNE``) elements are mapped on a thread pool, in order unless
        ``deterministic=False``."""
        from ember.data.transforms import MapDataset
        return MapDataset(self, map_func, num_parallel_calls, deterministic)

    def filter(self, predicate, name=None):
        from ember.data.transforms import FilterDataset
        return FilterDataset(self, predicate)

    def flat_map(self, map_func, name=None):
        from ember.data.transforms import FlatMapDataset
        return FlatMapDataset(self, map_func)

    def interleave(self, map_func, cycle_length=None, block_length=None,
                   num_parallel_calls=None, deterministic=None, name=None):
        from ember.data.transforms import InterleaveDataset
        return InterleaveDataset(self, map_func, cycle_length, block_length,
                                 num_parallel_calls, deterministic)

    def take_while(self, predicate, name=None):
        from ember.data.transforms import TakeWhileDataset
        return TakeWhileDataset(self, predicate)

    def scan(self, initial_state, scan_func, name=None):
        from ember.data.transforms import ScanDataset
        return ScanDataset(self, initial_state, scan_func)

    def unique(self, name=None):
        from ember.data.transforms import UniqueDataset
        return UniqueDataset(self)

    def ignore_errors(self, log_warning=False, name=None):
        from ember.data.transforms import IgnoreErrorsDataset
        return IgnoreErrorsDataset(self, log_warning)

    def reduce(self, initial_state, reduce_func, name=None):
        """Folds the elements into ``initial_state`` with ``reduce_func(state, element)``."""
        from ember.data.transforms import reduce_dataset
        return reduce_dataset(self, initial_state, reduce_func)

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None,
              deterministic=None, name=None):
        from ember.data.batching import BatchDataset
        return BatchDataset(self, batch_size, drop_remainder, num_parallel_calls,
                            deterministic)

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None,
                     drop_remainder=False, name=None):
        from ember.data.batching import PaddedBatchDataset
        return PaddedBatchDataset(self, batch_size, padded_shapes, padding_values,
                                  drop_remainder)

    def unbatch(self, name=None):
        from ember.data.batching import UnbatchDataset
        return UnbatchDataset(self)

    def rebatch(self, batch_size, drop_remainder=False, name=None):
        from ember.data.batching import RebatchDataset
        return RebatchDataset(self, batch_size, drop_remainder)

    def ragged_batch(self, batch_size, drop_remainder=False, row_splits_dtype="int64",
                     name=None):
        """Batches elements whose first dimension varies into RaggedTensors."""
        from ember.data.batching import RaggedBatchDataset
        return RaggedBatchDataset(self, batch_size, drop_remainder, row_splits_dtype)

    def sparse_batch(self, batch_size, row_shape, name=None):
        """Batches dense elements of varying shape into ``SparseTensor``s of dense shape
        ``[batch] + row_shape`` (every entry a value; unknown ``row_shape`` sizes take the
        batch's largest).

        >>> ds = ember.data.Dataset.range(1, 4).map(lambda x: ember.fill([x], x))
        >>> st = next(iter(ds.sparse_batch(2, [3])))
        >>> st.indices.numpy().tolist(), st.values.numpy().tolist()
        ([[0, 0], [1, 0], [1, 1]], [1, 2, 2])
        """
        from ember.data.sparse_batching import SparseBatchDataset
        return SparseBatchDataset(self, batch_size, row_shape)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True, name=None):
        """Fills a buffer of ``buffer_size`` elements, outputs one picked uniformly at
        random and replaces it with the next input element."""
        from ember.data.shuffle import ShuffleDataset
        return ShuffleDataset(self, buffer_size, seed, reshuffle_each_iteration)

    def repeat(self, count=None, name=None):
        from ember.data.slicing import RepeatDataset
        return RepeatDataset(self, count)

    def take(self, count, name=None):
        from ember.data.slicing import TakeDataset
        return TakeDataset(self, count)

    def skip(self, count, name=None):
        from ember.data.slicing import SkipDataset
        return SkipDataset(self, count)

    def shard(self, num_shards, index, name=None):
        from ember.data.slicing import ShardDataset
        return ShardDataset(self, num_shards, index)

    def cache(self, filename="", name=None):
        """Keeps the elements of the first complete pass in memory (``filename=""``) or
        in a file, and replays them afterwards."""
        from ember.data.cache import CacheDataset
        return CacheDataset(self, filename)

    def snapshot(self, path, compression="AUTO", reader_func=None, shard_func=None,
                 name=None):
        """Saves the dataset to ``path`` on the first pass and reads it from there after."""
        from ember.data.saving import SnapshotDataset
        return SnapshotDataset(self, path, compression)

    def prefetch(self, buffer_size, name=None):
        """Prepares up to ``buffer_size`` elements ahead on a background thread."""
        from ember.data.prefetch import PrefetchDataset
        return PrefetchDataset(self, buffer_size)

    def window(self, size, shift=None, stride=1, drop_remainder=False, name=None):
        """A dataset of windows, each a dataset (a structure of datasets for structured
        elements) of ``size`` elements, windows ``shift`` apart."""
        from ember.data.windowing import WindowDataset
        return WindowDataset(self, size, shift, stride, drop_remainder)

    def group_by_window(self, key_func, reduce_func, window_size=None,
                        window_size_func=None, name=None):
        from ember.data.windowing import GroupByWindowDataset
        return GroupByWindowDataset(self, key_func, reduce_func, window_size,
                                    window_size_func)

    def bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                  bucket_batch_sizes, padded_shapes=None,
                                  padding_values=None, pad_to_bucket_boundary=False,
                                  no_padding=False, drop_remainder=False, name=None):
        from ember.data.windowing import bucket_by_sequence_length
        return bucket_by_sequence_length(self, element_length_func, bucket_boundaries,
                                         bucket_batch_sizes, padded_shapes, padding_values,
                                         pad_to_bucket_boundary, no_padding, drop_remainder)

    def rejection_resample(self, class_func, target_dist, initial_dist=None, seed=None,
                           name=None):
        """``(class, element)`` pairs resampled towards ``target_dist`` (see
        ember.data.sampling.RejectionResampleDataset)."""
        from ember.data.sampling import RejectionResampleDataset
        return RejectionResampleDataset(self, class_func, target_dist, initial_dist, seed)

    def save(self, path, compression=None, shard_func=None, checkpoint_args=None):
        """Writes the dataset to the directory ``path`` (replaced atomically)."""
        from ember.data.saving import save
        save(self, path, compression, shard_func)


_STATIC_STAGES = ("TensorSliceDataset", "TensorDataset", "RangeDataset", "BatchDataset",
                  "TakeDataset", "SkipDataset", "RepeatDataset", "ZipDataset",
                  "ConcatenateDataset", "ShardDataset", "PrefetchDataset", "OptionsDataset",
                  "UnbatchDataset", "ListDataset")


def _autograph_loop(ds, extra_test, body, get_state, set_state, names, opts):
    """``for x in ds`` inside ember.function (AutoGraph). A dataset of in-memory data whose
    stages draw nothing at random (slices, range, batch, take/skip/finite repeat, zip,
    concatenate, shard, unbatch, prefetch) and whose elements share one shape becomes a
    graph loop over its elements stacked as constants (they are the same on every call).
    Any other dataset (shuffled, mapped, generated, read from files, infinite) becomes a
    graph loop around ops that run its Python pipeline when the graph runs
    (``graph_iteration``): each call makes a new pass, as iterating eagerly again does."""
    import ember
    from ember.autograph import operators
    from ember.data.graph_iteration import graph_for_loop
    static = not (set(type(d).__name__ for d in _stages(ds)) - set(_STATIC_STAGES)) and \
        ds._cardinality() >= 0
    if static:
        with ember.init_scope():
            elements = list(ds._iter())
        columns = list(zip(*[structure.flatten(e) for e in elements]))
        static = all(len({c.shape for c in col}) == 1 for col in columns)
    if not static:
        graph_for_loop(ds, extra_test, body, get_state, set_state, names, opts)
        return
    if not elements:
        return
    spec = ds.element_spec
    stacked = [ember.constant(np.stack(col)) for col in columns]

    def item(i):
        return structure.pack(spec, [ember.gather(t, i) for t in stacked])
    operators.for_stmt(operators._IndexedIterable(len(elements), item), extra_test, body,
                       get_state, set_state, names, opts)


def _stages(ds):
    seen, out, todo = set(), [], [ds]
    while todo:
        d = todo.pop()
        if id(d) in seen:
            continue
        seen.add(id(d))
        out.append(d)
        todo.extend(d._inputs())
    return out[::-1]


class UnaryDataset(Dataset):
    """A stage over one input dataset whose elements keep the input's structure."""

    def __init__(self, input_dataset):
        self._input = input_dataset

    def _inputs(self):
        return [self._input]

    @property
    def element_spec(self):
        return self._input.element_spec


class DatasetSpec:
    """The spec of an element that is itself a dataset (``window``'s elements)."""

    def __init__(self, element_spec):
        self.element_spec = element_spec

    def __eq__(self, other):
        return isinstance(other, DatasetSpec) and other.element_spec == self.element_spec

    def __repr__(self):
        return f"DatasetSpec({structure.structure_repr(self.element_spec)})"


def _check_eager(what):
    from ember.framework.context import executing_eagerly
    if not executing_eagerly():
        raise NotImplementedError(
            f"{what} inside ember.function (or a v1 graph) is not supported outside "
            f"AutoGraph's `for` loops (on by default in ember.function): write "
            f"`for element in dataset:` in the function, iterate the dataset eagerly and "
            f"call the traced function on each element, or pass the dataset to Keras's "
            f"fit/evaluate/predict.")


class DatasetIterator:
    """``iter(dataset)``: ``next`` gives the next element as ember Tensors. Inside
    ``ember.function``, ``next`` adds an op that pulls the element when the graph runs
    (an iterator made eagerly goes on with its pass on every call, as in TensorFlow)."""

    def __init__(self, dataset):
        from ember.data.graph_iteration import Cursor, GraphIterator
        from ember.framework.context import executing_eagerly
        self._dataset = dataset
        if executing_eagerly():
            self._cursor, self._graph = Cursor(dataset._iter()), None
        else:
            self._cursor, self._graph = None, GraphIterator(dataset)

    def __iter__(self):
        return self

    def _in_graph(self):
        from ember.framework.context import executing_eagerly
        if executing_eagerly():
            if self._cursor is None:
                raise RuntimeError("An iterator made inside ember.function can only be "
                                   "used inside it.")
            return None
        if self._graph is None:
            from ember.data.graph_iteration import GraphIterator
            self._graph = GraphIterator(self._dataset, self._cursor)
        return self._graph

    def __next__(self):
        graph = self._in_graph()
        if graph is not None:
            return graph.get_next()
        element = self._cursor.take()
        if element is None:
            raise StopIteration
        return structure.to_tensors(element)

    def _autograph_for_stmt(self, extra_test, body, get_state, set_state, names, opts):
        graph = self._in_graph()
        if graph is not None:
            graph.for_loop(extra_test, body, get_state, set_state, names, opts)
            return
        from ember.autograph import operators
        operators.for_stmt((x for x in self), extra_test, body, get_state, set_state,
                           names, opts)

    def get_next(self):
        return next(self)

    def get_next_as_optional(self):
        if self._in_graph() is not None:
            raise NotImplementedError("Iterator.get_next_as_optional inside ember.function "
                                      "is not supported: loop with `for element in "
                                      "iterator:` instead.")
        try:
            return _Optional(next(self))
        except StopIteration:
            return _Optional(None)

    @property
    def element_spec(self):
        return self._dataset.element_spec


class _Optional:
    def __init__(self, value):
        self._value = value

    def has_value(self):
        import ember
        return ember.constant(self._value is not None)

    def get_value(self):
        if self._value is None:
            raise ValueError("The optional has no value (the iterator was exhausted).")
        return self._value


class NumpyIterator:
    def __init__(self, dataset):
        _check_eager("Dataset.as_numpy_iterator")
        self._it = dataset._iter()

    def __iter__(self):
        return self

    def __next__(self):
        return structure.map_structure(_numpy_leaf, next(self._it))


def _numpy_leaf(a):
    if not isinstance(a, np.ndarray):      # a RaggedTensor (to_list() gives its values)
        return a
    if a.ndim == 0:
        return a[()]
    return a
