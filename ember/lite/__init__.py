"""ember.lite: TensorFlow Lite files (``tf.lite``).
"""
