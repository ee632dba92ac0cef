"""ember.image: the tf.image namespace (resizing, geometry, color, metrics, boxes)."""
from ember.ops.image_ops import *  # noqa: F401,F403
from ember.ops.image_geometry import *  # noqa: F401,F403
from ember.ops.image_color import *  # noqa: F401,F403
from ember.ops.image_metrics import *  # noqa: F401,F403
from ember.ops.image_boxes import *  # noqa: F401,F403
from ember.ops.image_sampling import *  # noqa: F401,F403
