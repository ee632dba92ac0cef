"""tf.image.generate_bounding_box_proposals (TensorFlow has only a GPU kernel, so no
fixture: values computed by hand from the documented decoding)."""
import numpy as np
import pytest

import ember

ANCHORS = np.array([[0, 0, 20, 20], [0, 0, 10, 30], [10, 10, 30, 30], [5, 5, 25, 25]],
                   np.float32)      # one box per (h, w, anchor) of a 2 x 1 x 2 grid
INFO = np.array([[40, 40, 1, 0, 0]], np.float32)


def _inputs():
    scores = np.array([[[[0.9, 0.2]], [[0.5, 0.8]]]], np.float32)
    deltas = np.zeros((1, 2, 1, 8), np.float32)
    deltas[0, 0, 0, 4:] = [0.1, 0.0, 0.0, np.log(2.0)]     # anchor 1: dy, dx, dh, dw
    return scores, deltas


def test_decodes_clips_and_orders_by_score():
    scores, deltas = _inputs()
    rois, probs = ember.image.generate_bounding_box_proposals(
        scores, deltas, INFO, ANCHORS, min_size=1, post_nms_topn=5)
    # anchor 1 moves to centre (6, 15), size 10 x 60, clipped to x in [0, 40]
    np.testing.assert_allclose(rois.numpy()[0], [[0, 0, 20, 20], [5, 5, 25, 25],
                                                 [10, 10, 30, 30], [1, 0, 11, 40],
                                                 [0, 0, 0, 0]], atol=1e-5)
    np.testing.assert_allclose(probs.numpy()[0], [0.9, 0.8, 0.5, 0.2, 0.0])
    assert rois.shape == (1, 5, 4) and probs.shape == (1, 5)


def test_nms_min_size_and_top_n():
    scores, deltas = _inputs()
    # at threshold 0.3 the best box [0,0,20,20] suppresses [5,5,25,25] (IoU 225/575) and
    # [1,0,11,40] (IoU 200/600), not [10,10,30,30] (IoU 100/700)
    rois, probs = ember.image.generate_bounding_box_proposals(
        scores, deltas, INFO, ANCHORS, nms_threshold=0.3, min_size=1, post_nms_topn=4)
    np.testing.assert_allclose(probs.numpy()[0], [0.9, 0.5, 0.0, 0.0])
    # min_size 15 (times the image scale 1) drops the 10-pixel-high box
    _, probs = ember.image.generate_bounding_box_proposals(
        scores, deltas, INFO, ANCHORS, min_size=15, post_nms_topn=4)
    np.testing.assert_allclose(probs.numpy()[0], [0.9, 0.8, 0.5, 0.0])
    # only the 2 best-scored anchors enter
    _, probs = ember.image.generate_bounding_box_proposals(
        scores, deltas, INFO, ANCHORS, pre_nms_topn=2, min_size=1, post_nms_topn=3)
    np.testing.assert_allclose(probs.numpy()[0], [0.9, 0.8, 0.0])


def test_errors():
    scores, deltas = _inputs()
    with pytest.raises(ValueError, match="anchors"):
        ember.image.generate_bounding_box_proposals(scores, deltas, INFO, ANCHORS[:2])
    with pytest.raises(ValueError, match="nms_threshold"):
        ember.image.generate_bounding_box_proposals(scores, deltas, INFO, ANCHORS,
                                                    nms_threshold=1.5)
    with pytest.raises(ValueError, match="post_nms_topn"):
        ember.image.generate_bounding_box_proposals(scores, deltas, INFO, ANCHORS,
                                                    post_nms_topn=0)
