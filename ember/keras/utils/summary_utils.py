"""model.summary(): Keras's table of layers, output shapes and parameter counts."""
from __future__ import annotations

import numpy as np

__all__ = ["print_summary", "count_params", "readable_memory_size"]


def count_params(weights):
    return int(sum(int(np.prod(w.shape.as_list())) for w in weights))


def readable_memory_size(n_bytes):
    units = ["B", "KB", "MB", "GB", "TB"]
    size = float(n_bytes)
    for unit in units:
        if size < 1024 or unit == units[-1]:
            return f"{size:.2f} {unit}"
        size /= 1024


def _weight_bytes(weights):
    return sum(int(np.prod(w.shape.as_list())) * w.dtype.size for w in weights)


def _shape_text(layer):
    out = None
    try:
        if getattr(layer, "_inbound_nodes", None):
            node = layer._inbound_nodes[-1]
            import ember
            out = ember.nest.map_structure(lambda t: tuple(t.shape.as_list()), node.outputs)
    except Exception:
        out = None
    if out is None:
        shape = getattr(layer, "_output_shape_seen", None)
        if shape is None:
            return "?"
        out = shape
    if isinstance(out, list) and len(out) == 1:
        out = out[0]
    return str(out).replace("'", "")


def print_summary(model, line_length=None, positions=None, print_fn=None,
                  expand_nested=False, show_trainable=False):
    print_fn = print_fn or (lambda line, **kw: print(line))
    widths = _column_widths(line_length, positions, show_trainable)
    headers = ["Layer (type)", "Output Shape", "Param #"] + (["Trainable"] if show_trainable
                                                              else [])
    layers = _rows(model, expand_nested, 0)

    def row(cells, left="│", mid="│", right="│"):
        parts = []
        for i, (c, w) in enumerate(zip(cells, widths)):
            c = str(c)
            if len(c) > w:
                c = c[:w - 1] + "…"
            parts.append(" " + (c.rjust(w) if i == 2 else c.ljust(w)) + " ")
        return left + mid.join(parts) + right

    def rule(left, mid, right, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    kind = "Functional" if _is_functional(model) else type(model).__name__
    print_fn(f'Model: "{model.name}"')
    print_fn(rule("┏", "┳", "┓", "━"))
    print_fn(row(headers, "┃", "┃", "┃"))
    print_fn(rule("┡", "╇", "┩", "━"))
    for i, (depth, layer) in enumerate(layers):
        params = count_params(layer.weights) if layer.built else 0
        indent = "" if depth == 0 else "   " * (depth - 1) + " └ "
        cells = [f"{indent}{layer.name} ({type(layer).__name__})", _shape_text(layer),
                 f"{params:,}" if layer.built else "0 (unbuilt)"]
        if show_trainable:
            cells.append("Y" if layer.trainable else "N")
        print_fn(row(cells))
        if i != len(layers) - 1:
            print_fn(rule("├", "┼", "┤", "─"))
    print_fn(rule("└", "┴", "┘", "─"))
    del kind
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    total = count_params(trainable) + count_params(non_trainable)
    total_bytes = _weight_bytes(trainable) + _weight_bytes(non_trainable)
    print_fn(f" Total params: {total:,} ({readable_memory_size(total_bytes)})")
    print_fn(f" Trainable params: {count_params(trainable):,} "
             f"({readable_memory_size(_weight_bytes(trainable))})")
    print_fn(f" Non-trainable params: {count_params(non_trainable):,} "
             f"({readable_memory_size(_weight_bytes(non_trainable))})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and getattr(optimizer, "variables", None):
        opt_vars = [v for v in optimizer.variables]
        if opt_vars:
            print_fn(f" Optimizer params: {count_params(opt_vars):,} "
                     f"({readable_memory_size(_weight_bytes(opt_vars))})")


def _column_widths(line_length, positions, show_trainable):
    """Text widths of the columns: Keras's defaults, or ``positions`` (right edges, as
    fractions of ``line_length`` or as character counts) over ``line_length`` characters."""
    columns = 4 if show_trainable else 3
    if line_length is None and positions is None:
        return [31, 22, 13, 9][:columns]
    line_length = int(line_length or (98 if show_trainable else 86))
    if positions is None:
        positions = [0.38, 0.66, 0.85, 1.0] if show_trainable else [0.4, 0.7, 1.0]
    positions = list(positions)
    if len(positions) != columns:
        raise ValueError(f"summary: positions must give {columns} column edges "
                         f"(show_trainable={show_trainable}), got {positions}")
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    edges = [0] + [int(p) for p in positions]
    widths = [b - a - 3 for a, b in zip(edges, edges[1:])]     # a border and 2 spaces
    widths[-1] -= 1                                             # the closing border
    if any(w < 1 for w in widths):
        raise ValueError(f"summary: positions {positions} leave a column narrower than "
                         f"one character")
    return widths


def _rows(model, expand_nested, depth):
    """(depth, layer) for the table: a model's layers, nested models' layers under them
    when ``expand_nested``."""
    from ember.keras.layers.input_layer import InputLayer
    layers = [l for l in model.layers if not isinstance(l, InputLayer)] \
        if not _is_functional(model) or depth else list(model.operations)
    out = []
    for layer in layers:
        out.append((depth, layer))
        if expand_nested and hasattr(layer, "layers") and hasattr(layer, "compile"):
            out.extend(_rows(layer, True, depth + 1))
    return out


def _is_functional(model):
    from ember.keras.models.functional import Functional
    return isinstance(model, Functional)
