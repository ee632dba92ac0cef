"""tf.image box ops: non-max suppression (plain, with scores, soft, padded, overlaps,
combined), draw_bounding_boxes and generate_bounding_box_proposals."""
from __future__ import annotations

import heapq

import numpy as np

from ember.engine.dispatch import execute
from ember.framework import dtypes
from ember.framework.op import Op
from ember.framework.tensor_shape import TensorShape
from ember.ops import array_ops, math_ops
from ember.ops._base import tensor

__all__ = [
    "combined_non_max_suppression", "draw_bounding_boxes",
    "generate_bounding_box_proposals", "non_max_suppression",
    "non_max_suppression_overlaps", "non_max_suppression_padded",
    "non_max_suppression_with_scores",
]


def _iou(boxes, i, others):
    """IoU of box i with each box in ``others`` (corners in any order)."""
    b = boxes
    ymin = np.minimum(b[:, 0], b[:, 2])
    ymax = np.maximum(b[:, 0], b[:, 2])
    xmin = np.minimum(b[:, 1], b[:, 3])
    xmax = np.maximum(b[:, 1], b[:, 3])
    area = (ymax - ymin) * (xmax - xmin)
    o = np.asarray(others, np.int64)
    ih = np.maximum(np.minimum(ymax[i], ymax[o]) - np.maximum(ymin[i], ymin[o]), 0.0)
    iw = np.maximum(np.minimum(xmax[i], xmax[o]) - np.maximum(xmin[i], xmin[o]), 0.0)
    inter = ih * iw
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = inter / (area[i] + area[o] - inter)
    return np.where((area[i] <= 0) | (area[o] <= 0), 0.0, iou)


def greedy_nms(similarity, scores, max_out, threshold, score_threshold, sigma):
    """TensorFlow's greedy selection: the best remaining candidate is re-scored against
    the boxes chosen since it was last scored, newest first (dropped above ``threshold``,
    or, for soft-NMS, decayed by exp(-sim² / (2 sigma))) and chosen if its score did not
    change."""
    soft = sigma > 0
    scale = -0.5 / sigma if soft else 0.0
    heap = [(-float(s), i, float(s), 0) for i, s in enumerate(scores) if s > score_threshold]
    heapq.heapify(heap)
    chosen, chosen_scores = [], []
    while heap and len(chosen) < max_out:
        _, i, score, begin = heapq.heappop(heap)
        original, suppressed = score, False
        if begin < len(chosen):
            for sim in similarity(i, chosen[begin:])[::-1]:
                if not soft and sim > threshold:
                    suppressed = True
                    break
                score *= np.exp(scale * sim * sim)
                if score <= score_threshold:
                    break
        if suppressed:
            continue
        if score == original:
            chosen.append(i)
            chosen_scores.append(score)
        elif score > score_threshold:
            heapq.heappush(heap, (-score, i, score, len(chosen)))
    return chosen, chosen_scores


class _NonMaxSuppression(Op):
    """(boxes or overlaps, scores, max_output_size, threshold, score_threshold, sigma) ->
    (selected indices, their scores, count)."""

    name = "NonMaxSuppressionV5"
    differentiable = False
    data_dependent_shape = True
    num_outputs = 3

    def infer(self, inputs, pad_to_max_output_size, overlaps):
        b, s = inputs[0], inputs[1]
        if b.shape.rank is not None and b.shape.rank != 2:
            raise ValueError(f"{self.name}: boxes must be 2-dimensional, got shape {b.shape}")
        if not overlaps and b.shape.rank == 2 and b.shape[1] not in (None, 4):
            raise ValueError(f"{self.name}: boxes must have shape (num_boxes, 4), got "
                             f"{b.shape}")
        if s.shape.rank is not None and s.shape.rank != 1:
            raise ValueError(f"{self.name}: scores must be 1-dimensional, got shape {s.shape}")
        mv = inputs[2].value
        n = int(mv) if (pad_to_max_output_size and mv is not None) else None
        return [(TensorShape([n]), dtypes.int32), (TensorShape([n]), s.dtype),
                (TensorShape([]), dtypes.int32)]

    def kernel(self, xp, boxes, scores, max_out, threshold, score_threshold, sigma,
               pad_to_max_output_size, overlaps):
        if boxes.shape[0] != scores.shape[0]:
            raise ValueError(f"{self.name}: boxes and scores must have the same number of "
                             f"rows, got {boxes.shape[0]} and {scores.shape[0]}")
        max_out = int(max_out)
        if max_out < 0:
            raise ValueError(f"{self.name}: max_output_size must be >= 0, got {max_out}")
        if overlaps:
            sim = lambda i, others: boxes[i, np.asarray(others, np.int64)]  # noqa: E731
            thr = float(threshold)
        else:
            b = boxes.astype(np.float64)
            sim = lambda i, others: _iou(b, i, others)  # noqa: E731
            thr = float(threshold)
            if not 0.0 <= thr <= 1.0:
                raise ValueError(f"{self.name}: iou_threshold must be in [0, 1], got {thr}")
        chosen, chosen_scores = greedy_nms(sim, scores.astype(np.float64), max_out, thr,
                                           float(score_threshold), float(sigma))
        count = len(chosen)
        idx = np.array(chosen, np.int32)
        sc = np.array(chosen_scores, scores.dtype)
        if pad_to_max_output_size:
            idx = np.pad(idx, (0, max_out - count))
            sc = np.pad(sc, (0, max_out - count))
        return idx, sc, np.array(count, np.int32)


