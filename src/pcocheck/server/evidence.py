"""Evidence of a server run: every request and response as HAR 1.2, with credentials
redacted (Authorization, cookies, API keys, and every token or signed assertion the run
used, wherever it appears: headers, URLs, bodies)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from pcocheck import __version__
from pcocheck.server.http import REDACTED, SENSITIVE_HEADERS, Exchange


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def _headers(headers: dict[str, str], secrets: set[str]) -> list[dict[str, str]]:
    out = []
    for name, value in headers.items():
        shown = REDACTED if name.lower() in SENSITIVE_HEADERS else redact(value, secrets)
        out.append({"name": name, "value": shown})
    return out


def _text(body: bytes | None, secrets: set[str]) -> str:
    if not body:
        return ""
    return redact(body.decode("utf-8", errors="replace"), secrets)


def har_entry(exchange: Exchange, secrets: set[str]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": exchange.method,
        "url": redact(exchange.url, secrets),
        "httpVersion": "HTTP/1.1",
        "headers": _headers(exchange.request_headers, secrets),
        "queryString": [
            {"name": name, "value": redact(value, secrets)}
            for name, value in parse_qsl(urlsplit(exchange.url).query, keep_blank_values=True)
        ],
        "cookies": [],
        "headersSize": -1,
        "bodySize": len(exchange.request_body or b""),
    }
    if exchange.request_body:
        mime = next(
            (v for k, v in exchange.request_headers.items() if k.lower() == "content-type"),
            "application/octet-stream",
        )
        request["postData"] = {
            "mimeType": mime,
            "params": [],
            "text": _text(exchange.request_body, secrets),
        }
    location = next(
        (v for k, v in exchange.response_headers.items() if k.lower() == "location"), ""
    )
    entry: dict[str, Any] = {
        "startedDateTime": exchange.started.isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        ),
        "time": round(exchange.elapsed_ms, 1),
        "request": request,
        "response": {
            "status": exchange.status or 0,
            "statusText": exchange.reason,
            "httpVersion": "HTTP/1.1",
            "headers": _headers(exchange.response_headers, secrets),
            "cookies": [],
            "content": {
                "size": len(exchange.body),
                "mimeType": exchange.content_type or "x-unknown",
                "text": _text(exchange.body, secrets),
            },
            "redirectURL": redact(location, secrets),
            "headersSize": -1,
            "bodySize": len(exchange.body),
        },
        "cache": {},
        "timings": {"send": 0, "wait": round(exchange.elapsed_ms, 1), "receive": 0},
        "comment": exchange.id,
        "_pcocheckRequestId": exchange.id,
    }
    if exchange.error:
        entry["_error"] = redact(exchange.error, secrets)
    if exchange.truncated:
        entry["_truncated"] = True
    return entry


def har_document(exchanges: Iterable[Exchange], secrets: set[str]) -> dict[str, Any]:
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "pcocheck", "version": __version__},
            "entries": [har_entry(e, secrets) for e in exchanges],
        }
    }


def write_evidence(
    folder: Path, exchanges: Iterable[Exchange], secrets: set[str], report_json: str
) -> None:
    """``requests.har`` and ``report.json`` in ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    har = json.dumps(har_document(exchanges, secrets), indent=1, ensure_ascii=False)
    (folder / "requests.har").write_text(har + "\n", encoding="utf-8")
    (folder / "report.json").write_text(redact(report_json, secrets), encoding="utf-8")
