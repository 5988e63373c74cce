"""How Datasette is started for btxh: one definition for `btxh serve` and the tests.

Nothing here imports Datasette; `btxh serve` runs it as a separate process.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
METADATA = ROOT / "metadata.yml"
PLUGINS = ROOT / "plugins"
TEMPLATES = ROOT / "templates"
STATIC = ROOT / "static"

# Datasette settings that make a registry of vulnerable people safe by default
SETTINGS = {
    "suggest_facets": False,
    "allow_download": False,
    "default_allow_sql": False,
    "allow_facet": True,
    "sql_time_limit_ms": 3000,
    "max_returned_rows": 1000,
    "default_page_size": 50,
    "facet_time_limit_ms": 400,
    "allow_csv_stream": False,
    "template_debug": False,
    "trace_debug": False,
}


# Set (to anything but "" or "0") only when a reverse proxy you run terminates HTTPS in front
# of btxh and overwrites X-Forwarded-Proto / appends X-Forwarded-For: then those headers are
# believed (cookies get `Secure`, login throttling counts the real client address).
# Without it they are ignored, since any client can send them.
TRUSTED_PROXY_ENV = "BTXH_TRUSTED_PROXY"


def _trusted_proxy() -> bool:
    return os.environ.get(TRUSTED_PROXY_ENV, "") not in ("", "0")


def server_env() -> dict:
    """Environment for the uvicorn under `btxh serve`: without BTXH_TRUSTED_PROXY it believes
    no X-Forwarded-For/-Proto either (by default it does for peers at 127.0.0.1, i.e. any proxy
    on the same host that passes the client's headers on), so the peer address is the client."""
    return {} if _trusted_proxy() else {"FORWARDED_ALLOW_IPS": ""}


def _header(scope: dict, name: bytes) -> str:
    values = [v for k, v in scope.get("headers") or [] if k.lower() == name]
    return values[-1].decode("latin-1") if values else ""


def is_https(scope: dict) -> bool:
    """Did this request reach the user over HTTPS (so cookies must be `Secure`)?"""
    if scope.get("scheme") == "https":
        return True
    forwarded = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
    return _trusted_proxy() and forwarded == "https"


def client_address(scope: dict) -> str:
    """The client's address: the peer, or the proxy's last X-Forwarded-For entry if trusted."""
    if _trusted_proxy():
        forwarded = [part.strip() for part in _header(scope, b"x-forwarded-for").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1][:64]
    client = scope.get("client")
    return str(client[0])[:64] if client else "-"


def secret_for(db_path: Path) -> str:
    """The cookie-signing secret: BTXH_SECRET, else a 0600 file kept beside the database."""
    env = os.environ.get("BTXH_SECRET")
    if env:
        return env
    path = Path(db_path).resolve().parent / ".btxh-secret"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def datasette_kwargs(db_path: Path, secret: str) -> dict:
    """Keyword arguments for ``datasette.app.Datasette`` (used by the tests)."""
    import yaml  # PyYAML, a Datasette dependency

    return {
        "files": [str(db_path)],
        "metadata": yaml.safe_load(METADATA.read_text(encoding="utf-8")),
        "plugins_dir": str(PLUGINS),
        "template_dir": str(TEMPLATES),
        "static_mounts": [("btxh-static", str(STATIC))],
        "settings": SETTINGS,
        "secret": secret,
    }


def datasette_argv(db_path: Path, host: str, port: int) -> list[str]:
    """Arguments for ``python -m datasette`` (used by `btxh serve`)."""
    argv = [
        "serve", str(db_path),
        "--metadata", str(METADATA),
        "--plugins-dir", str(PLUGINS),
        "--template-dir", str(TEMPLATES),
        "--static", f"btxh-static:{STATIC}",
        "--host", host,
        "--port", str(port),
    ]
    for key, value in SETTINGS.items():
        if isinstance(value, bool):
            value = "on" if value else "off"
        argv += ["--setting", key, str(value)]
    return argv
