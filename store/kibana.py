"""Loading the Kibana saved objects in dashboards/ through Kibana's saved-objects import API.

    langnghe kibana load --url http://kibana:5601 [--space ops]  → kibana_load(url, space)

It lives here, not in dashboards/, because dashboards/ holds data (NDJSON) and is not an
importable package. The import endpoint (`POST [/s/<space>]/api/saved_objects/_import`) takes
the NDJSON as a multipart file named `file`, needs the `kbn-xsrf` header, and answers
{"success", "successCount", "errors": [{"id", "type", "title"?, "error": {"type", ...}}]}.
Credentials come from the environment: LANGNGHE_KIBANA_API_KEY, or LANGNGHE_KIBANA_USERNAME and
LANGNGHE_KIBANA_PASSWORD; LANGNGHE_KIBANA_CA_CERTS for https with a private CA.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import requests

NDJSON = Path(__file__).resolve().parents[1] / "dashboards" / "langnghe.ndjson"
TIMEOUT_S = 60  # importing a few dozen objects takes Kibana ~1-5 s; slow instances more
_SPACE_RE = re.compile(r"^[a-z0-9_-]+$")  # Kibana's rule for space ids


class KibanaImportError(RuntimeError):
    """Kibana refused the import, wholly or for some objects (listed in the message)."""


@dataclass
class ImportResult:
    success_count: int
    errors: list[dict]


def import_url(url: str, space: str | None = None) -> str:
    if space and space != "default":
        if not _SPACE_RE.match(space):
            raise ValueError(f"Kibana space id must be lower-case letters, digits, '_' or '-', "
                             f"not {space!r}")
        return f"{url.rstrip('/')}/s/{space}/api/saved_objects/_import"
    return f"{url.rstrip('/')}/api/saved_objects/_import"


def _auth_headers() -> dict[str, str]:
    if key := os.environ.get("LANGNGHE_KIBANA_API_KEY"):
        return {"Authorization": f"ApiKey {key}"}
    return {}


def kibana_load(url: str, space: str | None = None, path: Path = NDJSON,
                overwrite: bool = True, timeout: float = TIMEOUT_S) -> ImportResult:
    """Import the saved objects; raises KibanaImportError naming every object that failed."""
    auth = None
    if user := os.environ.get("LANGNGHE_KIBANA_USERNAME"):
        auth = (user, os.environ.get("LANGNGHE_KIBANA_PASSWORD", ""))
    verify: bool | str = os.environ.get("LANGNGHE_KIBANA_CA_CERTS") or True
    with path.open("rb") as ndjson:
        try:
            response = requests.post(
                import_url(url, space), params={"overwrite": str(overwrite).lower()},
                headers={"kbn-xsrf": "true", **_auth_headers()}, auth=auth, verify=verify,
                files={"file": (path.name, ndjson, "application/ndjson")}, timeout=timeout)
        except requests.RequestException as exc:
            raise KibanaImportError(f"Kibana at {url} is unreachable: {exc}") from exc
    if response.status_code != 200:
        raise KibanaImportError(f"Kibana answered {response.status_code} to the import: "
                                f"{response.text[:500]}")
    body = response.json()
    errors = body.get("errors") or []
    if errors or not body.get("success", False):
        lines = [f"  {e.get('type')} {e.get('id')} ({e.get('title', '')}): "
                 f"{_describe(e.get('error') or {})}" for e in errors]
        raise KibanaImportError(f"Kibana imported {body.get('successCount', 0)} objects; "
                                f"{len(errors)} failed:\n" + "\n".join(lines))
    return ImportResult(success_count=int(body.get("successCount", 0)), errors=[])


def _describe(error: dict) -> str:
    kind = error.get("type", "unknown")
    if kind == "missing_references":
        missing = ", ".join(f"{r.get('type')}/{r.get('id')}" for r in error.get("references", []))
        return f"missing references {missing}"
    return f"{kind}: {error.get('message') or error.get('reason') or ''}".rstrip(": ")
