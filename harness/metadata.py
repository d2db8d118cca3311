"""Facts about the machine a result was measured on, collected by small collect_* functions."""
from __future__ import annotations

import os
import platform

import psutil


def collect_host() -> dict:
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_avg_1m": round(os.getloadavg()[0], 2),
    }


def collect_harness() -> dict:
    return {"python": platform.python_version(), "psutil": psutil.__version__}


def collect_all() -> dict:
    return {"host": collect_host(), "harness": collect_harness()}