NON_MAX_SUPPRESSION = _NonMaxSuppression()


def _nms(boxes, scores, max_output_size, threshold, score_threshold, sigma, pad,
         overlaps, name):
    s = tensor(scores)
    args = (tensor(boxes), s, math_ops.cast(tensor(max_output_size), dtypes.int32),
            math_ops.cast(tensor(threshold), dtypes.float32),
            math_ops.cast(tensor(score_threshold), dtypes.float32),
            math_ops.cast(tensor(sigma), dtypes.float32))
    return execute(NON_MAX_SUPPRESSION, args,
                   {"pad_to_max_output_size": bool(pad), "overlaps": bool(overlaps)}, name)


def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5,
                        score_threshold=float("-inf"), name=None):
    """Indices (int32) of at most ``max_output_size`` boxes, greedily by score, skipping
    boxes whose IoU with a chosen one exceeds ``iou_threshold``."""
    return _nms(boxes, scores, max_output_size, iou_threshold, score_threshold, 0.0, False,
                False, name)[0]


def non_max_suppression_with_scores(boxes, scores, max_output_size, iou_threshold=0.5,
                                    score_threshold=float("-inf"), soft_nms_sigma=0.0,
                                    name=None):
    """(indices, scores); ``soft_nms_sigma`` > 0 decays overlapping scores by
    exp(-iou² / (2 sigma)) instead of removing them (Soft-NMS)."""
    idx, sc, _ = _nms(boxes, scores, max_output_size, iou_threshold, score_threshold,
                      soft_nms_sigma, False, False, name)
    return idx, sc


def non_max_suppression_overlaps(overlaps, scores, max_output_size, overlap_threshold=0.5,
                                 score_threshold=float("-inf"), name=None):
    """non_max_suppression with a precomputed (n, n) ``overlaps`` matrix."""
    return _nms(overlaps, scores, max_output_size, overlap_threshold, score_threshold, 0.0,
                False, True, name)[0]


def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5,
                               score_threshold=float("-inf"), pad_to_max_output_size=False,
                               name=None, sorted_input=False, canonicalized_coordinates=False,
                               tile_size=512):
    """(indices, valid count): with ``pad_to_max_output_size`` the indices are zero-padded
    to ``max_output_size``. Batched boxes (B, n, 4) give per-batch results."""
    b = tensor(boxes)
    if b.shape.rank == 3:
        outs = [_nms(b[i], tensor(scores)[i], max_output_size, iou_threshold,
                     score_threshold, 0.0, True, False, None)
                for i in range(b.shape[0])]
        return (array_ops.stack([o[0] for o in outs]), array_ops.stack([o[2] for o in outs]))
    idx, _, valid = _nms(b, scores, max_output_size, iou_threshold, score_threshold, 0.0,
                         pad_to_max_output_size, False, name)
    return idx, valid


def combined_non_max_suppression(boxes, scores, max_output_size_per_class,
                                 max_total_size, iou_threshold=0.5,
                                 score_threshold=float("-inf"), pad_per_class=False,
                                 clip_boxes=True, name=None):
    """Per-class NMS over a batch: boxes (B, n, q, 4) (q = 1 or num_classes), scores
    (B, n, num_classes) -> (nmsed_boxes, nmsed_scores, nmsed_classes, valid_detections),
    the best ``max_total_size`` per image, zero-padded."""
    b = np.asarray(tensor(boxes))
    s = np.asarray(tensor(scores))
    if b.ndim != 4 or s.ndim != 3:
        raise ValueError(f"combined_non_max_suppression: boxes must be (B, n, q, 4) and "
                         f"scores (B, n, classes), got {b.shape} and {s.shape}")
    total = int(max_total_size)
    if pad_per_class:
        total = min(total, int(max_output_size_per_class) * s.shape[2])
    out_b = np.zeros((b.shape[0], total, 4), np.float32)
    out_s = np.zeros((b.shape[0], total), np.float32)
    out_c = np.zeros((b.shape[0], total), np.float32)
    valid = np.zeros((b.shape[0],), np.int32)
    for n in range(b.shape[0]):
        found = []
        for c in range(s.shape[2]):
            bc = b[n, :, c if b.shape[2] > 1 else 0].astype(np.float64)
            chosen, sc = greedy_nms(lambda i, o: _iou(bc, i, o), s[n, :, c].astype(np.float64),
                                    int(max_output_size_per_class), float(iou_threshold),
                                    float(score_threshold), 0.0)
            found += [(-score, c, i, bc[i]) for i, score in zip(chosen, sc)]
        found.sort(key=lambda t: (t[0], t[1]))
        found = found[:total]
        valid[n] = len(found)
        for k, (neg, c, _, box) in enumerate(found):
            out_b[n, k] = np.clip(box, 0.0, 1.0) if clip_boxes else box
            out_s[n, k], out_c[n, k] = -neg, c
    return (tensor(out_b), tensor(out_s), tensor(out_c), tensor(valid))


