"""The model server's model config file (TensorFlow Serving's ModelServerConfig text)."""
import pytest

from ember.serving import ModelConfig, parse_model_config

CONFIG = """
# two models
model_config_list {
  config {
    name: 'a'
    base_path: "/models/a"
    model_platform: 'tensorflow'
    model_version_policy { specific { versions: 1 versions: 2 } }
    version_labels { key: 'stable' value: 1 }
    version_labels { key: 'canary' value: 2 }
  }
  config: { name: "b" base_path: "/models/" "b"
            model_version_policy: < latest { num_versions: 2 } > }
  config { name: 'c' base_path: '/models/c' model_version_policy { all {} } }
}
"""


def test_config_file_is_read_as_protobuf_text():
    a, b, c = parse_model_config(CONFIG)
    assert a == ModelConfig("a", "/models/a", "specific", versions=(1, 2),
                            labels={"stable": 1, "canary": 2})
    assert b == ModelConfig("b", "/models/b", "latest", num_versions=2)
    assert c.version_policy == "all" and c.labels == {}


def test_version_policies_pick_versions_on_disk():
    on_disk = [3, 1, 10, 2]
    assert ModelConfig("m", "/p").aspired(on_disk) == [10]
    assert ModelConfig("m", "/p", num_versions=2).aspired(on_disk) == [10, 3]
    assert ModelConfig("m", "/p", "all").aspired(on_disk) == [10, 3, 2, 1]
    assert ModelConfig("m", "/p", "specific", versions=[2, 7]).aspired(on_disk) == [2]


@pytest.mark.parametrize("text,error,message", [
    ("model_config_list { config { name: 'a' base_path: '/a' typo: 1 } }", ValueError,
     r"unknown field\(s\) \['typo'\] in config"),
    ("model_config_list { config { name: 'a' base_path: '/a' model_platform: 'onnx' } }",
     ValueError, "model_platform 'onnx'"),
    ("model_config_list { config { name: 'a' base_path: '/a' } config { name: 'a' "
     "base_path: '/b' } }", ValueError, r"\['a'\] appear more than once"),
    ("model_config_list { config { name: 'a' base_path: '/a' ", ValueError, "missing '}'"),
    ("model_config_list { config { base_path: '/a' } }", ValueError, "Invalid model name"),
    ("model_config_list { config { name: 'a' base_path: '/a' model_version_policy { "
     "latest { num_versions: 0 } } } }", ValueError, "at least 1"),
    ("custom_model_config { }", NotImplementedError, "custom_model_config"),
])
def test_bad_config_files_say_what_is_wrong(text, error, message):
    with pytest.raises(error, match=message):
        parse_model_config(text)
