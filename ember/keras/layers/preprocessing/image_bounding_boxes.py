"""MaxNumBoundingBoxes (Keras 3): pads or truncates the bounding boxes of a
``{"images", "bounding_boxes": {"boxes", "labels"}}`` batch to ``max_number`` per image."""
from __future__ import annotations

import ember
from ember.keras.layers.layer import Layer

__all__ = ["MaxNumBoundingBoxes"]


class MaxNumBoundingBoxes(Layer):
    """Keeps the first ``max_number`` boxes (N, M, 4) and labels (N, M) of each image and
    pads shorter lists with ``fill_value``; images and other entries pass unchanged.

    >>> layer = MaxNumBoundingBoxes(max_number=2, bounding_box_format="xyxy")
    >>> out = layer({"images": ember.zeros([1, 4, 4, 3]),
    ...              "bounding_boxes": {"boxes": [[[0., 0., 1., 1.]]], "labels": [[3]]}})
    >>> out["bounding_boxes"]["labels"].numpy().tolist()
    [[3, -1]]
    """

    _FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
                "rel_xywh", "rel_center_xywh")

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        if bounding_box_format is not None and bounding_box_format not in self._FORMATS:
            raise ValueError(f"MaxNumBoundingBoxes: unknown `bounding_box_format` "
                             f"{bounding_box_format!r}; expected one of {self._FORMATS}")
        self.bounding_box_format = bounding_box_format
        self.max_number, self.fill_value = int(max_number), int(fill_value)
        if self.max_number < 1:
            raise ValueError(f"MaxNumBoundingBoxes: `max_number` must be >= 1. Received: "
                             f"max_number={max_number}")

    def _fit(self, x, rank):
        x = ember.convert_to_tensor(x)
        if x.shape.rank != rank:
            what = "boxes (N, M, 4)" if rank == 3 else "labels (N, M)"
            raise ValueError(f"MaxNumBoundingBoxes: expected {what}, got shape {x.shape}")
        x = x[:, :self.max_number]
        pad = ember.maximum(self.max_number - ember.shape(x)[1], 0)
        rows = [ember.zeros([1, 2], "int32"), ember.reshape(ember.stack([0, pad]), [1, 2])]
        paddings = ember.concat(rows + [ember.zeros([rank - 2, 2], "int32")], 0)
        out = ember.pad(x, paddings, constant_values=ember.cast(self.fill_value, x.dtype))
        return ember.ensure_shape(out, [x.shape[0], self.max_number] + x.shape.as_list()[2:])

    def call(self, inputs):
        if not isinstance(inputs, dict) or "bounding_boxes" not in inputs:
            return inputs
        if self.bounding_box_format is None:
            raise ValueError("MaxNumBoundingBoxes: you passed an input with a "
                             "'bounding_boxes' key, but you didn't specify a bounding box "
                             "format. Pass a `bounding_box_format` argument to the layer, "
                             "e.g. `bounding_box_format='xyxy'`.")
        boxes = dict(inputs["bounding_boxes"])
        extra = set(boxes) - {"boxes", "labels"}
        if extra:
            raise KeyError(f"MaxNumBoundingBoxes: there are unsupported keys in "
                           f"`bounding_boxes`: {sorted(extra)}. Only `boxes` and `labels` "
                           f"are supported.")
        boxes["boxes"] = self._fit(boxes["boxes"], 3)
        boxes["labels"] = self._fit(boxes["labels"], 2)
        out = dict(inputs)
        out["bounding_boxes"] = boxes
        return out

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict) and "bounding_boxes" in input_shape:
            shapes = dict(input_shape["bounding_boxes"])
            shapes["boxes"] = (shapes["boxes"][0], self.max_number) + tuple(shapes["boxes"][2:])
            shapes["labels"] = (shapes["labels"][0], self.max_number)
            input_shape = dict(input_shape, bounding_boxes=shapes)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"max_number": self.max_number, "fill_value": self.fill_value,
                       "bounding_box_format": self.bounding_box_format})
        return config