class _DrawBoundingBoxes(Op):
    """images (N, H, W, C), boxes (N, k, 4), colors (m, >=C) -> images with box outlines."""

    name = "DrawBoundingBoxesV2"
    differentiable = False

    def infer(self, inputs):
        x, b, _ = inputs
        if x.shape.rank is not None and x.shape.rank != 4:
            raise ValueError(f"{self.name}: images must be 4-dimensional, got {x.shape}")
        if b.shape.rank is not None and (b.shape.rank != 3 or b.shape[2] not in (None, 4)):
            raise ValueError(f"{self.name}: boxes must be (batch, num_boxes, 4), got {b.shape}")
        return x.shape, x.dtype

    def kernel(self, xp, images, boxes, colors):
        out = images.copy()
        n, h, w, c = images.shape
        colors = colors.reshape(-1, colors.shape[-1])[:, :c].astype(images.dtype)
        for i in range(n):
            for k, box in enumerate(boxes[i]):
                color = colors[k % len(colors)]
                r0, r1 = int(np.float32(box[0]) * (h - 1)), int(np.float32(box[2]) * (h - 1))
                c0, c1 = int(np.float32(box[1]) * (w - 1)), int(np.float32(box[3]) * (w - 1))
                if r0 > r1 or c0 > c1 or r0 >= h or r1 < 0 or c0 >= w or c1 < 0:
                    continue
                rs, re = max(r0, 0), min(r1, h - 1) + 1
                cs, ce = max(c0, 0), min(c1, w - 1) + 1
                if r0 >= 0:
                    out[i, r0, cs:ce] = color
                if r1 < h:
                    out[i, r1, cs:ce] = color
                if c0 >= 0:
                    out[i, rs:re, c0] = color
                if c1 < w:
                    out[i, rs:re, c1] = color
        return out


DRAW_BOUNDING_BOXES = _DrawBoundingBoxes()
_DEFAULT_COLORS = np.array([[1, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 0, 1],
                            [0.5, 0, 0.5, 1], [0.5, 0.5, 0, 1], [0.5, 0, 0, 1],
                            [0, 0, 0.5, 1], [0, 1, 1, 1], [1, 0, 1, 1]], np.float32)


def draw_bounding_boxes(images, boxes, colors, name=None):
    """Draws one-pixel outlines of ``boxes`` (normalised [y1, x1, y2, x2]) on ``images``,
    box k in ``colors[k % len(colors)]``."""
    x = tensor(images)
    if not x.dtype.is_floating:
        raise TypeError(f"draw_bounding_boxes: images must be float, got {x.dtype.name}")
    cols = _DEFAULT_COLORS if colors is None else colors
    return execute(DRAW_BOUNDING_BOXES, (x, math_ops.cast(tensor(boxes), dtypes.float32),
                                         math_ops.cast(tensor(cols), dtypes.float32)), {}, name)




_BBOX_XFORM_CLIP = float(np.log(1000.0 / 16.0))


