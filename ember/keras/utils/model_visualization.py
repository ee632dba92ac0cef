"""``keras.utils.plot_model`` and ``model_to_dot``: a model's layers and connections as a
Graphviz picture (needs the optional ``pydot`` package and Graphviz's ``dot`` program)."""
from __future__ import annotations

import html
import os

__all__ = ["model_to_dot", "plot_model"]


def _require_pydot():
    try:
        import pydot
    except ImportError as e:
        raise ImportError("plot_model/model_to_dot need pydot and Graphviz: pip install "
                          "pydot, and install Graphviz (https://graphviz.org/download/, "
                          "e.g. apt-get install graphviz)") from e
    return pydot


def _shape_text(tensors):
    shapes = [tuple(t.shape) for t in tensors if hasattr(t, "shape")]
    if not shapes:
        return "?"
    text = ", ".join(str(s) for s in shapes)
    return text if len(shapes) == 1 else f"[{text}]"


def _layer_outputs(layer):
    try:
        out = layer.output
    except (AttributeError, ValueError, RuntimeError):
        return []
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _layer_inputs(layer):
    try:
        inp = layer.input
    except (AttributeError, ValueError, RuntimeError):
        return []
    return list(inp) if isinstance(inp, (list, tuple)) else [inp]


def _label(layer, opts):
    title = html.escape(layer.name) + f" ({type(layer).__name__})" \
        if opts["show_layer_names"] else type(layer).__name__
    rows = [f'<tr><td colspan="2" bgcolor="{opts["color"]}"><b>{title}</b></td></tr>']
    if opts["show_layer_activations"] and hasattr(layer, "activation"):
        act = getattr(layer.activation, "__name__", str(layer.activation))
        rows.append(f'<tr><td colspan="2">Activation: {html.escape(act)}</td></tr>')
    if opts["show_shapes"]:
        inputs = _layer_inputs(layer) or _layer_outputs(layer)      # an InputLayer
        rows.append(f"<tr><td>Input shape: {html.escape(_shape_text(inputs))}"
                    f"</td><td>Output shape: "
                    f"{html.escape(_shape_text(_layer_outputs(layer)))}</td></tr>")
    if opts["show_dtype"]:
        dtype = getattr(layer, "dtype", None)
        dtype = getattr(dtype, "name", dtype)
        rows.append(f'<tr><td colspan="2">dtype: {html.escape(str(dtype))}</td></tr>')
    if opts["show_trainable"]:
        rows.append(f'<tr><td colspan="2">Trainable: '
                    f'{"Y" if layer.trainable else "N"}</td></tr>')
    return "<<table border='0' cellborder='1' cellspacing='0'>" + "".join(rows) + "</table>>"


def _is_model(layer):
    return hasattr(layer, "layers") and hasattr(layer, "compile")


def _edges(model):
    """(layers in order, [(from_layer, to_layer)]) of one model level."""
    nodes = getattr(model, "_nodes", None)
    if nodes is not None:
        layers, edges = [], []
        for node in nodes:
            if node.layer not in layers:
                layers.append(node.layer)
            for parent in node.parent_nodes:
                edges.append((parent.layer, node.layer))
        return layers, edges
    layers = list(model.layers)
    return layers, list(zip(layers, layers[1:]))


class _Builder:
    def __init__(self, pydot, opts):
        self.pydot = pydot
        self.opts = opts

    def add_model(self, model, graph):
        """Adds ``model``'s layers to ``graph``; returns (entry ids, exit ids) by layer."""
        layers, edges = _edges(model)
        ends = {}
        for layer in layers:
            if self.opts["expand_nested"] and _is_model(layer):
                cluster = self.pydot.Cluster(f"cluster_{id(layer)}", label=layer.name,
                                             style="dashed")
                inner = self.add_model(layer, cluster)
                graph.add_subgraph(cluster)
                ends[id(layer)] = inner
            else:
                nid = str(id(layer))
                graph.add_node(self.pydot.Node(nid, label=_label(layer, self.opts),
                                               shape="plaintext"))
                ends[id(layer)] = ([nid], [nid])
        for src, dst in edges:
            for a in ends[id(src)][1]:
                for b in ends[id(dst)][0]:
                    graph.add_edge(self.pydot.Edge(a, b))
        targets = {id(d) for _, d in edges}
        sources = {id(s) for s, _ in edges}
        entry = [n for layer in layers if id(layer) not in targets
                 for n in ends[id(layer)][0]]
        exit_ = [n for layer in layers if id(layer) not in sources
                 for n in ends[id(layer)][1]]
        return entry, exit_


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, **kwargs):
    """The model as a ``pydot.Dot`` graph: one box per layer (name and class; shapes,
    dtype, activation and trainability when asked), arrows along the data flow, nested
    models drawn as boxes of their own layers with ``expand_nested``."""
    if rankdir not in ("TB", "LR"):
        raise ValueError(f"model_to_dot: rankdir must be 'TB' or 'LR', got {rankdir!r}")
    if not model.built:
        raise ValueError("model_to_dot: the model has not been built yet; call it on data "
                         "or build it with an input shape first")
    pydot = _require_pydot()
    dot = pydot.Cluster(style="dashed", graph_name=model.name) if subgraph else \
        pydot.Dot(graph_type="digraph", rankdir=rankdir, concentrate=True, dpi=dpi)
    dot.set_node_defaults(shape="record", fontname="Helvetica")
    opts = {"show_shapes": show_shapes, "show_dtype": show_dtype,
            "show_layer_names": show_layer_names, "expand_nested": expand_nested,
            "show_layer_activations": show_layer_activations,
            "show_trainable": show_trainable, "color": "lightgray"}
    _Builder(pydot, opts).add_model(model, dot)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, **kwargs):
    """Draws the model to ``to_file`` (format from its extension: png, svg, pdf, dot...).

    >>> keras.utils.plot_model(model, "model.png", show_shapes=True)
    """
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:] or "png"
    directory = os.path.dirname(os.path.abspath(to_file))
    tmp = os.path.join(directory, f".{os.path.basename(to_file)}.tmp")
    try:
        dot.write(tmp, format=extension)
    except FileNotFoundError as e:
        raise ImportError("plot_model: Graphviz's 'dot' program was not found; install "
                          "Graphviz (https://graphviz.org/download/)") from e
    os.replace(tmp, to_file)
    if extension != "pdf":
        try:
            from IPython import display
            return display.Image(filename=to_file)
        except ImportError:
            pass
    return None
