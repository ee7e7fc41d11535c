import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

HERE = Path(__file__).parent
# every report.json a test writes (in this process or in a `certify` subprocess) is validated against the
# shipped JSON Schema before it is written: a report that does not follow certify-report/2 fails its test
os.environ.setdefault("CERTIFY_VALIDATE_REPORTS", "1")
sys.path.insert(0, str(HERE / "demo"))

settings.register_profile("smoke", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
settings.load_profile("smoke")


@pytest.fixture(scope="session")
def demo_path():
    return str(HERE / "demo" / "known_truth.py")
