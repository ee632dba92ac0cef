"""ember.train (tf.train): checkpoints of object trees."""
from ember.train.checkpoint import Checkpoint, CheckpointLoadStatus  # noqa: F401
from ember.train.checkpoint_management import (  # noqa: F401
    CheckpointManager, latest_checkpoint, list_variables, load_variable,
)

__all__ = ["Checkpoint", "CheckpointLoadStatus", "CheckpointManager", "latest_checkpoint",
           "list_variables", "load_variable"]
