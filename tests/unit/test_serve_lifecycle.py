"""`matrix serve` lifecycle pieces without Ray: state file, stale pids, signal flag, CLI wiring."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psutil

from matrix.cli import main
from matrix.commands import lifecycle


def test_status_and_stop_when_nothing_runs(settings, capsys):
    assert lifecycle.status(settings) == (lifecycle.NOT_RUNNING, {"running": False,
                                                                  "state_file": str(lifecycle.state_path(settings))})
    assert main(["serve", "status"]) == lifecycle.NOT_RUNNING
    assert main(["serve", "stop"]) == 0
    assert "not running" in capsys.readouterr().out


def test_a_stale_state_file_never_signals_a_recycled_pid(settings, capsys):
    """Same pid, different start time (a recycled pid): not ours, never signalled."""
    path = lifecycle.state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    me = psutil.Process()
    path.write_text(json.dumps({"pid": me.pid, "create_time": me.create_time() - 3600, "url": "http://127.0.0.1:1"}))
    code, report = lifecycle.status(settings)
    assert code == lifecycle.NOT_RUNNING and not report["running"]
    assert lifecycle.stop(settings, print) == 0  # would SIGTERM this test process if it trusted the pid
    assert not path.exists(), "a stale state file is cleared"


def test_stop_terminates_the_recorded_process_and_waits(settings, capsys):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        path = lifecycle.state_path(settings)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"pid": child.pid, "create_time": psutil.Process(child.pid).create_time(),
                                    "url": "http://127.0.0.1:9", "started_at": "now", "log": "x"}))
        code, report = lifecycle.status(settings)
        assert code == 0 and report["running"] and report["healthy"] is False
        assert lifecycle.stop(settings, print, timeout_s=30) == 0
        child.wait(5)  # already reaped by stop()'s wait: only "it is gone" is observable here
        assert not psutil.pid_exists(child.pid)
        assert not path.exists()
    finally:
        if child.poll() is None:
            child.kill()


def test_stop_flag_turns_sigterm_and_an_ignored_sigint_into_a_flag():
    saved = {s: signal.getsignal(s) for s in lifecycle.STOP_SIGNALS}
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # how a shell starts a background job
        flag = lifecycle.StopFlag()
        flag.install()
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 10
        while not flag.event.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert flag.wait() == "SIGINT"
        flag.event.clear()
        os.kill(os.getpid(), signal.SIGTERM)
        assert flag.event.wait(10) and flag.signal_name == "SIGTERM"
    finally:
        for s, h in saved.items():
            signal.signal(s, h)


def test_serve_until_stopped_stops_cleanly_on_sigterm(settings, monkeypatch):
    calls = []
    monkeypatch.setattr(lifecycle, "shutdown_service", lambda: calls.append("shutdown"))
    saved = {s: signal.getsignal(s) for s in lifecycle.STOP_SIGNALS}
    said: list[str] = []

    def start() -> str:
        signal.setitimer(signal.ITIMER_REAL, 0.3)  # SIGTERM arrives while serving
        return "http://127.0.0.1:9"

    prev_alarm = signal.signal(signal.SIGALRM, lambda *a: os.kill(os.getpid(), signal.SIGTERM))
    try:
        assert lifecycle.serve_until_stopped(settings, start, said.append) == 0
    finally:
        signal.signal(signal.SIGALRM, prev_alarm)
        for s, h in saved.items():
            signal.signal(s, h)
    assert calls == ["shutdown"]
    assert said[-2:] == ["SIGTERM: stopping the search service", "stopped"]
    assert not lifecycle.state_path(settings).exists()


def test_replica_grpc_servers_of_a_loopback_node_bind_loopback(monkeypatch):
    import types

    import ray

    from serve_apps._loopback import bind_replicas_to_loopback

    seen: list[str] = []
    fake = types.ModuleType("ray.serve._private.replica")
    fake.add_port_to_grpc_server = lambda server, address: seen.append(address) or 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ray.serve._private.replica", fake)
    monkeypatch.setattr(ray.util, "get_node_ip_address", lambda: "10.1.2.3")
    assert bind_replicas_to_loopback() is False  # a real multi-node cluster: untouched
    monkeypatch.setattr(ray.util, "get_node_ip_address", lambda: "127.0.0.1")
    assert bind_replicas_to_loopback() is True
    fake.add_port_to_grpc_server(None, "[::]:0")
    fake.add_port_to_grpc_server(None, "0.0.0.0:9000")
    assert seen == ["127.0.0.1:0", "127.0.0.1:9000"]
    assert bind_replicas_to_loopback() is True  # idempotent: patched once
