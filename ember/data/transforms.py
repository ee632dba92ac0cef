"""Element-wise stages: map, filter, flat_map, interleave, take_while, scan, unique,
ignore_errors, options; and ``reduce``."""
from __future__ import annotations

import numpy as np

from ember.data import structure
from ember.data.dataset import AUTOTUNE, Dataset, UnaryDataset
from ember.data.threads import first_ready, ignore_errors_active, ignoring_errors, \
    parallel_map, parallelism
from ember.data.options import applying, in_effect
from ember.data.options import deterministic as _deterministic
from ember.data.tracing import StructuredFunction
from ember.framework import dtypes
from ember.engine.function import TensorSpec

__all__ = ["MapDataset", "FilterDataset", "FlatMapDataset", "InterleaveDataset",
           "TakeWhileDataset", "ScanDataset", "UniqueDataset", "IgnoreErrorsDataset",
           "OptionsDataset", "reduce_dataset"]


_Unary = UnaryDataset


def _first_element(ds):
    def probe():
        for e in ds._iter():
            return e
        return None
    return probe


class _Failed:
    __slots__ = ("error",)

    def __init__(self, error):
        self.error = error


class MapDataset(_Unary):
    """``output_spec`` (internal) states the output's spec of a function known to run
    eagerly, so that building the pipeline runs nothing (Keras's file loaders)."""

    def __init__(self, input_dataset, map_func, num_parallel_calls, deterministic,
                 output_spec=None):
        super().__init__(input_dataset)
        self._fn = StructuredFunction(map_func, input_dataset.element_spec, "Dataset.map",
                                      probe=_first_element(input_dataset),
                                      mode="trace" if output_spec is None else "eager")
        if output_spec is not None:
            self._fn._output_spec = output_spec
        self._parallel = num_parallel_calls
        self._deterministic = deterministic

    @property
    def element_spec(self):
        return self._fn.output_spec

    def _cardinality(self):
        return self._input._cardinality()

    def _iter(self):
        fn = self._fn
        options = in_effect(self)
        workers = parallelism(self._parallel, options)
        deterministic = _deterministic(self._deterministic, options)

        def call(element):
            try:
                return fn(element)
            except Exception as e:      # re-raised (or dropped by ignore_errors) below
                return _Failed(e)
        for out in parallel_map(call, self._input._iter(), workers, deterministic):
            if type(out) is _Failed:
                if ignore_errors_active():
                    continue
                raise out.error
            yield out


def _check_predicate_spec(spec, what):
    if not isinstance(spec, TensorSpec) or spec.dtype is not dtypes.bool or \
            spec.shape.rank not in (0, None):
        raise TypeError(f"{what}: the predicate must return a scalar tf.bool tensor, got "
                        f"{structure.structure_repr(spec)}.")


def _truth(value, what):
    arr = np.asarray(value)
    if arr.shape != () or arr.dtype != np.bool_:
        raise TypeError(f"{what}: the predicate must return a scalar tf.bool tensor, got "
                        f"shape {arr.shape} and dtype {arr.dtype}.")
    return bool(arr)


class FilterDataset(_Unary):
    def __init__(self, input_dataset, predicate):
        super().__init__(input_dataset)
        self._fn = StructuredFunction(predicate, input_dataset.element_spec,
                                      "Dataset.filter")
        if self._fn.traced:
            _check_predicate_spec(self._fn.output_spec, "Dataset.filter")

    def _iter(self):
        for element in self._input._iter():
            try:
                keep = _truth(self._fn(element), "Dataset.filter")
            except Exception:
                if ignore_errors_active():
                    continue
                raise
            if keep:
                yield element


def _dataset_result(value, what):
    if not isinstance(value, Dataset):
        raise TypeError(f"{what}: the function must return a Dataset, got "
                        f"{type(value).__name__}.")
    return value


class FlatMapDataset(_Unary):
    def __init__(self, input_dataset, map_func):
        super().__init__(input_dataset)
        self._fn = StructuredFunction(map_func, input_dataset.element_spec,
                                      "Dataset.flat_map", mode="eager")
        self._spec = None

    @property
    def element_spec(self):
        if self._spec is None:
            for e in self._input._iter():
                self._spec = _dataset_result(self._fn(e), "Dataset.flat_map").element_spec
                break
            else:
                raise ValueError("Dataset.flat_map: the element spec of an empty input "
                                 "is unknown in ember (the function runs eagerly).")
        return self._spec

    def _iter(self):
        for element in self._input._iter():
            yield from _dataset_result(self._fn(element), "Dataset.flat_map")._iter()


