"""Client for a FHIR terminology server's ``$validate-code`` (``--tx URL``).

Asked only for what pcocheck cannot decide offline. Every answer is one of three: the
code is valid, it is invalid, or the server could not answer (unreachable, timed out,
returned an error or something that is not a Parameters resource). Definite answers are
kept in memory for the run and, with ``cache_dir``, on disk across runs; failures are
kept for the run only. After ``max_failures`` consecutive connection failures the server
is treated as down for the rest of the run, so a dead server costs seconds, not minutes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pcocheck import __version__

if TYPE_CHECKING:  # requests costs ~0.1 s to import: only runs with --tx pay for it
    import requests

Status = Literal["valid", "invalid", "error"]

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
CACHE_FORMAT = 1


@dataclass(frozen=True, slots=True)
class TxResult:
    status: Status
    message: str = ""
    display: str | None = None  # the display the server knows for the code
    unreachable: bool = False  # "error" because the server could not be reached

    @property
    def valid(self) -> bool:
        return self.status == "valid"


class TxClient:
    """``$validate-code`` against ``base_url`` with timeouts, retries and caching."""

    def __init__(
        self,
        base_url: str,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.5,
        max_failures: int = 3,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self.max_failures = max(1, max_failures)
        if session is None:
            import requests

            session = requests.Session()
        self._session = session
        self._session.headers.update(
            {"Accept": "application/fhir+json", "User-Agent": f"pcocheck/{__version__}"}
        )
        self._sleep = sleep
        self._memory: dict[str, TxResult] = {}
        self._consecutive_failures = 0
        self.requests_sent = 0

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> TxClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def down(self) -> bool:
        return self._consecutive_failures >= self.max_failures

    def validate_value_set(
        self,
        value_set: str,
        system: str | None,
        code: str,
        display: str | None = None,
        version: str | None = None,
    ) -> TxResult:
        """``ValueSet/$validate-code``: is system|code in the value set?"""
        url, _, vs_version = value_set.partition("|")
        params = {
            "url": url,
            "valueSetVersion": vs_version or None,
            "system": system,
            "code": code,
            "display": display,
            "systemVersion": version,
        }
        return self._ask("ValueSet", params)

    def validate_code_system(
        self,
        system: str,
        code: str,
        display: str | None = None,
        version: str | None = None,
    ) -> TxResult:
        """``CodeSystem/$validate-code``: does the code exist in the code system?"""
        params = {"url": system, "code": code, "display": display, "version": version}
        return self._ask("CodeSystem", params)

    # -- internals

    def _ask(self, resource: str, raw: Mapping[str, str | None]) -> TxResult:
        params = {k: v for k, v in raw.items() if v}
        key = self._key(resource, params)
        cached = self._memory.get(key)
        if cached is not None:
            return cached
        cached = self._read_disk(key)
        if cached is not None:
            self._memory[key] = cached
            return cached
        if self.down:
            return TxResult(
                "error",
                f"terminology server {self.base_url} was unreachable earlier in this run; "
                "not contacted again",
                unreachable=True,
            )
        result = self._request(resource, params)
        self._memory[key] = result
        if result.status != "error":
            self._write_disk(key, resource, params, result)
        return result

    def _request(self, resource: str, params: dict[str, str]) -> TxResult:
        import requests

        url = f"{self.base_url}/{resource}/$validate-code"
        last = TxResult("error", "no request made")
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff * (2 ** (attempt - 1)))
            self.requests_sent += 1
            try:
                response = self._session.get(url, params=params, timeout=self.timeout)
            except requests.Timeout:
                last = TxResult(
                    "error",
                    f"terminology server {self.base_url} did not answer within {self.timeout:g} s",
                    unreachable=True,
                )
                continue
            except requests.RequestException as exc:
                last = TxResult(
                    "error",
                    f"terminology server {self.base_url} is unreachable ({type(exc).__name__})",
                    unreachable=True,
                )
                continue
            self._consecutive_failures = 0
            if response.status_code in _RETRY_STATUS:
                last = TxResult(
                    "error",
                    f"terminology server answered HTTP "
                    f"{response.status_code}{_outcome_text(response)}",
                )
                continue
            return _interpret(response)
        if last.unreachable:
            self._consecutive_failures += 1
        return last

    def _key(self, resource: str, params: Mapping[str, str]) -> str:
        blob = json.dumps([self.base_url, resource, sorted(params.items())], ensure_ascii=True)
        return hashlib.sha256(blob.encode("ascii")).hexdigest()

    def _read_disk(self, key: str) -> TxResult | None:
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            return None
        status = data.get("status")
        if status not in ("valid", "invalid"):
            return None
        display = data.get("display")
        return TxResult(
            status, str(data.get("message", "")), display if isinstance(display, str) else None
        )

    def _write_disk(
        self,
        key: str,
        resource: str,
        params: Mapping[str, str],
        result: TxResult,
    ) -> None:
        if self.cache_dir is None:
            return
        record = {
            "format": CACHE_FORMAT,
            "server": self.base_url,
            "operation": resource,
            "params": dict(params),
            "status": result.status,
            "message": result.message,
            "display": result.display,
        }
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.cache_dir, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(record, handle)
            os.replace(tmp, self.cache_dir / f"{key}.json")
        except OSError:
            return  # a cache that cannot be written only costs a repeated request


def _interpret(response: requests.Response) -> TxResult:
    try:
        body: Any = response.json()
    except ValueError:
        return TxResult(
            "error",
            f"terminology server answered HTTP {response.status_code} with a body that is not JSON",
        )
    if not isinstance(body, dict):
        return TxResult("error", "terminology server answered with JSON that is not a resource")
    kind = body.get("resourceType")
    if response.status_code >= 400 or kind == "OperationOutcome":
        return TxResult(
            "error",
            f"terminology server answered HTTP {response.status_code}{_outcome_message(body)}",
        )
    if kind != "Parameters":
        return TxResult(
            "error",
            f"terminology server answered a {kind or 'non-FHIR'} resource instead of Parameters",
        )
    values: dict[str, Any] = {}
    for param in body.get("parameter") or []:
        if isinstance(param, dict) and isinstance(param.get("name"), str):
            for field, value in param.items():
                if field.startswith("value"):
                    values.setdefault(param["name"], value)
    result = values.get("result")
    if not isinstance(result, bool):
        return TxResult("error", "terminology server answer has no boolean 'result'")
    message = values.get("message")
    display = values.get("display")
    return TxResult(
        "valid" if result else "invalid",
        str(message) if isinstance(message, str) else "",
        display if isinstance(display, str) else None,
    )


def _outcome_message(body: Mapping[str, Any]) -> str:
    texts: list[str] = []
    for issue in body.get("issue") or []:
        if not isinstance(issue, dict):
            continue
        details = issue.get("details")
        text = details.get("text") if isinstance(details, dict) else None
        text = text or issue.get("diagnostics")
        if isinstance(text, str) and text:
            texts.append(text)
    return f": {'; '.join(texts)}" if texts else ""


def _outcome_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return _outcome_message(body) if isinstance(body, dict) else ""
