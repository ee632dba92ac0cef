import numpy as np
import pytest

from ember.framework.context import context, settings


@pytest.fixture(autouse=True)
def _strict_ops():
    """Every eager op run by a test also checks its own shape/dtype inference."""
    settings.check_infer = True
    yield
    settings.check_infer = False
    assert not context.tapes, "a test left a GradientTape recording"


@pytest.fixture
def rng():
    return np.random.default_rng(0)
