"""keras.applications architectures against real Keras 3.15 (fixture made by
tests/fixtures/applications/make_fixtures.py): the same layers (names, classes, order),
the same weights (names, shapes, order), parameter counts and output shapes.

Architectures above ``HEAVY_PARAMS`` parameters (except each family's smallest) allocate hundreds of MB to GBs of weights;
``check_heavy_architectures.py`` (next to this file) compares those with the same
function, outside the suite."""
import pytest

from tests.keras.applications import fixtures

HEAVY_PARAMS = 12_500_000
ARCHS = fixtures.architectures()


def _light():
    """Architectures up to HEAVY_PARAMS, and the smallest configuration of each family."""
    from ember.keras.applications import _MODELS
    smallest = {}
    for name, arch in ARCHS.items():
        family = _MODELS[fixtures.ARCHITECTURES[name][0]]
        if family not in smallest or arch["params"] < ARCHS[smallest[family]]["params"]:
            smallest[family] = name
    return sorted({n for n, a in ARCHS.items() if a["params"] <= HEAVY_PARAMS}
                  | set(smallest.values()))


LIGHT = _light()
HEAVY = sorted(set(ARCHS) - set(LIGHT))


def check_architecture(name):
    """Builds fixture architecture ``name`` in ember and compares it with Keras's."""
    ref = ARCHS[name]
    ctor, kwargs = fixtures.ARCHITECTURES[name]
    model = fixtures.build(ctor, kwargs, zeros=True)
    assert model.name == ref["name"]
    layers = [[layer.name, type(layer).__name__] for layer in model.layers]
    assert layers == ref["layers"]
    weights = [[fixtures.local_weight_path(w.path), list(w.shape)] for w in model.weights]
    expected = [[fixtures.local_weight_path(p), s] for p, s in ref["weights"]]
    assert weights == expected
    assert model.count_params() == ref["params"]
    assert list(model.output_shape) == ref["output_shape"]


def test_fixture_covers_every_application():
    from ember.keras import applications
    built = {ctor for ctor, _ in fixtures.ARCHITECTURES.values()}
    assert built == set(applications._MODELS)
    assert set(LIGHT) | set(HEAVY) == set(fixtures.ARCHITECTURES)
    # every family has a member in the suite
    families = {applications._MODELS[fixtures.ARCHITECTURES[n][0]] for n in LIGHT}
    assert families == set(applications._MODELS.values())


@pytest.mark.parametrize("name", LIGHT)
def test_architecture_matches_keras(name):
    check_architecture(name)
