"""The desktop suite: one Xvfb + tray host per test session, a fresh app (and home) per test.

Skipped -- with one line saying why and what to install -- when Xvfb, trayer, xdotool or
Qt's xcb libraries are not there (``.ci/run`` installs them)."""
from __future__ import annotations

import pytest

from tests.desktop import harness


def pytest_collection_modifyitems(config, items):
    missing = harness.missing_tools()
    if not missing:
        return
    skip = pytest.mark.skip(reason=f"no real display for the desktop tests: apt-get install {' '.join(missing)}")
    for item in items:
        if "desktop" in item.path.parts:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def screen(tmp_path_factory):
    made = harness.Screen(tmp_path_factory.mktemp("xvfb"))
    yield made
    made.close()


@pytest.fixture
def launch(screen, tmp_path):
    apps = []

    def start(registry, *args: str) -> harness.App:
        app = harness.App(screen, tmp_path / f"home{len(apps)}", registry, *args)
        apps.append(app)
        return app

    yield start
    for app in apps:
        app.close()
