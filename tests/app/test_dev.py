"""`make run` end to end: the supervisor brings everything up on embedded services, the
printed admin token works, GraphiQL loads, the worker survives a Redis crash, and Ctrl-C
stops everything in order within seconds, leaving no process behind."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Subprotocol

from infra.net import free_port
from tests.support.tokens import bearer

ROOT = Path(__file__).resolve().parents[2]


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(status.parent.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _ready(base: str, timeout: float) -> dict[str, object]:
    """Poll /readyz until it says ready; its last answer."""
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, object] = httpx.get(f"{base}/readyz", timeout=10).json()
        if body["status"] == "ready" or time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    assert process.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                break
            continue
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError("never saw " + marker + ":\n" + "".join(seen))


def _start_supervisor(tmp_path: Path, port: int) -> subprocess.Popen[str]:
    """`python -m app dev` in a process group of its own, like `make run` in a terminal
    (Ctrl-C signals the whole group)."""
    env = {
        **os.environ,
        "VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite://{tmp_path / 'var' / 'seatwise.sqlite3'}",
        "PORT": str(port),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "app", "dev"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


@pytest.mark.slow
def test_make_run_starts_everything_and_ctrl_c_stops_everything(tmp_path: Path) -> None:
    port = free_port()
    process = _start_supervisor(tmp_path, port)
    try:
        banner = _read_until(process, "try:", timeout=90)
        tokens = re.findall(r"^\s+(sw_\S+)$", banner, re.MULTILINE)
        assert len(tokens) == 2
        admin_token = tokens[0]
        assert f"http://127.0.0.1:{port}/graphql" in banner
        children = _descendants(process.pid)
        assert len(children) >= 4  # redis, smtp sink, api, worker

        base = f"http://127.0.0.1:{port}"
        ready = {"status": "ready", "checks": {"database": True, "redis": True, "worker": True}}
        assert _ready(base, timeout=30) == ready
        viewer = httpx.post(
            f"{base}/graphql",
            json={"query": "{ viewer { user { email } memberships { role account { name } } } }"},
            headers={"Authorization": f"Bearer {admin_token}"},
            timeout=10,
        )
        assert viewer.json() == {
            "data": {
                "viewer": {
                    "user": {"email": "alice.martin@acme.example"},
                    "memberships": [
                        {"role": "PRIMARY_ADMIN", "account": {"name": "Acme Engineering"}}
                    ],
                }
            }
        }
        page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 200
        script = httpx.get(f"{base}/static/graphiql/graphiql.min.js", timeout=10)
        assert script.status_code == 200
        # And subscriptions are served over WebSocket on the same path, a message no larger
        # than a POST body (a larger one is refused by the server before it is buffered)
        ws_url = f"ws://127.0.0.1:{port}/graphql"
        with connect(ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]) as ws:
            ws.send(json.dumps({"type": "connection_init", "payload": bearer(admin_token)}))
            assert json.loads(ws.recv(timeout=10)) == {"type": "connection_ack"}
            ws.send(json.dumps({"type": "ping", "padding": "x" * 262_144}))
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=10)
            assert closed.value.rcvd is not None
            assert closed.value.rcvd.code == 1009  # message too big

        # When Redis crashes
        [redis] = [pid for pid in children if "redis-server" in _command_line(pid)]
        os.kill(redis, signal.SIGKILL)
        # Then the supervisor restarts it (empty: nothing was saved) and the API is ready
        # again, which takes a health record that a worker wrote to the new Redis
        _read_until(process, "seatwise: redis exited (signal SIGKILL); restarting", timeout=30)
        assert _ready(base, timeout=30) == ready
        children = _descendants(process.pid)
    finally:
        # When Ctrl-C reaches the supervisor's process group, as from a terminal
        os.killpg(process.pid, signal.SIGINT)
        interrupted = time.monotonic()
        output, _ = process.communicate(timeout=60)
    # Then it stopped within seconds: API and worker first, then the SMTP sink, Redis last,
    # none killed (uvicorn re-raises the SIGTERM it handled once it has shut down)
    assert time.monotonic() - interrupted < 5, output
    assert process.returncode == 0, output
    stopped = re.findall(r"^seatwise: (\w+) stopped \((.+)\)$", output, re.MULTILINE)
    assert stopped == [
        ("api", "signal SIGTERM"),
        ("worker", "status 0"),
        ("smtp", "status 0"),
        ("redis", "status 0"),
    ], output
    assert output.rstrip().endswith("seatwise: stopped")
    after_stop = output[output.index("seatwise: stopping ...") :]
    # and the worker shut down cleanly, while Redis was still there
    assert "shutdown on SIGTERM" in after_stop
    assert "Error" not in after_stop, after_stop
    # and every child is gone
    assert [pid for pid in children if _alive(pid)] == []


@pytest.mark.slow
def test_children_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    # Given the supervisor running its four children
    process = _start_supervisor(tmp_path, free_port())
    try:
        _read_until(process, "try:", timeout=90)
        children = _descendants(process.pid)
        assert {
            name
            for pid in children
            for name in ("redis-server", "smtp-sink", "serve", "-m workers")
            if name in _command_line(pid)
        } == {"redis-server", "smtp-sink", "serve", "-m workers"}
    finally:
        # When it is killed outright, with no chance to stop them
        process.kill()
        process.communicate(timeout=30)
    # Then every child gets SIGTERM from the kernel (parent-death signal) and ends
    deadline = time.monotonic() + 15
    while alive := [_command_line(pid) for pid in children if _alive(pid)]:
        assert time.monotonic() < deadline, alive
        time.sleep(0.1)


@pytest.mark.slow
def test_a_second_run_does_not_duplicate_the_demo_data(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite://{tmp_path / 'db.sqlite3'}",
    }
    for expected in ("demo data loaded", "demo data already present"):
        for command in (["migrate"], ["catalog", "load"], ["seed", "demo"]):
            result = subprocess.run(
                [sys.executable, "-m", "app", *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
        assert result.stdout.strip() == expected
