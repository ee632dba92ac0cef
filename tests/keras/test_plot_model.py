"""keras.utils.plot_model / model_to_dot (skipped where pydot or Graphviz is missing)."""
import shutil

import pytest

from ember import keras

pydot = pytest.importorskip("pydot")
if shutil.which("dot") is None:
    pytest.skip("Graphviz's dot program is not installed", allow_module_level=True)

PNG = b"\x89PNG\r\n\x1a\n"


def sequential():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d1"),
                             keras.layers.Dense(2, name="d2")], name="seq")


def multi_branch(inner=None):
    x = keras.Input((8,), name="x")
    a = keras.layers.Dense(4, name="a")(x)
    b = keras.layers.Dense(4, name="b")(x)
    c = keras.layers.Concatenate(name="cat")([a, b])
    return keras.Model(x, inner(c) if inner is not None else c, name="branches")


def nested():
    inner = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2, name="in1"),
                              keras.layers.Dense(1, name="in2")], name="inner")
    return multi_branch(inner)


def edges(dot):
    names = {n.get_name(): n.get("label") for n in dot.get_nodes()}
    for sub in dot.get_subgraphs():
        names.update({n.get_name(): n.get("label") for n in sub.get_nodes()})

    def layer(node_id):
        label = names[node_id]
        return label.split("<b>")[1].split(" (")[0]
    all_edges = dot.get_edges() + [e for sub in dot.get_subgraphs() for e in sub.get_edges()]
    return {(layer(e.get_source()), layer(e.get_destination())) for e in all_edges}


def test_edges_follow_the_data_flow():
    assert edges(keras.utils.model_to_dot(sequential())) == {("d1", "d2")}
    assert edges(keras.utils.model_to_dot(multi_branch())) == {
        ("x", "a"), ("x", "b"), ("a", "cat"), ("b", "cat")}
    assert ("cat", "inner") in edges(keras.utils.model_to_dot(nested()))
    expanded = keras.utils.model_to_dot(nested(), expand_nested=True)
    assert {("cat", "in1"), ("in1", "in2")} <= edges(expanded)
    assert len(expanded.get_subgraphs()) == 1


def test_labels_show_what_was_asked():
    text = keras.utils.model_to_dot(multi_branch(), show_shapes=True, show_dtype=True,
                                    show_trainable=True).to_string()
    assert "Output shape: (None, 4)" in text and "[(None, 4), (None, 4)]" in text
    assert "dtype: float32" in text and "Trainable: Y" in text
    assert "cat (Concatenate)" in text
    with pytest.raises(ValueError, match="rankdir"):
        keras.utils.model_to_dot(sequential(), rankdir="BT")


@pytest.mark.parametrize("build", [sequential, multi_branch, nested])
def test_plot_model_writes_a_png(tmp_path, build):
    path = tmp_path / "model.png"
    keras.utils.plot_model(build(), to_file=str(path), show_shapes=True,
                           expand_nested=True, rankdir="LR", dpi=72)
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 1000
    assert [p.name for p in tmp_path.iterdir()] == ["model.png"]     # no temp file left
