import pytest

import ember as tf


@pytest.fixture
def two_cpus():
    """The CPU split into two logical devices for the test (restored after)."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    before = tf.config.get_logical_device_configuration(cpu)
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    yield ["/cpu:0", "/cpu:1"]
    tf.config.set_logical_device_configuration(cpu, before)
