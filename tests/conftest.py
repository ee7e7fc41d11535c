import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE / "demo"))

settings.register_profile("smoke", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
settings.load_profile("smoke")


@pytest.fixture(scope="session")
def demo_path():
    return str(HERE / "demo" / "known_truth.py")