class _Prefetched:
    """An iterator read ahead by a background thread (interleave's parallel readers)."""

    def __init__(self, iterator, size):
        from ember.data.prefetch import background
        self._it = background(iterator, size)

    def __next__(self):
        return next(self._it)


class InterleaveDataset(_Unary):
    def __init__(self, input_dataset, map_func, cycle_length, block_length, num_parallel,
                 deterministic):
        super().__init__(input_dataset)
        self._fn = StructuredFunction(map_func, input_dataset.element_spec,
                                      "Dataset.interleave", mode="eager")
        from ember.data.threads import cpu_count
        if cycle_length is None or int(cycle_length) == AUTOTUNE:
            cycle_length = cpu_count()
        self._cycle = int(cycle_length)
        self._block = 1 if block_length is None else int(block_length)
        if self._cycle <= 0 or self._block <= 0:
            raise ValueError(f"Dataset.interleave: cycle_length and block_length must be "
                             f"positive, got {self._cycle} and {self._block}.")
        self._parallel = num_parallel
        self._deterministic = deterministic
        self._spec = None

    @property
    def element_spec(self):
        if self._spec is None:
            for e in self._input._iter():
                self._spec = _dataset_result(self._fn(e), "Dataset.interleave").element_spec
                break
            else:
                raise ValueError("Dataset.interleave: the element spec of an empty input "
                                 "is unknown in ember (the function runs eagerly).")
        return self._spec

    def _open(self, element):
        it = self._open_eager(element)
        if self._parallel is not None:
            it = _Prefetched(it, max(self._block, 2))
        return it

    def _iter(self):
        if self._parallel is not None and not _deterministic(self._deterministic,
                                                             in_effect(self)):
            return first_ready(self._input._iter(), self._open_eager, self._cycle,
                               max(self._block, 2))
        return self._in_order()

    def _open_eager(self, element):
        return _dataset_result(self._fn(element), "Dataset.interleave")._iter()

    def _in_order(self):
        source = self._input._iter()
        cycle, block = self._cycle, self._block
        slots = [None] * cycle
        open_count, index, in_block, end_of_input = 0, 0, 0, False
        while not end_of_input or open_count > 0:
            if slots[index] is not None:
                try:
                    value = next(slots[index])
                except StopIteration:
                    slots[index] = None
                    open_count -= 1
                    index, in_block = (index + 1) % cycle, 0
                    continue
                in_block += 1
                if in_block == block:
                    index, in_block = (index + 1) % cycle, 0
                yield value
            elif not end_of_input:
                try:
                    element = next(source)
                except StopIteration:
                    end_of_input = True
                    continue
                slots[index] = self._open(element)
                open_count += 1
            else:
                index, in_block = (index + 1) % cycle, 0


class TakeWhileDataset(_Unary):
    def __init__(self, input_dataset, predicate):
        super().__init__(input_dataset)
        self._fn = StructuredFunction(predicate, input_dataset.element_spec,
                                      "Dataset.take_while")
        if self._fn.traced:
            _check_predicate_spec(self._fn.output_spec, "Dataset.take_while")

    def _iter(self):
        for element in self._input._iter():
            if not _truth(self._fn(element), "Dataset.take_while"):
                return
            yield element


