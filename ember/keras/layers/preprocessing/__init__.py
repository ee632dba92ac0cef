"""Keras preprocessing layers: image resizing and augmentation, numeric preprocessing."""
from ember.keras.layers.preprocessing.image_color import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.image_geometric import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.image_mixing import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.image_resizing import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.numeric import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.lookup import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.hashing import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.text_vectorization import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.image_warp import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.image_augmix import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.image_clahe import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.image_bounding_boxes import *  # noqa: F401,F403
from ember.keras.layers.preprocessing.audio import *  # noqa: F401,F403
