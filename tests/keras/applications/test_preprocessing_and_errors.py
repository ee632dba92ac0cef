"""keras.applications: preprocess_input of each mode and family against real Keras, the
lazy import, and the argument errors Keras gives."""
import subprocess
import sys

import numpy as np
import pytest

from ember import keras
from tests.keras.applications import fixtures
from tests.keras.applications.test_predictions import PREDICTIONS

X = PREDICTIONS["preprocess/x"]


@pytest.mark.parametrize("mode", ["caffe", "tf", "torch"])
def test_imagenet_preprocess_input_modes(mode):
    from ember.keras.applications import imagenet_utils
    ref = lambda key: PREDICTIONS[f"preprocess/{mode}/{key}"]  # noqa: E731
    np.testing.assert_allclose(imagenet_utils.preprocess_input(X.copy(), mode=mode),
                               ref("channels_last"), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(
        imagenet_utils.preprocess_input(X.transpose(0, 3, 1, 2).copy(), mode=mode,
                                        data_format="channels_first"),
        ref("channels_first"), rtol=1e-6, atol=1e-5)
    np.testing.assert_allclose(
        imagenet_utils.preprocess_input(X[0].transpose(2, 0, 1).copy(), mode=mode,
                                        data_format="channels_first"),
        ref("single_first"), rtol=1e-6, atol=1e-5)
    out = imagenet_utils.preprocess_input(X.astype(np.uint8), mode=mode)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref("uint8"), rtol=1e-6, atol=1e-5)
    # tensors: same numbers, input untouched
    import ember
    t = ember.constant(X)
    np.testing.assert_allclose(imagenet_utils.preprocess_input(t, mode=mode).numpy(),
                               ref("channels_last"), rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(t.numpy(), X)


def test_numpy_float_input_is_preprocessed_in_place_as_in_keras():
    from ember.keras.applications import imagenet_utils
    x = X.copy()
    out = imagenet_utils.preprocess_input(x, mode="tf")
    assert out is x
    np.testing.assert_allclose(x, PREDICTIONS["preprocess/tf/channels_last"], rtol=1e-6)


@pytest.mark.parametrize("module", ["vgg16", "vgg19", "resnet", "resnet50", "resnet_v2",
                                    "mobilenet", "mobilenet_v2", "mobilenet_v3", "densenet",
                                    "inception_v3", "xception", "inception_resnet_v2",
                                    "nasnet", "efficientnet", "efficientnet_v2",
                                    "convnext"])
def test_family_preprocess_input(module):
    from ember.keras import applications
    mod = getattr(applications, module)
    np.testing.assert_allclose(np.asarray(mod.preprocess_input(X.copy())),
                               PREDICTIONS[f"preprocess/module/{module}"], rtol=1e-6,
                               atol=1e-5)
    assert callable(mod.decode_predictions)


def test_preprocess_input_in_a_functional_model():
    """Applied to a KerasTensor, preprocessing becomes part of the model."""
    from ember.keras.applications import resnet50
    inputs = keras.Input((4, 4, 3))
    model = keras.Model(inputs, resnet50.preprocess_input(inputs))
    np.testing.assert_allclose(model(X).numpy(), PREDICTIONS["preprocess/caffe/channels_last"],
                               rtol=1e-6, atol=1e-5)


def test_bad_preprocess_arguments():
    from ember.keras.applications import imagenet_utils
    with pytest.raises(ValueError, match="mode"):
        imagenet_utils.preprocess_input(X.copy(), mode="keras")
    with pytest.raises(ValueError, match="data_format"):
        imagenet_utils.preprocess_input(X.copy(), data_format="channels_middle")


def test_import_is_lazy():
    code = ("import sys, ember; from ember import keras; "
            "assert 'ember.keras.applications' not in sys.modules; "
            "from ember.keras.applications import MobileNetV2; "
            "assert 'ember.keras.applications.resnet' not in sys.modules; "
            "import ember.keras.applications.resnet50 as r; print(r.ResNet50.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "ResNet50"
    from ember.keras import applications
    assert "ResNet50" in dir(applications)
    with pytest.raises(AttributeError, match="ResNet49"):
        applications.ResNet49  # noqa: B018


@pytest.mark.parametrize("ctor,kwargs,match", [
    ("ResNet50", {"weights": "imagenet", "classes": 10}, "classes` should be 1000"),
    ("VGG16", {"weights": None, "include_top": False, "input_shape": (16, 16, 3)},
     "at least 32x32"),
    ("InceptionV3", {"weights": None, "include_top": False, "input_shape": (64, 64, 3)},
     "at least 75x75"),
    ("ResNet50", {"weights": "imagenet", "input_shape": (128, 128, 3)},
     r"input_shape` should be \(224, 224, 3\)"),
    ("ResNet50", {"weights": "/no/such/file.h5"}, "The `weights` argument"),
    ("ResNet50", {"weights": None, "input_shape": (None, None, 3)},
     "static `input_shape`"),
    ("ResNet50", {"weights": None, "include_top": False, "input_shape": (32, 32)},
     "tuple of three integers"),
    ("ResNet50", {"weights": None, "include_top": False, "pooling": "mean"}, "pooling"),
    ("MobileNet", {"weights": "imagenet", "depth_multiplier": 2}, "depth multiplier"),
    ("MobileNet", {"weights": "imagenet", "alpha": 0.3}, "alpha can be one of"),
    ("MobileNetV2", {"weights": "imagenet", "alpha": 0.3}, "alpha must be one of"),
    ("MobileNetV3Small", {"weights": "imagenet", "alpha": 0.5}, "alpha can be one of"),
    ("MobileNetV3Small", {"weights": None, "input_shape": (16, 16, 3)}, "at least 32x32"),
    ("ResNet50", {"weights": None, "input_tensor": np.zeros((1, 32, 32, 3))},
     "KerasTensor"),
])
def test_argument_errors(ctor, kwargs, match):
    from ember.keras import applications
    with pytest.raises(ValueError, match=match):
        getattr(applications, ctor)(**kwargs)


def test_classifier_activation_must_be_softmax_or_none_with_pretrained_weights(tmp_path):
    pytest.importorskip("h5py")
    from ember.keras import applications
    kwargs = {"alpha": 0.25, "input_shape": (32, 32, 3), "classes": 10}
    model = applications.MobileNet(weights=None, **kwargs)
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    with pytest.raises(ValueError, match="classifier_activation"):
        applications.MobileNet(weights=str(path), classifier_activation="relu", **kwargs)
    applications.MobileNet(weights=str(path), classifier_activation=None, **kwargs)


def test_channels_first_only_models_say_so():
    from ember.keras import applications
    keras.config.set_image_data_format("channels_first")
    try:
        for ctor in ("ConvNeXtTiny", "NASNetMobile"):
            with pytest.raises(ValueError, match="channels_first"):
                getattr(applications, ctor)(weights=None)
    finally:
        keras.config.set_image_data_format("channels_last")


def test_input_tensor_and_imagenet_size_warning(monkeypatch, tmp_path):
    from tests.keras.applications.test_weight_files import _no_network
    from ember.keras import applications, layers
    keras.backend.clear_session()
    inputs = keras.Input((40, 40, 3))
    x = layers.Rescaling(1.0)(inputs)
    model = applications.MobileNetV2(input_tensor=x, alpha=0.35, include_top=False,
                                     weights=None, pooling="max")
    assert model.inputs[0] is inputs          # the input tensor's source input
    assert model.output_shape == (None, 1280)
    assert model.get_layer("global_max_pooling2d") is model.layers[-1]
    _no_network(monkeypatch, tmp_path)
    with pytest.warns(UserWarning, match="224"):
        with pytest.raises(OSError, match="_224_no_top.h5"):
            applications.MobileNetV2(weights="imagenet", alpha=0.35, include_top=False,
                                     input_shape=(40, 40, 3))