def _state_function(func, state, element_spec, what, outputs_pair):
    """Traces ``func(state, element)``; retraces with relaxed state shapes when the new
    state's shapes differ from the initial state's (as tf.data does)."""
    state_spec = structure.spec_of(state)
    for _ in range(3):
        fn = StructuredFunction(func, element_spec, what, extra_specs=(state_spec,),
                                probe=None)
        if not fn.traced:
            return fn, state_spec
        out = fn.output_spec
        if outputs_pair:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise TypeError(f"{what}: the function must return a pair (new_state, "
                                f"output_element), got {structure.structure_repr(out)}.")
            new_state = out[0]
        else:
            new_state = out
        if not structure.same_structure(state_spec, new_state):
            raise TypeError(f"{what}: the new state has structure "
                            f"{structure.structure_repr(new_state)}, which does not match "
                            f"the initial state's {structure.structure_repr(state_spec)}.")
        for a, b in zip(structure.flatten(state_spec), structure.flatten(new_state)):
            if a.dtype is not b.dtype:
                raise TypeError(f"{what}: the new state's dtype {b.dtype.name} does not "
                                f"match the initial state's {a.dtype.name}.")
        relaxed = structure.relax(state_spec, new_state)
        if relaxed == state_spec:
            return fn, state_spec
        state_spec = relaxed
    return fn, state_spec


class ScanDataset(_Unary):
    def __init__(self, input_dataset, initial_state, scan_func):
        super().__init__(input_dataset)
        self._state = structure.normalize(initial_state)
        self._fn, _ = _state_function(scan_func, self._state, input_dataset.element_spec,
                                      "Dataset.scan", True)

    @property
    def element_spec(self):
        if self._fn.traced:
            return self._fn.output_spec[1]
        for e in self._input._iter():
            return structure.spec_of(self._fn(e, self._state)[1])
        raise ValueError("Dataset.scan: the element spec of an empty input is unknown in "
                         "ember (the function runs eagerly).")

    def _cardinality(self):
        return self._input._cardinality()

    def _iter(self):
        state = self._state
        for element in self._input._iter():
            state, out = self._fn(element, state)
            yield out


class UniqueDataset(_Unary):
    def __init__(self, input_dataset):
        super().__init__(input_dataset)
        spec = input_dataset.element_spec
        if not isinstance(spec, TensorSpec) or spec.shape.rank != 0 or not (
                spec.dtype.is_integer or spec.dtype is dtypes.string):
            raise TypeError(f"Dataset.unique: only datasets of scalar integer or string "
                            f"elements are supported, got {structure.structure_repr(spec)}.")

    def _iter(self):
        seen = set()
        for element in self._input._iter():
            key = element[()]
            if key not in seen:
                seen.add(key)
                yield element


class IgnoreErrorsDataset(_Unary):
    def __init__(self, input_dataset, log_warning):
        super().__init__(input_dataset)
        self._log = bool(log_warning)

    def _iter(self):
        it = self._input._iter()
        while True:
            with ignoring_errors():
                try:
                    element = next(it)
                except StopIteration:
                    return
            yield element


class OptionsDataset(_Unary):
    def __init__(self, input_dataset, options):
        super().__init__(input_dataset)
        from ember.data.options import Options
        if not isinstance(options, Options):
            raise TypeError(f"Dataset.with_options: expected tf.data.Options, got "
                            f"{type(options).__name__}.")
        self._options = options

    def _cardinality(self):
        return self._input._cardinality()

    def _gather(self):
        return self._input._gather()

    def _reused_batches(self, slots):
        return self._input._reused_batches(slots)

    def _iter(self):
        options = self.options()
        with applying(options):
            it = self._input._iter()
        while True:
            with applying(options):
                try:
                    element = next(it)
                except StopIteration:
                    return
            yield element


def reduce_dataset(ds, initial_state, reduce_func):
    state = structure.normalize(initial_state)
    fn, _ = _state_function(reduce_func, state, ds.element_spec, "Dataset.reduce", False)
    for element in ds._iter():
        state = fn(element, state)
    return structure.to_tensors(state)


class AssertCardinalityDataset(_Unary):
    def __init__(self, input_dataset, expected):
        super().__init__(input_dataset)
        self._expected = expected

    def _cardinality(self):
        return self._expected

    def _iter(self):
        from ember.framework.errors import FailedPreconditionError
        n = 0
        for element in self._input._iter():
            n += 1
            if 0 <= self._expected < n:
                raise FailedPreconditionError(f"Input dataset was expected to contain "
                                              f"{self._expected} elements but contained "
                                              f"at least {n} elements.")
            yield element
        if n != self._expected:
            raise FailedPreconditionError(f"Input dataset was expected to contain "
                                          f"{self._expected} elements but contained only "
                                          f"{n} elements.")
