"""Model: a Layer that trains (compile/fit/evaluate/predict), summarizes and saves.

``Model(inputs, outputs)`` makes a functional model; subclasses define ``call``.
"""
from __future__ import annotations

import ember
from ember.keras.layers.layer import Layer, call_output_spec
from ember.keras.trainers.trainer import Trainer

__all__ = ["Model"]


class Model(Trainer, Layer):
    """A layer with training and inference loops.

    >>> inputs = keras.Input(shape=(784,))
    >>> outputs = keras.layers.Dense(10, activation="softmax")(inputs)
    >>> model = keras.Model(inputs, outputs)
    """

    def __new__(cls, *args, **kwargs):
        functional = len(args) >= 2 or "inputs" in kwargs or \
            (len(args) == 1 and "outputs" in kwargs)
        if cls is Model and functional:
            from ember.keras.models.functional import Functional
            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        if _functional_arguments(args, kwargs) and type(self) is not Model:
            # a subclass built as Custom(inputs, outputs): a functional model with the
            # subclass's methods (Keras's rule)
            from ember.keras.models.functional import Functional
            if not isinstance(self, Functional):
                _inject_functional(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        if type(self) is Model or (args and _looks_functional(args, kwargs)):
            from ember.keras.models.functional import Functional
            if isinstance(self, Functional):
                return
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype)
        Trainer.__init__(self)

    def build(self, input_shape=None):
        """Builds a subclassed model by tracing ``call`` on symbolic inputs."""
        if self.built:
            return
        if input_shape is None:
            raise ValueError(f"Model {self.name}: build() needs an input_shape")
        spec = _specs_for_shapes(input_shape, self._variable_dtype)
        self.built = True
        try:
            call_output_spec(self, spec)
        except Exception:
            self.built = False
            raise
        self._build_input_shape = input_shape

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints the layers, their output shapes and parameter counts (Keras's table)."""
        from ember.keras.utils.summary_utils import print_summary
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable)

    def get_layer(self, name=None, index=None):
        layers = self.layers
        if index is not None:
            if index >= len(layers):
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(layers)} layers.")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}. Existing layers are: "
                         f"{[l.name for l in layers]}.")

    def get_config(self):
        """The base config; for a subclass without its own get_config, plus its captured
        constructor arguments."""
        base = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_config()}
        if type(self).get_config is not Model.get_config:
            return base       # called through super() from the subclass's own get_config
        return self._constructor_config(base)

    def __reduce__(self):
        """Pickles as Keras does: the model's ``.keras`` archive (config, compile config,
        weights and optimizer state) as bytes; needs h5py, and custom classes must be
        registered (``register_keras_serializable``) to load, as for a ``.keras`` file."""
        from ember.keras.saving.keras_archive import archive_bytes, unpickle_model
        return (unpickle_model, (archive_bytes(self),))

    def get_compile_config(self):
        """The serialized ``compile()`` arguments (None if the model is not compiled)."""
        from ember.keras.saving.compile_config import get_compile_config
        return get_compile_config(self)

    def compile_from_config(self, config):
        """Compiles the model with ``get_compile_config()`` output."""
        from ember.keras.saving.compile_config import compile_from_config
        compile_from_config(self, config)

    def get_build_config(self):
        if not self.built:
            return None
        shape = getattr(self, "_build_input_shape", None)
        if shape is None:
            shape = getattr(self, "_build_shapes", None)
        if shape is None:
            return None
        from ember.keras.layers.layer import _shape_lists
        return {"input_shape": _shape_lists(shape)}

    def build_from_config(self, config):
        shape = config.get("input_shape") if config else None
        if self.built or shape is None:
            return
        from ember.keras.layers.layer import _shape_tuples
        self.build(_shape_tuples(shape))

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """A model from its config: a functional config (``layers``, ``input_layers``,
        ``output_layers``) rebuilds the graph; otherwise ``cls(**config)``."""
        from ember.keras.models.functional import Functional
        if isinstance(config, dict) and {"layers", "input_layers", "output_layers"} <= \
                set(config):
            from ember.keras.saving.functional_config import functional_from_config
            return functional_from_config(
                config, custom_objects,
                cls=cls if isinstance(cls, type) and issubclass(cls, Functional) else None)
        from ember.keras.layers.layer import _accepted_config
        try:
            return cls(**_accepted_config(cls, config))
        except TypeError as e:
            raise TypeError(
                f"Unable to revive model {cls.__name__} from its config: {e}. A subclassed "
                f"model must define get_config() returning its constructor arguments (and "
                f"from_config() if they need converting).") from None

    # saving entry points (formats live in ember.keras.saving)
    def save(self, filepath, overwrite=True, **kwargs):
        from ember.keras.saving import saving_api
        return saving_api.save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True, **kwargs):
        from ember.keras.saving import saving_api
        return saving_api.save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        from ember.keras.saving import saving_api
        return saving_api.load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def _serving_specs(self, input_signature=None, relax_batch=False):
        if input_signature is not None:
            return list(input_signature)
        inputs = list(getattr(self, "inputs", None) or [])
        if inputs:
            specs = []
            for t in inputs:
                shape = t.shape
                if relax_batch and shape.rank:
                    shape = ember.TensorShape([None] + shape.as_list()[1:])
                specs.append(ember.TensorSpec(shape, t.dtype, name=getattr(t, "name", None)))
            return specs
        shape = getattr(self, "_build_input_shape", None)
        if shape is not None and _is_single_shape(shape):
            dims = shape.as_list() if isinstance(shape, ember.TensorShape) else list(shape)
            return [ember.TensorSpec([None] + list(dims[1:]), self._variable_dtype, name="inputs")]
        raise ValueError(f"Model {self.name} has no known input signature: call it on data, "
                         f"build it, or pass `input_signature=[ember.TensorSpec(...)]`.")

    def _default_serving_function(self, input_signature=None, for_export=False):
        """The model's inference call traced on its inputs' specs. As in TensorFlow:
        ``saved_model.save(model)`` names the signature's inputs after the call argument
        (``inputs``, ``inputs_1``, ...) and keeps the inputs' batch size;
        ``model.export`` (``for_export``)
        names them after the Keras inputs and leaves the batch size open."""
        specs = self._serving_specs(input_signature, relax_batch=for_export)
        if input_signature is None and not for_export:
            specs = [ember.TensorSpec(s.shape, s.dtype, name="inputs" if i == 0 else
                                      f"inputs_{i}") for i, s in enumerate(specs)]
        multi = len(specs) > 1

        def serve(*args):
            return self(list(args) if multi else args[0], training=False)
        return ember.function(serve, input_signature=specs)

    def export(self, filepath, format="tf_saved_model", verbose=True,  # noqa: A002
               input_signature=None, **kwargs):
        """Writes an inference-only SavedModel directory; ``ember.saved_model.load`` gives an
        object whose ``serve(x)`` (and its signatures ``serving_default`` and ``serve``, as
        Keras writes them: one function) run the model without its Python code."""
        if format != "tf_saved_model":
            raise ValueError(f"Unrecognized format={format!r}; ember exports "
                             f"format='tf_saved_model' only.")
        if kwargs:
            raise ValueError(f"export() got unsupported arguments {sorted(kwargs)}")
        from ember import saved_model
        serve = self._default_serving_function(input_signature, for_export=True)
        saved_model.save(self, filepath, signatures={"serving_default": serve, "serve": serve})
        if verbose:
            print(f"Saved artifact at '{filepath}'. The endpoint 'serve' takes the model's "
                  f"inputs and returns its outputs.")

    def to_json(self, **kwargs):
        import json
        from ember.keras.saving.serialization import serialize_keras_object
        return json.dumps(serialize_keras_object(self), **kwargs)


