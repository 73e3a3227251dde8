"""jobs/reaper.py in-process: when the driver dies, what it recorded under its roots is ended."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import psutil

from jobs.reaper import watch

SLEEPER = [sys.executable, "-c", "import subprocess, sys, time; "
           "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); time.sleep(60)"]


def test_the_roots_and_their_children_end_when_the_driver_dies():
    driver = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    root = subprocess.Popen(SLEEPER)  # stands for the raylet: it has a child of its own
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        deadline = time.monotonic() + 30
        while not psutil.Process(root.pid).children() and time.monotonic() < deadline:
            time.sleep(0.05)
        grandchild = psutil.Process(root.pid).children()[0]
        done = threading.Event()
        t = threading.Thread(target=lambda: (watch(driver.pid, [root.pid], every=0.05, grace=5), done.set()))
        t.start()
        assert not done.wait(0.5), "the reaper must wait while the driver lives"
        driver.kill()
        driver.wait()
        assert done.wait(30)
        assert root.wait(10) is not None
        assert not grandchild.is_running() or grandchild.status() == psutil.STATUS_ZOMBIE
        assert unrelated.poll() is None, "never touches what it did not record"
    finally:
        for p in (driver, root, unrelated):
            if p.poll() is None:
                p.kill()
