"""sample_distorted_bounding_box and its stateless version: a random crop window that
covers enough of an object box, as TensorFlow's SampleDistortedBoundingBoxV2 (the draws
come from ember's seeds, so the windows differ from TensorFlow's)."""
from __future__ import annotations

import numpy as np

from ember.engine.dispatch import execute
from ember.framework import dtypes
from ember.framework.op import Op
from ember.framework.tensor_shape import TensorShape
from ember.ops import math_ops, random_ops
from ember.ops._base import tensor

__all__ = ["sample_distorted_bounding_box", "stateless_sample_distorted_bounding_box"]


def _window(rng, h, w, box, min_covered, aspect_range, area_range, attempts):
    """(top, left, height, width) of a window covering >= min_covered of ``box``
    (normalised y1, x1, y2, x2), or None."""
    by1, bx1, by2, bx2 = box[0] * h, box[1] * w, box[2] * h, box[3] * w
    box_area = max((by2 - by1) * (bx2 - bx1), 0.0)
    for _ in range(attempts):
        aspect = rng.uniform(*aspect_range)
        area = rng.uniform(*area_range) * h * w
        ch = int(round(np.sqrt(area / aspect)))
        cw = int(round(ch * aspect))
        if not (0 < ch <= h and 0 < cw <= w):
            continue
        top, left = int(rng.integers(0, h - ch + 1)), int(rng.integers(0, w - cw + 1))
        ih = max(min(top + ch, by2) - max(top, by1), 0.0)
        iw = max(min(left + cw, bx2) - max(left, bx1), 0.0)
        covered = ih * iw / box_area if box_area > 0 else 0.0
        if covered >= min_covered:
            return top, left, ch, cw
    return None


class _SampleDistortedBoundingBox(Op):
    """(image_size [3], boxes (B, N, 4), seed [2], min_object_covered) ->
    (begin [3], size [3], box (1, 1, 4))."""

    name = "StatelessSampleDistortedBoundingBox"
    differentiable = False
    num_outputs = 3

    def infer(self, inputs, **attrs):
        size = inputs[0]
        return [(TensorShape([3]), size.dtype), (TensorShape([3]), size.dtype),
                (TensorShape([1, 1, 4]), dtypes.float32)]

    def kernel(self, xp, image_size, boxes, seed, min_covered, aspect_ratio_range,
               area_range, max_attempts, use_image_if_no_bounding_boxes):
        h, w = int(image_size[0]), int(image_size[1])
        if h <= 0 or w <= 0:
            raise ValueError(f"{self.name}: image height and width must be positive, got "
                             f"{image_size.tolist()}")
        flat = boxes.reshape(-1, 4).astype(np.float64)
        if not len(flat):
            if not use_image_if_no_bounding_boxes:
                raise ValueError(f"{self.name}: no bounding boxes were given; pass "
                                 f"use_image_if_no_bounding_boxes=True to use the image")
            flat = np.array([[0.0, 0.0, 1.0, 1.0]])
        rng = np.random.default_rng([int(s) & 0xFFFFFFFF for s in seed.reshape(-1)])
        box = flat[rng.integers(0, len(flat))]
        found = _window(rng, h, w, box, float(min_covered), aspect_ratio_range, area_range,
                        max_attempts)
        top, left, ch, cw = found if found else (0, 0, h, w)
        dt = image_size.dtype
        begin = np.array([top, left, 0], dt)
        size = np.array([ch, cw, -1], dt)
        out = np.array([[[top / h, left / w, (top + ch) / h, (left + cw) / w]]], np.float32)
        return begin, size, out


SAMPLE_DISTORTED_BOUNDING_BOX = _SampleDistortedBoundingBox()


def stateless_sample_distorted_bounding_box(image_size, bounding_boxes, seed,
                                            min_object_covered=0.1,
                                            aspect_ratio_range=None, area_range=None,
                                            max_attempts=None,
                                            use_image_if_no_bounding_boxes=None, name=None):
    """A random window (begin, size, box) of an image of ``image_size`` (H, W, C) that has
    an aspect ratio in ``aspect_ratio_range``, an area fraction in ``area_range`` and covers
    at least ``min_object_covered`` of one of ``bounding_boxes`` (B, N, 4); the whole image
    when ``max_attempts`` draws fail. A pure function of ``seed``."""
    ar = tuple(float(v) for v in (aspect_ratio_range or (0.75, 1.33)))
    area = tuple(float(v) for v in (area_range or (0.05, 1.0)))
    if ar[0] <= 0 or ar[0] > ar[1] or not 0 < area[0] <= area[1] <= 1:
        raise ValueError(f"sample_distorted_bounding_box: need 0 < aspect_ratio_range[0] <= "
                         f"[1] and 0 < area_range[0] <= [1] <= 1, got {ar} and {area}")
    size = tensor(image_size)
    attrs = {"aspect_ratio_range": ar, "area_range": area,
             "max_attempts": int(max_attempts or 100),
             "use_image_if_no_bounding_boxes": bool(use_image_if_no_bounding_boxes)}
    return execute(SAMPLE_DISTORTED_BOUNDING_BOX,
                   (size, math_ops.cast(tensor(bounding_boxes), dtypes.float32),
                    math_ops.cast(tensor(seed), dtypes.int64),
                    math_ops.cast(tensor(min_object_covered), dtypes.float32)), attrs, name)


def sample_distorted_bounding_box(image_size, bounding_boxes, seed=None,
                                  min_object_covered=0.1, aspect_ratio_range=None,
                                  area_range=None, max_attempts=None,
                                  use_image_if_no_bounding_boxes=None, name=None):
    """As stateless_sample_distorted_bounding_box, drawing through ember's random seeds."""
    s = random_ops.uniform([2], 0, 2 ** 31 - 1, dtypes.int64, seed=seed)
    return stateless_sample_distorted_bounding_box(
        image_size, bounding_boxes, s, min_object_covered, aspect_ratio_range, area_range,
        max_attempts, use_image_if_no_bounding_boxes, name)
