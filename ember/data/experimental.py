"""``tf.data.experimental``: the names users still reach for."""
from __future__ import annotations

from ember.data.csv_dataset import CsvDataset, make_csv_dataset  # noqa: F401
from ember.data.dataset import (  # noqa: F401
    AUTOTUNE, INFINITE_CARDINALITY, UNKNOWN_CARDINALITY, Dataset,
)
from ember.data.options import (  # noqa: F401
    AutoShardPolicy, AutotuneOptions, DistributeOptions, ExternalStatePolicy,
    OptimizationOptions, ThreadingOptions,
)

__all__ = ["AUTOTUNE", "INFINITE_CARDINALITY", "UNKNOWN_CARDINALITY", "CsvDataset",
           "make_csv_dataset", "cardinality", "assert_cardinality", "ignore_errors",
           "sample_from_datasets", "choose_from_datasets", "enumerate_dataset", "unbatch",
           "dense_to_ragged_batch", "dense_to_sparse_batch", "get_single_element", "save", "load", "counter",
           "AutoShardPolicy", "ExternalStatePolicy", "ThreadingOptions", "OptimizationOptions",
           "DistributeOptions", "AutotuneOptions", "group_by_window",
           "bucket_by_sequence_length", "scan", "take_while", "unique", "rejection_resample",
           "shuffle_and_repeat", "parallel_interleave", "map_and_batch", "from_list"]


def cardinality(dataset):
    return dataset.cardinality()


def assert_cardinality(expected_cardinality):
    def apply(ds):
        from ember.data.transforms import AssertCardinalityDataset
        return AssertCardinalityDataset(ds, int(expected_cardinality))
    return apply


def ignore_errors(log_warning=False):
    return lambda ds: ds.ignore_errors(log_warning)


def sample_from_datasets(datasets, weights=None, seed=None, stop_on_empty_dataset=False):
    return Dataset.sample_from_datasets(datasets, weights, seed, stop_on_empty_dataset)


def choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset=True):
    return Dataset.choose_from_datasets(datasets, choice_dataset, stop_on_empty_dataset)


def enumerate_dataset(start=0):
    return lambda ds: ds.enumerate(start)


def unbatch():
    return lambda ds: ds.unbatch()


def dense_to_ragged_batch(batch_size, drop_remainder=False, row_splits_dtype="int64"):
    return lambda ds: ds.ragged_batch(batch_size, drop_remainder, row_splits_dtype)


def dense_to_sparse_batch(batch_size, row_shape):
    return lambda ds: ds.sparse_batch(batch_size, row_shape)


def get_single_element(dataset):
    return dataset.get_single_element()


def save(dataset, path, compression=None, shard_func=None, checkpoint_args=None):
    return dataset.save(path, compression, shard_func)


def load(path, element_spec=None, compression=None, reader_func=None):
    return Dataset.load(path, element_spec, compression, reader_func)


def counter(start=0, step=1, dtype="int64"):
    return Dataset.counter(start, step, dtype)


def from_list(elements, name=None):
    """A dataset of the given elements (each a structure of tensors)."""
    from ember.data import structure
    from ember.data.windowing import ListDataset
    items = [structure.normalize(e) for e in elements]
    if not items:
        raise ValueError("from_list: `elements` must not be empty.")
    spec = structure.spec_of(items[0])
    for e in items[1:]:
        spec = structure.relax(spec, structure.spec_of(e))
    return ListDataset(items, spec)


def group_by_window(key_func, reduce_func, window_size=None, window_size_func=None):
    return lambda ds: ds.group_by_window(key_func, reduce_func, window_size,
                                         window_size_func)


def bucket_by_sequence_length(element_length_func, bucket_boundaries, bucket_batch_sizes,
                              padded_shapes=None, padding_values=None,
                              pad_to_bucket_boundary=False, no_padding=False,
                              drop_remainder=False):
    return lambda ds: ds.bucket_by_sequence_length(
        element_length_func, bucket_boundaries, bucket_batch_sizes, padded_shapes,
        padding_values, pad_to_bucket_boundary, no_padding, drop_remainder)


def scan(initial_state, scan_func):
    return lambda ds: ds.scan(initial_state, scan_func)


def take_while(predicate):
    return lambda ds: ds.take_while(predicate)


def unique():
    return lambda ds: ds.unique()


def rejection_resample(class_func, target_dist, initial_dist=None, seed=None):
    return lambda ds: ds.rejection_resample(class_func, target_dist, initial_dist, seed)


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    return lambda ds: ds.shuffle(buffer_size, seed).repeat(count)


def parallel_interleave(map_func, cycle_length, block_length=1, sloppy=False,
                        buffer_output_elements=None, prefetch_input_elements=None):
    return lambda ds: ds.interleave(map_func, cycle_length, block_length,
                                    num_parallel_calls=cycle_length)


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    return lambda ds: ds.map(map_func, num_parallel_calls).batch(batch_size,
                                                                  drop_remainder)
