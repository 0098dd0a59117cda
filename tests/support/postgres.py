"""A throwaway PostgreSQL cluster made from the installed binaries.

PostgreSQL refuses to run as root, so when the tests run as root the cluster is created and
started as the `postgres` system user. It listens on 127.0.0.1 on a free port, trusts local
connections, and is removed when stopped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from infra.net import free_port


class PostgresUnavailable(RuntimeError):
    pass


def find_bindir() -> Path | None:
    configured = os.environ.get("PG_BINDIR")
    candidates = [configured] if configured else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in candidates:
        if candidate and (Path(candidate) / "initdb").exists():
            return Path(candidate)
    return None


@dataclass
class PostgresCluster:
    bindir: Path
    datadir: Path
    port: int
    run_as: str | None

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def database_url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _command(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return [*prefix, *args]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self._command(*args), capture_output=True, text=True, check=False, timeout=120
        )

    def create_database(self, name: str) -> str:
        result = self.run(
            str(self.bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            name,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"createdb {name} failed: {result.stderr.strip()}")
        return self.database_url(name)

    def stop(self) -> None:
        self.run(str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "stop")
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_cluster(settings: Mapping[str, str] | None = None) -> PostgresCluster:
    """Start a throwaway cluster; `settings` are extra server settings (`-c name=value`),
    for a benchmark that wants production-like memory and WAL sizes."""
    bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable("no PostgreSQL binaries (initdb) found")
    run_as = "postgres" if os.geteuid() == 0 else None
    top = Path(tempfile.mkdtemp(prefix="seatwise-pg-"))
    datadir = top / "data"
    if run_as:
        try:
            user = pwd.getpwnam(run_as)
        except KeyError:
            raise PostgresUnavailable("running as root and no 'postgres' system user") from None
        os.chown(top, user.pw_uid, user.pw_gid)
    cluster = PostgresCluster(bindir=bindir, datadir=datadir, port=free_port(), run_as=run_as)
    init = cluster.run(
        str(bindir / "initdb"),
        "-D",
        str(datadir),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--no-sync",
    )
    if init.returncode != 0:
        shutil.rmtree(top, ignore_errors=True)
        raise PostgresUnavailable(f"initdb failed: {init.stderr.strip()}")
    options = (
        f"-p {cluster.port} -h 127.0.0.1 -k {top} -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    for name, value in (settings or {}).items():
        options += f" -c {name}={value}"
    start = cluster.run(
        str(bindir / "pg_ctl"),
        "-D",
        str(datadir),
        "-o",
        options,
        "-l",
        str(top / "log"),
        "-w",
        "-t",
        "60",
        "start",
    )
    if start.returncode != 0:
        log = (top / "log").read_text() if (top / "log").exists() else ""
        shutil.rmtree(top, ignore_errors=True)
        raise PostgresUnavailable(f"pg_ctl start failed: {start.stderr.strip()} {log[-500:]}")
    return cluster
