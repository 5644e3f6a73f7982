"""Fixtures for the Python suite: the generated `homevisit` module and a relay on loopback.

bindings/python/test sets HOMEVISIT_PY_BINDINGS (the directory holding the generated homevisit.py
and libhomevisit_ffi.so, which the generated code loads from its own directory) and HOMEVISIT_RELAY
(the relay binary); the defaults are where that script puts them.
"""

import gc
import os
import sys
from pathlib import Path

import pytest

from relay import ROOT, Relay

BINDINGS = Path(os.environ.get("HOMEVISIT_PY_BINDINGS", ROOT / "target" / "bindings" / "python"))
sys.path.insert(0, str(BINDINGS))


@pytest.fixture
def relay(tmp_path):
    r = Relay(tmp_path / "relay", tmp_path / "relay.log")
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture(autouse=True)
def release_objects():
    """After each test, free what it left (apps stop their background sync when freed)."""
    yield
    gc.collect()
