"""compat.v1 queues in Sessions (FIFO, random shuffle, padding), QueueRunner threads with
a Coordinator, and a MonitoredSession reading from a queue until it runs out."""
import threading

import numpy as np
import pytest

import ember.compat.v1 as tf
from ember.framework.errors import CancelledError, InvalidArgumentError, OutOfRangeError
from tests.compat.test_v1 import graph_mode  # noqa: F401 - the TF1 graph fixture


def test_fifo_queue_order_many_size_and_close(graph_mode):
    q = tf.FIFOQueue(10, [tf.float32, tf.int32], shapes=[[2], []])
    x = tf.placeholder(tf.float32, [None, 2])
    i = tf.placeholder(tf.int32, [None])
    enq = q.enqueue_many([x, i])
    one = q.dequeue()
    many = q.dequeue_many(2)
    up_to = q.dequeue_up_to(5)
    assert many[0].shape.as_list() == [2, 2] and up_to[1].shape.as_list() == [None]
    with tf.Session() as sess:
        sess.run(enq, {x: np.arange(10, dtype=np.float32).reshape(5, 2), i: np.arange(5)})
        assert sess.run(q.size()) == 5
        xv, iv = sess.run(one)
        np.testing.assert_array_equal(xv, [0, 1])
        assert iv == 0
        xs, is_ = sess.run(many)
        np.testing.assert_array_equal(is_, [1, 2])
        np.testing.assert_array_equal(xs, [[2, 3], [4, 5]])
        sess.run(q.close())
        assert sess.run(q.is_closed())
        np.testing.assert_array_equal(sess.run(up_to)[1], [3, 4])   # fewer, after close
        with pytest.raises(OutOfRangeError, match="closed and has insufficient elements"):
            sess.run(one)
        with pytest.raises(CancelledError, match="is closed"):
            sess.run(enq, {x: np.zeros((1, 2)), i: [0]})
        with pytest.raises(InvalidArgumentError, match="does not match"):
            q2 = tf.FIFOQueue(2, tf.float32, shapes=[[3]])
            sess.run(q2.enqueue([tf.constant([1.0, 2.0])]))


def test_blocking_dequeue_meets_a_producer_thread(graph_mode):
    q = tf.FIFOQueue(2, tf.int32, shapes=[[]])      # capacity 2: the producer waits too
    v = tf.placeholder(tf.int32, [])
    enq, deq, close = q.enqueue(v), q.dequeue(), q.close()
    with tf.Session() as sess:
        def produce():
            for k in range(20):
                sess.run(enq, {v: k})
            sess.run(close)
        t = threading.Thread(target=produce)
        t.start()
        got = []
        with pytest.raises(OutOfRangeError):
            while True:
                got.append(int(sess.run(deq)))
        t.join(5)
    assert got == list(range(20))


def test_random_shuffle_queue_shuffles_and_keeps_min_after_dequeue(graph_mode):
    tf.set_random_seed(3)
    q = tf.RandomShuffleQueue(50, 5, tf.int32, shapes=[[]])
    enq = q.enqueue_many([tf.range(30)])
    deq = q.dequeue_many(25)
    rest = q.dequeue_up_to(30)
    with tf.Session() as sess:
        sess.run(enq)
        first = sess.run(deq)
        assert sess.run(q.size()) == 5                 # min_after_dequeue left behind
        sess.run(q.close())
        last = sess.run(rest)
    assert sorted(first.tolist() + last.tolist()) == list(range(30))
    assert first.tolist() != sorted(first.tolist())
    with pytest.raises(ValueError, match="min_after_dequeue"):
        tf.RandomShuffleQueue(5, 5, tf.int32)


def test_padding_fifo_queue_pads_a_batch(graph_mode):
    q = tf.PaddingFIFOQueue(5, [tf.int32], shapes=[[None]])
    v = tf.placeholder(tf.int32, [None])
    enq, deq = q.enqueue([v]), q.dequeue_many(3)
    with tf.Session() as sess:
        for row in ([1], [2, 3, 4], [5, 6]):
            sess.run(enq, {v: row})
        np.testing.assert_array_equal(sess.run(deq),
                                      [[1, 0, 0], [2, 3, 4], [5, 6, 0]])


def test_queue_runner_and_coordinator(graph_mode):
    q = tf.FIFOQueue(4, tf.float32, shapes=[[]])
    counter = tf.Variable(0.0, name="counter")
    enq = q.enqueue([counter.assign_add(1.0)])
    qr = tf.train.QueueRunner(q, [enq])
    tf.train.add_queue_runner(qr)
    deq = q.dequeue()
    with tf.Session() as sess:
        sess.run(counter.initializer)
        coord = tf.train.Coordinator()
        threads = tf.train.start_queue_runners(sess=sess, coord=coord)
        assert len(threads) == 2          # the enqueue thread and the one that cancels
        got = [float(sess.run(deq)) for _ in range(10)]
        coord.request_stop()
        coord.join(threads, stop_grace_period_secs=5)
    assert got == [float(k) for k in range(1, 11)]
    assert not any(t.is_alive() for t in threads)


def test_monitored_session_reads_a_queue_until_it_runs_out(graph_mode):
    """A queue runner moves a finite source into the training queue; when the source is
    exhausted the runner closes the queue, the loop's dequeue raises OutOfRangeError and
    the MonitoredSession ends cleanly (hooks' end() runs)."""
    data = np.arange(12, dtype=np.float32).reshape(6, 2)
    src = tf.FIFOQueue(10, tf.float32, shapes=[[2]])
    fill, close_src = src.enqueue_many([data]), src.close()
    q = tf.FIFOQueue(2, tf.float32, shapes=[[2]])
    tf.train.add_queue_runner(tf.train.QueueRunner(q, [q.enqueue([src.dequeue()])]))
    gs = tf.train.get_or_create_global_step()
    total = tf.Variable(0.0, name="total")
    step = tf.group(total.assign_add(tf.reduce_sum(q.dequeue())), gs.assign_add(1))
    with tf.Session() as sess:
        sess.run([fill, close_src])
    final = tf.train.FinalOpsHook([total, gs])
    n = 0
    with tf.train.MonitoredSession(hooks=[final]) as sess:
        while not sess.should_stop():
            sess.run(step)
            n += 1
    assert n == 6
    assert final.final_ops_values[0] == pytest.approx(data.sum())
    assert final.final_ops_values[1] == 6
