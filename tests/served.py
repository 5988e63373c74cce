"""`btxh serve` itself as a separate process, for the tests that need the real server."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(path: Path, env: dict | None = None):
    """Start `btxh serve PATH` on a free port with ``env`` (default: this environment plus a
    test secret), wait until it answers, yield ``(base_url, process)``, stop it."""
    port = free_port()
    env = env if env is not None else dict(os.environ, BTXH_SECRET="test-secret")
    process = subprocess.Popen([sys.executable, "-m", "btxh.cli", "serve", str(path), "--port", str(port)],
                               env={**env, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(base + "/-/login", timeout=2)
                break
            except httpx.TransportError:
                if process.poll() is not None:
                    raise RuntimeError(process.stderr.read().decode())
                time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.wait(timeout=30)