def _inject_functional(cls):
    """A subclass of Model built as ``Custom(inputs, outputs)`` is a functional model with
    the subclass's methods (its own ``train_step``, say), as in Keras: ``Model`` among its
    bases is replaced by ``Functional``, once."""
    from ember.keras.models.functional import Functional
    if issubclass(cls, Functional) or cls is Model or cls is object:
        return
    bases = []
    for base in cls.__bases__:
        if base is Model:
            bases.append(Functional)
        else:
            _inject_functional(base)
            bases.append(base)
    cls.__bases__ = tuple(bases)


def _functional_arguments(args, kwargs):
    return len(args) == 2 or (len(args) == 1 and "outputs" in kwargs) or \
        ("inputs" in kwargs and "outputs" in kwargs)


def _looks_functional(args, kwargs):
    return len(args) >= 2 or "outputs" in kwargs


def _is_single_shape(shape):
    return isinstance(shape, ember.TensorShape) or (
        isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int)
                                                 for d in shape))


def _specs_for_shapes(shape, dtype):
    """KerasTensors for a shape, or a list/dict of shapes."""
    from ember.keras.keras_tensor import KerasTensor
    if _is_single_shape(shape):
        dims = shape.as_list() if isinstance(shape, ember.TensorShape) else list(shape)
        return KerasTensor(tuple(dims), dtype)
    if isinstance(shape, dict):
        return {k: _specs_for_shapes(v, dtype) for k, v in shape.items()}
    return [_specs_for_shapes(s, dtype) for s in shape]
