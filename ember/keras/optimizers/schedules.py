"""keras.optimizers.schedules: learning rates as functions of the optimizer step.

Every schedule is a callable ``schedule(step)`` taking a Python int or an integer tensor
(or the optimizer's ``iterations`` variable) and returning a scalar tensor of the dtype of
``initial_learning_rate`` (float32 for Python floats); it works eagerly and in traces.
"""
from __future__ import annotations

import math

import ember
from ember.keras.saving import serialization as _serialization

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay",
           "PolynomialDecay", "InverseTimeDecay", "CosineDecay", "CosineDecayRestarts",
           "serialize", "deserialize"]


def _cast(value, dtype):
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return ember.constant(value, dtype=dtype)
    return ember.cast(value, dtype)


def _check_positive(name, value):
    if value <= 0:
        raise ValueError(f"Argument `{name}` must be > 0. Received: {name}={value}")


class LearningRateSchedule:
    """Base class of learning-rate schedules: implement ``__call__(step)`` and
    ``get_config()``.

    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, lr):
    ...         self.lr = lr
    ...     def __call__(self, step):
    ...         return self.lr / ember.cast(step + 1, ember.float32)
    ...     def get_config(self):
    ...         return {"lr": self.lr}
    """

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule '{self.__class__.__name__}' "
                                  "must override `__call__(self, step)`.")

    def get_config(self):
        raise NotImplementedError(f"Learning rate schedule '{self.__class__.__name__}' "
                                  "must override `get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _float_setup(initial_learning_rate, step):
    lr0 = ember.convert_to_tensor(initial_learning_rate)
    if not lr0.dtype.is_floating:
        lr0 = ember.cast(lr0, ember.float32)
    return lr0, lr0.dtype, ember.cast(step, lr0.dtype)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (the exponent is
    floored when ``staircase=True``).

    >>> s = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    >>> round(float(s(10)), 6)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_positive("decay_steps", decay_steps)

    def __call__(self, step):
        with ember.name_scope(self.name):
            lr0, dtype, step = _float_setup(self.initial_learning_rate, step)
            p = step / _cast(self.decay_steps, dtype)
            if self.staircase:
                p = ember.floor(p)
            return lr0 * ember.pow(_cast(self.decay_rate, dtype), p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[1]`` while
    ``boundaries[0] < step <= boundaries[1]``, ..., ``values[-1]`` after the last
    boundary.

    >>> s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> [round(float(s(k)), 6) for k in (10, 11, 21)]
    [1.0, 0.5, 0.1]
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "The length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, and "
                f"values={values} of length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        with ember.name_scope(self.name):
            step = ember.convert_to_tensor(step)
            bounds = []
            for b in self.boundaries:
                b = ember.convert_to_tensor(b)
                bounds.append(b if b.dtype is step.dtype else ember.cast(b, step.dtype))
            values = [ember.convert_to_tensor(v) for v in self.values]
            dtype = values[0].dtype
            if not bounds:
                return values[0]
            result = ember.cast(step <= bounds[0], dtype) * values[0]
            result = result + ember.cast(step > bounds[-1], dtype) * \
                ember.cast(values[-1], dtype)
            for low, high, value in zip(bounds[:-1], bounds[1:], values[1:-1]):
                in_range = ember.logical_and(step > low, step <= high)
                result = result + ember.cast(in_range, dtype) * ember.cast(value, dtype)
            return result

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(initial - end) * (1 - step / decay_steps) ** power + end`` with the step capped
    at ``decay_steps``; with ``cycle=True`` ``decay_steps`` grows to the first multiple
    above the step.

    >>> s = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
    >>> round(float(s(5)), 6)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001,
                 power=1.0, cycle=False, name="PolynomialDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_positive("decay_steps", decay_steps)

    def __call__(self, step):
        with ember.name_scope(self.name):
            lr0, dtype, step = _float_setup(self.initial_learning_rate, step)
            end = _cast(self.end_learning_rate, dtype)
            power = _cast(self.power, dtype)
            decay_steps = _cast(self.decay_steps, dtype)
            if self.cycle:
                multiplier = ember.where(ember.equal(step, 0), ember.ones_like(step),
                                         ember.ceil(step / decay_steps))
                decay_steps = decay_steps * multiplier
            else:
                step = ember.minimum(step, decay_steps)
            p = step / decay_steps
            return (lr0 - end) * ember.pow(1 - p, power) + end

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (the ratio is
    floored when ``staircase=True``).

    >>> s = InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
    >>> round(float(s(2)), 6)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_positive("decay_steps", decay_steps)

    def __call__(self, step):
        with ember.name_scope(self.name):
            lr0, dtype, step = _float_setup(self.initial_learning_rate, step)
            p = step / _cast(self.decay_steps, dtype)
            if self.staircase:
                p = ember.floor(p)
            return lr0 / (1 + _cast(self.decay_rate, dtype) * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup from ``initial_learning_rate`` to ``warmup_target`` over
    ``warmup_steps``, then cosine decay over ``decay_steps`` from the warmup target (or
    the initial rate) down to ``alpha`` times it.

    >>> s = CosineDecay(0.1, decay_steps=10)
    >>> round(float(s(5)), 6)
    0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_positive("decay_steps", decay_steps)

    def _decay(self, step, decay_steps, decay_from, dtype):
        fraction = step / decay_steps
        cosine = 0.5 * (1.0 + ember.cos(ember.constant(math.pi, dtype=dtype) * fraction))
        return decay_from * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        with ember.name_scope(self.name):
            lr0, dtype, step = _float_setup(self.initial_learning_rate, step)
            decay_steps = _cast(self.decay_steps, dtype)
            if self.warmup_target is None:
                step = ember.minimum(step, decay_steps)
                return self._decay(step, decay_steps, lr0, dtype)
            target = _cast(self.warmup_target, dtype)
            warmup_steps = _cast(self.warmup_steps, dtype)
            step = ember.minimum(step, decay_steps + warmup_steps)
            return ember.cond(
                step < warmup_steps,
                lambda: (target - lr0) * (step / warmup_steps) + lr0,
                lambda: self._decay(step - warmup_steps, decay_steps, target, dtype))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): the first period lasts
    ``first_decay_steps``, each next one ``t_mul`` times longer and starting ``m_mul``
    times lower.

    >>> s = CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=1.0)
    >>> round(float(s(10)), 6)    # restarted
    0.1
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0,
                 alpha=0.0, name="SGDRDecay"):
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_positive("first_decay_steps", first_decay_steps)

    def __call__(self, step):
        with ember.name_scope(self.name):
            lr0, dtype, step = _float_setup(self.initial_learning_rate, step)
            first = _cast(self.first_decay_steps, dtype)
            alpha = _cast(self.alpha, dtype)
            t_mul = _cast(self._t_mul, dtype)
            m_mul = _cast(self._m_mul, dtype)
            fraction = step / first
            if float(self._t_mul) == 1.0:
                i_restart = ember.floor(fraction)
                fraction = fraction - i_restart
            else:
                i_restart = ember.floor(ember.math.log(1.0 - fraction * (1.0 - t_mul)) /
                                        ember.math.log(t_mul))
                sum_r = (1.0 - ember.pow(t_mul, i_restart)) / (1.0 - t_mul)
                fraction = (fraction - sum_r) / ember.pow(t_mul, i_restart)
            m_fac = ember.pow(m_mul, i_restart)
            cosine = 0.5 * m_fac * (1.0 + ember.cos(ember.constant(math.pi, dtype=dtype) *
                                                    fraction))
            return lr0 * ((1 - alpha) * cosine + alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_ALL = {c.__name__: c for c in (LearningRateSchedule, ExponentialDecay,
                                PiecewiseConstantDecay, PolynomialDecay, InverseTimeDecay,
                                CosineDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule):
    """The Keras config dict of a schedule.

    >>> serialize(ExponentialDecay(0.1, 10, 0.9))["class_name"]
    'ExponentialDecay'
    """
    return _serialization.serialize_keras_object(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """Rebuilds a schedule from ``serialize`` output (custom ones via ``custom_objects`` or
    registration)."""
    return _serialization.deserialize_keras_object(
        config, module_objects=_ALL, custom_objects=custom_objects,
        printable_module_name="decay")
