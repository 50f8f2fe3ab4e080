"""The upgrade scenario's verifier: see test_upgrade.py."""
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[3] / 'tests'))
# pylint: disable-next=wrong-import-position,unused-import
from stacktest import pytest_runtest_makereport  # noqa: E402,F401
