"""tf.config devices and settings, tf.device scopes, run_functions_eagerly (names and
behaviour as TensorFlow 2.21 reports on a CPU-only machine)."""
import pytest

import ember as tf

c = tf.config


@pytest.fixture(autouse=True)
def _restore():
    soft = c.get_soft_device_placement()
    yield
    c.set_soft_device_placement(soft)
    c.set_logical_device_configuration(c.list_physical_devices("CPU")[0], None)
    c.run_functions_eagerly(False)


def test_list_devices():
    (cpu,) = c.list_physical_devices()
    assert repr(cpu) == "PhysicalDevice(name='/physical_device:CPU:0', device_type='CPU')"
    assert cpu.name == "/physical_device:CPU:0" and cpu.device_type == "CPU"
    assert c.list_physical_devices("GPU") == []
    assert c.list_physical_devices("cpu") == [cpu]
    assert repr(c.list_logical_devices("CPU")) == \
        "[LogicalDevice(name='/device:CPU:0', device_type='CPU')]"
    assert c.get_visible_devices() == [cpu]
    assert c.experimental.list_physical_devices() == [cpu]


def test_visible_devices_and_logical_split():
    cpu = c.list_physical_devices("CPU")[0]
    c.set_visible_devices([cpu])
    with pytest.raises(ValueError, match="cannot be hidden"):
        c.set_visible_devices([], "CPU")
    assert c.get_logical_device_configuration(cpu) is None
    c.set_logical_device_configuration(cpu, [c.LogicalDeviceConfiguration(),
                                             c.LogicalDeviceConfiguration()])
    assert [d.name for d in c.list_logical_devices("CPU")] == ["/device:CPU:0",
                                                               "/device:CPU:1"]
    assert len(c.get_logical_device_configuration(cpu)) == 2
    with tf.device("/CPU:1"):
        assert float(tf.constant(2.0) * 2) == 4.0


def test_memory_and_experimental_settings():
    cpu = c.list_physical_devices("CPU")[0]
    with pytest.raises(ValueError, match="non-GPU"):
        c.experimental.set_memory_growth(cpu, True)
    for gpu in c.list_physical_devices("GPU"):       # the usual loop does nothing
        c.experimental.set_memory_growth(gpu, True)
    assert c.experimental.get_memory_info("CPU:0") == {"current": 0, "peak": 0}
    with pytest.raises(ValueError, match="No matching devices"):
        c.experimental.get_memory_info("GPU:0")
    assert c.experimental.get_device_details(cpu) == {}
    c.experimental.enable_op_determinism()
    assert c.experimental.get_device_policy() == "silent"
    with pytest.raises(ValueError):
        c.experimental.set_device_policy("sometimes")
    assert c.experimental.tensor_float_32_execution_enabled() is True
    assert c.optimizer.get_jit() == ""
    c.optimizer.set_experimental_options({"constant_folding": False})
    assert c.optimizer.get_experimental_options()["constant_folding"] is False
    c.threading.set_inter_op_parallelism_threads(2)
    assert c.threading.get_inter_op_parallelism_threads() == 2
    c.threading.set_inter_op_parallelism_threads(0)


def test_device_scopes_and_soft_placement():
    assert c.get_soft_device_placement() is True
    for name in ("/CPU:0", "cpu", "/device:CPU:0", "/job:localhost/replica:0/task:0/device:CPU:0",
                 "/GPU:0", "GPU:1", "", None):
        with tf.device(name):
            y = tf.constant([1.0, 2.0]) + 1.0
        assert y.device.endswith("CPU:0")
    with pytest.raises(ValueError, match="Unknown attribute 'XPU'"):
        with tf.device("/XPU:0"):
            pass
    c.set_soft_device_placement(False)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Could not satisfy"):
        with tf.device("/GPU:0"):
            pass
    with tf.device("/CPU:0"):
        pass

    @tf.function
    def f(x):
        with tf.device("/GPU:0" if c.get_soft_device_placement() else "/CPU:0"):
            return x * 3.0
    assert float(f(tf.constant(2.0))) == 6.0


def test_device_spec():
    spec = tf.DeviceSpec.from_string("/job:worker/replica:0/task:1/device:GPU:2")
    assert (spec.job, spec.replica, spec.task, spec.device_type, spec.device_index) == \
        ("worker", 0, 1, "GPU", 2)
    assert spec.to_string() == "/job:worker/replica:0/task:1/device:GPU:2"
    merged = spec.make_merged_spec(tf.DeviceSpec(device_type="CPU", device_index=0))
    assert merged.to_string() == "/job:worker/replica:0/task:1/device:CPU:0"


def test_run_functions_eagerly():
    seen = []

    @tf.function
    def f(x):
        seen.append(tf.executing_eagerly())
        return x + 1

    f(tf.constant(1))
    c.run_functions_eagerly(True)
    assert c.functions_run_eagerly()
    assert int(f(tf.constant(1))) == 2
    c.run_functions_eagerly(False)
    assert not c.functions_run_eagerly()
    assert seen == [False, True]