class _GenerateBoundingBoxProposals(Op):
    """Region proposals (TensorFlow's GenerateBoundingBoxProposals): per image, the
    ``pre_nms_topn`` best-scored anchors are moved by their deltas, clipped to the image,
    kept when both sides reach ``min_size`` times the image scale, thinned by NMS and the
    first ``post_nms_topn`` returned (zero padded)."""

    name = "GenerateBoundingBoxProposals"
    num_outputs = 2
    differentiable = False

    def infer(self, inputs, post_nms_topn):
        scores = inputs[0]
        n = scores.shape[0] if scores.shape.rank == 4 else None
        return [(TensorShape([n, post_nms_topn, 4]), dtypes.float32),
                (TensorShape([n, post_nms_topn]), dtypes.float32)]

    def kernel(self, xp, scores, deltas, info, anchors, nms_threshold, pre_nms_topn,
               min_size, post_nms_topn):
        op = self.name
        if scores.ndim != 4:
            raise ValueError(f"{op}: scores must be [num_images, height, width, "
                             f"num_anchors], got shape {scores.shape}")
        n, h, w, a = scores.shape
        if deltas.shape != (n, h, w, 4 * a):
            raise ValueError(f"{op}: bbox_deltas must have shape {(n, h, w, 4 * a)}, got "
                             f"{deltas.shape}")
        if info.shape != (n, 5):
            raise ValueError(f"{op}: image_info must have shape {(n, 5)}, got {info.shape}")
        if anchors.size != h * w * a * 4:
            raise ValueError(f"{op}: anchors must hold one box per position and anchor "
                             f"({h * w * a} boxes of 4 coordinates), got shape "
                             f"{anchors.shape}")
        thr, top = float(nms_threshold), int(pre_nms_topn)
        if not 0.0 <= thr <= 1.0:
            raise ValueError(f"{op}: nms_threshold should be between 0 and 1, got {thr}")
        if top <= 0:
            raise ValueError(f"{op}: pre_nms_topn should be greater than 0, got {top}")
        anchors = anchors.reshape(-1, 4).astype(np.float32)
        rois = np.zeros((n, post_nms_topn, 4), np.float32)
        probs = np.zeros((n, post_nms_topn), np.float32)
        for i in range(n):
            s = scores[i].reshape(-1).astype(np.float32)
            order = np.argsort(-s, kind="stable")[:min(len(s), top)]
            d = deltas[i].reshape(-1, 4).astype(np.float32)[order]
            anc = anchors[order]
            dy, dx = d[:, 0], d[:, 1]
            dh = np.minimum(d[:, 2], _BBOX_XFORM_CLIP)
            dw = np.minimum(d[:, 3], _BBOX_XFORM_CLIP)
            bh, bw = anc[:, 2] - anc[:, 0], anc[:, 3] - anc[:, 1]
            cy = anc[:, 0] + 0.5 * bh + bh * dy
            cx = anc[:, 1] + 0.5 * bw + bw * dx
            ph, pw = bh * np.exp(dh), bw * np.exp(dw)
            img_h, img_w, scale = (float(v) for v in info[i, :3])
            y1 = np.clip(cy - 0.5 * ph, 0.0, img_h)
            y2 = np.clip(cy + 0.5 * ph, 0.0, img_h)
            x1 = np.clip(cx - 0.5 * pw, 0.0, img_w)
            x2 = np.clip(cx + 0.5 * pw, 0.0, img_w)
            keep = np.minimum(x2 - x1, y2 - y1) >= float(min_size) * scale
            boxes = np.stack([y1, x1, y2, x2], 1)[keep].astype(np.float64)
            kept_scores = s[order][keep]
            chosen, _ = greedy_nms(lambda j, others: _iou(boxes, j, others),
                                   kept_scores.astype(np.float64), post_nms_topn, thr,
                                   float("-inf"), 0.0)
            chosen = np.asarray(chosen, np.int64)
            rois[i, :len(chosen)] = boxes[chosen]
            probs[i, :len(chosen)] = kept_scores[chosen]
        return rois, probs


GENERATE_BOUNDING_BOX_PROPOSALS = _GenerateBoundingBoxProposals()


def generate_bounding_box_proposals(scores, bbox_deltas, image_info, anchors,
                                    nms_threshold=0.7, pre_nms_topn=6000, min_size=16,
                                    post_nms_topn=300, name=None):
    """Region proposals from anchor scores ([N, H, W, A]) and box deltas ([N, H, W, 4A]
    as dy, dx, dh, dw per anchor) for images ``image_info`` ([N, 5]: height, width,
    scale, ...), with one anchor box (y1, x1, y2, x2) per position and anchor
    (``anchors`` holding H*W*A boxes, as TensorFlow's kernel reads them). Returns
    (rois [N, post_nms_topn, 4] as y1, x1, y2, x2; their scores [N, post_nms_topn]),
    best first, zero padded."""
    if int(post_nms_topn) <= 0:
        raise ValueError(f"generate_bounding_box_proposals: post_nms_topn can't be 0 or "
                         f"less, got {post_nms_topn}")
    args = (math_ops.cast(tensor(scores), dtypes.float32),
            math_ops.cast(tensor(bbox_deltas), dtypes.float32),
            math_ops.cast(tensor(image_info), dtypes.float32),
            math_ops.cast(tensor(anchors), dtypes.float32),
            math_ops.cast(tensor(nms_threshold), dtypes.float32),
            math_ops.cast(tensor(pre_nms_topn), dtypes.int32),
            math_ops.cast(tensor(min_size), dtypes.float32))
    return tuple(execute(GENERATE_BOUNDING_BOX_PROPOSALS, args,
                         {"post_nms_topn": int(post_nms_topn)}, name))
