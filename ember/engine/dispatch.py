"""The one dispatcher: ``execute(op, inputs, attrs)`` runs an op.

Eagerly (no graph being built) it runs the op's kernel on the inputs' arrays, wraps the
results in ``EagerTensor``s and hands the call to the recording tapes; while a graph is
being built it adds a node to that graph instead. Inputs that belong to an upper layer's
symbolic world (Keras's ``KerasTensor``) go to the handler that layer registered with
``register_symbolic_input_handler``: the engine never imports the layers above it.
"""
from __future__ import annotations

import numpy as np

from ember.framework.context import current as _current, new_state as _new_state, settings
from ember.framework.errors import InvalidArgumentError, OpError
from ember.framework.op import STRING_STORAGE, Op, Spec, normalize_inferred, string_error
from ember.framework.tensor import EagerTensor
from ember.engine.tape import record
from ember.runtime import profiling as _profiling

__all__ = ["execute", "register_symbolic_input_handler"]

_EMPTY = {}
_SYMBOLIC_HANDLERS = []   # (claims(tensor) -> bool, handler(op, inputs, attrs, name))


def register_symbolic_input_handler(claims, handler) -> None:
    """Routes ops with an input for which ``claims(tensor)`` is true to
    ``handler(op, inputs, attrs, name)`` (how Keras records ops on KerasTensors)."""
    _SYMBOLIC_HANDLERS.append((claims, handler))


def execute(op: Op, inputs, attrs=_EMPTY, name=None):
    """Runs ``op`` on ``inputs`` (a list of Tensors): eagerly, or into the active graph."""
    st = _current(None) or _new_state()      # the calling thread's state
    graph = st.graph
    if graph is None:
        try:
            arrays = [t._value for t in inputs]
        except AttributeError:
            return _symbolic_input(op, inputs, attrs, name)
        if op.check_strings:
            for a in arrays:
                if a.dtype is STRING_STORAGE:
                    raise string_error(op, inputs, attrs)
        profile = _profiling.active           # None unless a profile is being taken
        if profile is not None:
            started = _profiling.now()
        try:
            out = op.kernel(np, *arrays, **attrs)
        except OpError:
            raise
        except (ValueError, TypeError, IndexError, ArithmeticError) as e:
            raise _kernel_error(op, inputs, attrs, e) from None
        if type(out) is not tuple:
            result = EagerTensor(out)
            outputs = (result,)
        else:
            outputs = tuple(EagerTensor(o) for o in out)
            result = list(outputs)
        if settings.check_infer:
            _check_infer(op, inputs, attrs, outputs)
        if st.tapes and op.differentiable:
            record(op, inputs, outputs, attrs)
        if profile is not None and profile.ops:
            profile.add(op.name, started)
        return result
    return graph.create_op(op, inputs, attrs, name)


def _symbolic_input(op, inputs, attrs, name):
    for claims, handler in _SYMBOLIC_HANDLERS:
        if any(claims(t) for t in inputs):
            return handler(op, inputs, attrs, name)
    for t in inputs:
        g = getattr(t, "graph", None)
        if g is not None and getattr(g, "_building", False):
            return g.create_op(op, inputs, attrs, name)
    bad = [t for t in inputs if not isinstance(t, EagerTensor)]
    raise TypeError(
        f"Op {op.name} received a symbolic tensor ({bad[0]!r}) outside the graph that made "
        f"it. A tensor from inside an ember.function trace (or a v1 Graph) cannot be used "
        f"eagerly: return it from the function instead. To branch or loop on tensor values "
        f"inside a traced function, use ember.cond or ember.while_loop.")


def _kernel_error(op, inputs, attrs, err):
    """A clear error naming the op and the input shapes, from infer when it can say more."""
    try:
        op.infer([Spec.of(t) for t in inputs], **attrs)
    except (OpError, ValueError, TypeError) as infer_err:
        msg = str(infer_err)
        if f"[Op:{op.name}]" not in msg:
            msg = f"{msg} [Op:{op.name}]"
        return InvalidArgumentError(msg)
    except Exception:  # infer unimplemented or itself broken: fall through to the generic text
        pass
    described = ", ".join(f"{list(t.shape)} {t.dtype.name}" for t in inputs)
    return InvalidArgumentError(f"{op.name} failed on inputs ({described}): {err} "
                                f"[Op:{op.name}]")


def _check_infer(op, inputs, attrs, outputs):
    """Debug mode (tests): the op's infer must predict exactly what the kernel produced."""
    inferred = normalize_inferred(op.infer([Spec.of(t) for t in inputs], **attrs))
    if len(inferred) != len(outputs):
        raise AssertionError(f"{op.name}.infer gave {len(inferred)} outputs, kernel "
                             f"{len(outputs)}")
    for i, ((shape, dtype), out) in enumerate(zip(inferred, outputs)):
        v = out._value
        if not isinstance(v, (np.ndarray, np.generic)):
            raise AssertionError(f"{op.name}.kernel output {i} is {type(v).__name__}, "
                                 f"not a NumPy array")
        if dtype is not out.dtype:
            raise AssertionError(f"{op.name}.infer says output {i} is {dtype.name}, kernel "
                                 f"made {out.dtype.name}")
        if op.relaxed_shape and shape.is_compatible_with(v.shape):
            continue   # a deliberately less specific static shape (loop-carried buffers)
        if not shape.is_compatible_with(v.shape) or shape.rank != v.ndim:
            raise AssertionError(f"{op.name}.infer says output {i} has shape {shape}, kernel "
                                 f"made {v.shape}")
        if not op.data_dependent_shape and not shape.is_fully_defined() and all(
                s.value is not None for s in [Spec.of(t) for t in inputs]):
            raise AssertionError(f"{op.name}.infer left shape {shape} partly unknown although "
                                 f"every input value was known (kernel made {v.shape})")
