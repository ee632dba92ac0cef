"""ember.train (tf.train): checkpoints of object trees, and the ``tf.train.Example``
protocol messages (real protobuf wire format)."""
from ember.io.example_proto import (  # noqa: F401
    BytesList, Example, Feature, FeatureList, FeatureLists, Features, FloatList, Int64List,
    SequenceExample,
)
from ember.train.checkpoint import Checkpoint, CheckpointLoadStatus  # noqa: F401
from ember.train.checkpoint_management import (  # noqa: F401
    CheckpointManager, CheckpointReader, latest_checkpoint, list_variables, load_checkpoint,
    load_variable,
)

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointManager", "CheckpointReader",
           "latest_checkpoint", "list_variables", "load_checkpoint", "load_variable", "BytesList", "Example", "Feature",
           "FeatureList", "FeatureLists", "Features", "FloatList", "Int64List",
           "SequenceExample"]


def __getattr__(name):
    """``tf.train.ClusterSpec`` lives with tf.distribute's cluster resolvers (loaded on
    first use)."""
    if name == "ClusterSpec":
        from ember.distribute.cluster_resolver import ClusterSpec
        return ClusterSpec
    raise AttributeError(f"module 'ember.train' has no attribute {name!r}")
