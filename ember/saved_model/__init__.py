"""ember.saved_model (tf.saved_model): exported computations that run without the Python
code that built them.

``save(obj, export_dir, signatures=None)`` writes a directory:

- ``saved_model.json``: the format, the signatures (name, input names/shapes/dtypes, output
  names) and the exported functions (attribute name, inputs), each pointing at its file;
- ``functions/<name>.embergraph``: each traced function as an ember graph file (the ops by
  name and their attributes, no pickle and no Python code), the variables it reads with
  their values, named so the functions share them.

``load(export_dir)`` returns an object whose ``signatures["serving_default"]`` (and other
signatures) take keyword arguments named as the inputs and return a dict of outputs
(``output_0`` ...), and whose attributes are the exported functions, called like the
originals. What is exported: ``signatures`` (a function with an ``input_signature``, a
concrete function, or a dict of them); a Keras model's serving function (its call on its
inputs' specs) when no signature is given; and every ``ember.function`` attribute of
``obj`` that has an ``input_signature``. These are ember's own files: TensorFlow's
SavedModel protobufs are neither written nor read.
"""
from ember.saved_model.saving import load, save  # noqa: F401

SERVING = "serve"
DEFAULT_SERVING_SIGNATURE_DEF_KEY = "serving_default"

__all__ = ["save", "load", "SERVING", "DEFAULT_SERVING_SIGNATURE_DEF_KEY"]
