"""TF1's learning-rate decay functions (``tf.train.exponential_decay`` and the others).

Each takes the global step and returns the decayed rate: a tensor while a graph is being
built (it follows the step each time it is run), a function of no arguments eagerly (call
it for the current rate, as TensorFlow does), with TensorFlow's formulas (the same as the
Keras schedules' of the same names).
"""
from __future__ import annotations

import math as _math

import ember as _tf

__all__ = ["exponential_decay", "piecewise_constant", "piecewise_constant_decay",
           "polynomial_decay", "natural_exp_decay", "inverse_time_decay", "cosine_decay",
           "cosine_decay_restarts", "linear_cosine_decay"]


def _deferred(compute, global_step, what):
    if global_step is None:
        raise ValueError(f"{what}: global_step is required")
    if _tf.executing_eagerly():
        return lambda: compute(_tf.convert_to_tensor(global_step))
    return compute(_tf.convert_to_tensor(global_step))


def _f(x):
    return _tf.cast(x, "float32")


def _progress(step, decay_steps, staircase):
    p = _f(step) / float(decay_steps)
    return _tf.floor(p) if staircase else p


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """``learning_rate * decay_rate ** (global_step / decay_steps)`` (an integer quotient
    with ``staircase``)."""
    return _deferred(lambda step: _f(learning_rate) * _tf.pow(
        float(decay_rate), _progress(step, decay_steps, staircase)), global_step,
        "exponential_decay")


def piecewise_constant(x, boundaries, values, name=None):
    """``values[0]`` while ``x <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < x <= boundaries[i]``, ``values[-1]`` after the last boundary."""
    if len(values) != len(boundaries) + 1:
        raise ValueError(f"piecewise_constant: values must have one more entry than "
                         f"boundaries, got {len(values)} values and {len(boundaries)} "
                         f"boundaries")

    def compute(step):
        step = _f(step)
        out = _tf.constant(values[-1], "float32")
        for boundary, value in reversed(list(zip(boundaries, values[:-1]))):
            out = _tf.where(_tf.less_equal(step, float(boundary)),
                            _tf.constant(value, "float32"), out)
        return out
    return _deferred(compute, x, "piecewise_constant")


piecewise_constant_decay = piecewise_constant


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001,
                     power=1.0, cycle=False, name=None):
    """``(learning_rate - end) * (1 - step / decay_steps) ** power + end``, the step held at
    ``decay_steps`` (or the period stretched to the next multiple with ``cycle``)."""
    def compute(step):
        step = _f(step)
        steps = float(decay_steps)
        if cycle:
            steps = steps * _tf.maximum(_tf.math.ceil(step / steps), 1.0)
        else:
            step = _tf.minimum(step, steps)
        frac = 1.0 - step / steps
        return (_f(learning_rate) - end_learning_rate) * _tf.pow(frac, float(power)) + \
            end_learning_rate
    return _deferred(compute, global_step, "polynomial_decay")


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                       name=None):
    """``learning_rate / (1 + decay_rate * global_step / decay_steps)``."""
    return _deferred(lambda step: _f(learning_rate) / (
        1.0 + float(decay_rate) * _progress(step, decay_steps, staircase)), global_step,
        "inverse_time_decay")


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """``learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha)``,
    the step held at ``decay_steps``."""
    def compute(step):
        step = _tf.minimum(_f(step), float(decay_steps))
        cosine = 0.5 * (1.0 + _tf.cos(_math.pi * step / float(decay_steps)))
        return _f(learning_rate) * ((1.0 - alpha) * cosine + alpha)
    return _deferred(compute, global_step, "cosine_decay")


def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0,
                          alpha=0.0, name=None):
    """Cosine decay restarted after each period (SGDR): periods grow by ``t_mul`` and
    peaks shrink by ``m_mul``."""
    def compute(step):
        done = _f(step) / float(first_decay_steps)
        if t_mul == 1.0:
            i = _tf.floor(done)
            done = done - i
        else:
            i = _tf.floor(_tf.math.log(1.0 - done * (1.0 - t_mul)) / _math.log(t_mul))
            total = (1.0 - _tf.pow(float(t_mul), i)) / (1.0 - t_mul)
            done = (done - total) / _tf.pow(float(t_mul), i)
        peak = _tf.pow(float(m_mul), i)
        cosine = 0.5 * peak * (1.0 + _tf.cos(_math.pi * done))
        return _f(learning_rate) * ((1.0 - alpha) * cosine + alpha)
    return _deferred(compute, global_step, "cosine_decay_restarts")


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False,
                      name=None):
    """``learning_rate * exp(-decay_rate * global_step / decay_steps)``."""
    def compute(step):
        p = _tf.cast(step, "float32") / float(decay_steps)
        if staircase:
            p = _tf.floor(p)
        return _tf.cast(learning_rate, "float32") * _tf.exp(-float(decay_rate) * p)
    return _deferred(compute, global_step, "natural_exp_decay")


def linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0,
                        beta=0.001, name=None):
    """``learning_rate * ((alpha + linear) * cosine + beta)`` with ``linear`` falling from 1
    to 0 over ``decay_steps`` and ``cosine`` making ``num_periods`` half-waves."""
    def compute(step):
        step = _tf.minimum(_tf.cast(step, "float32"), float(decay_steps))
        linear = (float(decay_steps) - step) / float(decay_steps)
        cosine = 0.5 * (1.0 + _tf.cos(_math.pi * 2.0 * num_periods * step / decay_steps))
        return _tf.cast(learning_rate, "float32") * ((alpha + linear) * cosine + beta)
    return _deferred(compute, global_step, "linear_cosine_decay")
