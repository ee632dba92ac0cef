"""Model.summary options: line_length, positions, show_trainable, expand_nested,
print_fn."""
import pytest

from ember import keras


def nested_model():
    inner = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2, name="in1")],
                             name="inner")
    x = keras.Input((8,), name="x")
    return keras.Model(x, inner(keras.layers.Dense(8, name="d")(x)), name="outer")


def lines(model, **kwargs):
    out = []
    model.summary(print_fn=out.append, **kwargs)
    return out


def table(out):
    return [l for l in out if l[:1] in "┏┃┡│├└"]


def test_line_length_and_positions_set_the_table_width():
    for length in (60, 90):
        widths = {len(l) for l in table(lines(nested_model(), line_length=length))}
        assert widths == {length}
    rows = table(lines(nested_model(), line_length=60, positions=[0.5, 0.8, 1.0]))
    assert rows[1].index("┃", 1) == 30                  # first column ends at 0.5 * 60
    rows = table(lines(nested_model(), line_length=60, positions=[20, 45, 60]))
    assert rows[1].index("┃", 1) == 20
    with pytest.raises(ValueError, match="positions"):
        nested_model().summary(positions=[0.5, 1.0], print_fn=lambda *a: None)


def test_show_trainable_and_expand_nested():
    model = nested_model()
    model.get_layer("d").trainable = False
    out = lines(model, show_trainable=True, expand_nested=True)
    text = "\n".join(out)
    assert "Trainable" in out[2]
    row = next(l for l in out if "d (Dense)" in l)
    assert row.rstrip("│ ").endswith("N")
    assert "└ in1 (Dense)" in text
    assert "in1" not in "\n".join(lines(model))          # only with expand_nested
    assert any(l.startswith(" Total params: 90") for l in out)
