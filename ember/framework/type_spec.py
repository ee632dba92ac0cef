"""``TypeSpec``: the common base (an abstract class) of the specs that describe values
of a type without the value: TensorSpec, SparseTensorSpec, RaggedTensorSpec,
TensorArraySpec, IndexedSlicesSpec, NoneTensorSpec. Spec classes defined in upper layers
register themselves as virtual subclasses (``TypeSpec.register``), so
``isinstance(spec, tf.TypeSpec)`` holds for all of them."""
from __future__ import annotations

import abc


class TypeSpec(abc.ABC):
    """Describes a value's type: ``value_type`` and ``is_compatible_with``."""

    @property
    def value_type(self):
        """The Python type of the values this spec describes."""
        raise NotImplementedError(f"{type(self).__name__} does not define value_type")

    def is_compatible_with(self, spec_or_value) -> bool:
        return type(self) is type(spec_or_value) and self == spec_or_value

    def most_specific_compatible_type(self, other):
        if not self.is_compatible_with(other):
            raise ValueError(f"{self} and {other} are not compatible")
        return self


class NoneTensorSpec(TypeSpec):
    """The spec of ``None`` (a missing optional value).

    >>> ember.NoneTensorSpec().is_compatible_with(ember.NoneTensorSpec())
    True
    """

    @property
    def value_type(self):
        return type(None)

    def is_compatible_with(self, spec_or_value) -> bool:
        return spec_or_value is None or isinstance(spec_or_value, NoneTensorSpec)

    def __eq__(self, other):
        return isinstance(other, NoneTensorSpec)

    def __hash__(self):
        return hash(NoneTensorSpec)

    def __repr__(self):
        return "NoneTensorSpec()"


class OptionalSpec(TypeSpec):
    """The spec of an optional value: ``element_spec`` describes it when present."""

    def __init__(self, element_spec):
        self.element_spec = element_spec

    @property
    def value_type(self):
        return object

    def is_compatible_with(self, spec_or_value) -> bool:
        return isinstance(spec_or_value, OptionalSpec) and \
            spec_or_value.element_spec == self.element_spec

    def __eq__(self, other):
        return isinstance(other, OptionalSpec) and other.element_spec == self.element_spec

    def __hash__(self):
        return hash((OptionalSpec, repr(self.element_spec)))

    def __repr__(self):
        return f"OptionalSpec({self.element_spec!r})"
