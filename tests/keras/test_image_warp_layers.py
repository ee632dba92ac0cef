"""RandomPerspective, RandomElasticTransform, AugMix and CLAHE, and keras.ops.image's
perspective/affine/elastic transforms and Gaussian blur: against real Keras
(tests/fixtures/keras_image_warp), training changes images, inference is the identity,
seeded runs repeat, configs round-trip."""
import os
import sys

import numpy as np
import pytest

import ember
from ember import keras

HERE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "keras_image_warp")
sys.path.insert(0, HERE)
from warp_cases import CASES  # noqa: E402

FIXTURES = np.load(os.path.join(HERE, "warp.npz"))
INPUTS = {k[3:]: FIXTURES[k] for k in FIXTURES.files if k.startswith("in_")}
L = keras.layers


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_keras(name):
    want = FIXTURES[f"out_{name}"]
    got = np.asarray(CASES[name](keras, INPUTS))
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-3)


RANDOM = [lambda: L.RandomPerspective(seed=4), lambda: L.RandomElasticTransform(seed=4),
          lambda: L.AugMix(seed=4)]


@pytest.mark.parametrize("make", RANDOM, ids=["perspective", "elastic", "augmix"])
def test_training_changes_images_inference_is_identity(make):
    img = INPUTS["img"]
    layer = make()
    out = layer(img, training=True).numpy()
    assert out.shape == img.shape and np.isfinite(out).all()
    assert np.abs(out - img).mean() > 1.0
    assert out.min() >= 0.0 and out.max() <= 255.0 + 1e-3
    np.testing.assert_array_equal(layer(img, training=False).numpy(), img)
    keras.utils.set_random_seed(5)
    a = make()(img, training=True).numpy()
    keras.utils.set_random_seed(5)
    b = make()(img, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    config = layer.get_config()
    assert type(layer).from_config(config).get_config() == config


def test_in_a_model_trains_and_traced():
    keras.utils.set_random_seed(2)
    x = np.random.default_rng(0).uniform(0, 255, (16, 8, 8, 3)).astype(np.float32)
    y = (x.mean((1, 2, 3)) > 127).astype(np.float32)
    model = keras.Sequential([keras.Input((8, 8, 3)), L.RandomPerspective(scale=0.3),
                              L.RandomElasticTransform(scale=0.5), L.AugMix(chain_depth=1),
                              L.Rescaling(1 / 255.0), L.Flatten(), L.Dense(1)])
    model.compile("adam", "mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    np.testing.assert_allclose(model.predict(x, verbose=0),
                               L.Dense.__call__(model.layers[-1],
                                                L.Flatten()(x / 255.0)).numpy(), rtol=1e-5)


def test_clahe_flattens_histogram_of_a_low_contrast_image():
    low = INPUTS["low"]
    out = L.ContrastLimitedAdaptiveHistogramEqualization()(low).numpy()
    assert out.max() - out.min() > (low.max() - low.min()) + 5.0
    assert out.std() > low.std()


@pytest.mark.parametrize("fn, match", [
    (lambda: L.RandomPerspective(scale=1.5), "scale"),
    (lambda: L.RandomPerspective(factor=2.0), "factor"),
    (lambda: L.RandomElasticTransform(fill_mode="edge"), "fill_mode"),
    (lambda: L.AugMix(num_chains=0), "num_chains"),
    (lambda: keras.ops.image.perspective_transform(INPUTS["img"], np.zeros((3, 2)),
                                                   np.zeros((3, 2))), "start_points"),
    (lambda: keras.ops.image.affine_transform(INPUTS["img"], INPUTS["transform"],
                                              fill_mode="mirror"), "fill_mode"),
])
def test_errors(fn, match):
    with pytest.raises((ValueError, NotImplementedError), match=match):
        fn()


def test_max_num_bounding_boxes_traced_and_errors():
    layer = L.MaxNumBoundingBoxes(4, bounding_box_format="xyxy")
    data = {"images": INPUTS["img"],
            "bounding_boxes": {"boxes": np.ones((2, 6, 4), np.float32),
                               "labels": np.ones((2, 6), np.int32)}}
    traced = ember.function(lambda d: layer(d)["bounding_boxes"]["boxes"])
    assert traced(data).shape == (2, 4, 4)
    np.testing.assert_array_equal(layer(INPUTS["img"]), INPUTS["img"])   # images only
    with pytest.raises(ValueError, match="bounding box format"):
        L.MaxNumBoundingBoxes(4)(data)
    with pytest.raises(KeyError, match="unsupported keys"):
        layer({"images": INPUTS["img"], "bounding_boxes": dict(
            data["bounding_boxes"], scores=np.ones((2, 6)))})


def test_importing_keras_does_not_load_keras_ops_or_strings():
    import subprocess
    import sys
    code = ("import sys, ember.keras; "
            "print(sorted(m for m in ('ember.keras.ops', 'ember.strings', 'ember.lookup') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(
                             [os.path.dirname(os.path.dirname(ember.__file__))] +
                             os.environ.get("PYTHONPATH", "").split(os.pathsep))})
    assert out.stdout.strip() == "[]", out.stdout
