"""ember.test: the gradient checker and test helpers."""
from ember.engine.gradient_checker import compute_gradient, max_error  # noqa: F401


def is_gpu_available(cuda_only=False, min_cuda_compute_capability=None):
    return False


def is_built_with_cuda():
    return False


def gpu_device_name():
    return ""
