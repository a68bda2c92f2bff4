"""The package's public surface is pinned, so a change to it is a deliberate one."""

from __future__ import annotations

import importlib
import pkgutil

import ingest


def test_package_surface():
    """`ingest` exports exactly the documented names, and each resolves."""
    assert sorted(ingest.__all__) == ["Config", "RunReport", "load_config", "run"]
    for name in ingest.__all__:
        assert getattr(ingest, name) is not None


def test_every_module_declares_all():
    """Every module says what it exports."""
    for info in pkgutil.walk_packages(ingest.__path__, "ingest."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        assert hasattr(module, "__all__"), info.name
