"""Headless Chromium for the browser tests: Debian's `chromium` and `chromium-driver`.

    binary, driver = ensure_chromium()   # installs them with apt-get when missing

The packages come from apt (the test machines run as root with Debian's repositories
reachable); the downloaded .deb files are kept in the repository's git-ignored `.cache/apt/`,
so a machine set up again installs from there. When the programs are missing and this
process cannot install them (not root, no apt-get), `ensure_chromium` raises
`BrowserUnavailable` with the reason, and the tests skip with it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

__all__ = ["BrowserUnavailable", "ensure_chromium"]

REPO = Path(__file__).resolve().parent.parent
APT_CACHE = REPO / ".cache" / "apt"
# a font, so that the screenshots show text (Chromium's own recommends are not installed)
PACKAGES = ["chromium", "chromium-driver", "fonts-dejavu-core"]
BINARY_NAMES = ("chromium", "chromium-browser")
DRIVER_NAMES = ("chromedriver",)


class BrowserUnavailable(RuntimeError):
    """Chromium or its driver is missing and cannot be installed here."""


def _find(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def _apt_get(*args: str) -> subprocess.CompletedProcess[str]:
    (APT_CACHE / "archives" / "partial").mkdir(parents=True, exist_ok=True)
    command = ["apt-get", "-q", "-y", "-o", f"Dir::Cache::Archives={APT_CACHE / 'archives'}", *args]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=600, check=False)


def _install() -> None:
    if shutil.which("apt-get") is None:
        raise BrowserUnavailable("Chromium is not installed and this machine has no apt-get to install it")
    if os.geteuid() != 0:
        raise BrowserUnavailable("Chromium is not installed and installing it with apt-get needs root")
    install = ("install", "--no-install-recommends", *PACKAGES)
    result = _apt_get(*install)
    if result.returncode != 0:
        # a fresh machine has no package lists yet, an old one may list removed versions
        update = _apt_get("update")
        if update.returncode != 0:
            raise BrowserUnavailable(f"apt-get update failed:\n{update.stdout[-2000:]}{update.stderr[-2000:]}")
        result = _apt_get(*install)
    if result.returncode != 0:
        raise BrowserUnavailable(f"apt-get install {' '.join(PACKAGES)} failed:\n{result.stderr[-3000:]}")


def ensure_chromium() -> tuple[str, str]:
    """The paths of the Chromium binary and of chromedriver, installing them first if needed."""
    binary, driver = _find(BINARY_NAMES), _find(DRIVER_NAMES)
    if binary is None or driver is None:
        _install()
        binary, driver = _find(BINARY_NAMES), _find(DRIVER_NAMES)
    if binary is None or driver is None:
        raise BrowserUnavailable("apt-get installed Chromium, but chromium or chromedriver is not on PATH")
    return binary, driver
