"""ember.lite: TensorFlow Lite files (``tf.lite``).

``TFLiteConverter`` lowers a Keras model (or an ``ember.function``'s concrete function, or
an ember SavedModel signature) op by op to TensorFlow Lite builtin operators and writes
the flatbuffer TensorFlow's ``tf.lite.Interpreter`` runs; ``Interpreter`` runs such files
(ember's, and TensorFlow's for the same operators) with ember's kernels.

    converter = ember.lite.TFLiteConverter.from_keras_model(model)
    open("model.tflite", "wb").write(converter.convert())
    interpreter = ember.lite.Interpreter(model_path="model.tflite")
    runner = interpreter.get_signature_runner()
    runner(input_layer=x)["output_0"]

Writing and reading files needs the ``flatbuffers`` package (``pip install ember[lite]``).
"""
from ember.lite.converter import (Optimize, OpsSet, RepresentativeDataset, TargetSpec,
                                  TFLiteConverter)
from ember.lite.interpreter import Interpreter, SignatureRunner

__all__ = ["Interpreter", "Optimize", "OpsSet", "RepresentativeDataset", "SignatureRunner",
           "TargetSpec", "TFLiteConverter"]
