"""Client for a FHIR terminology server's ``$validate-code`` (``--tx URL``).

Asked only for what pcocheck cannot decide offline. Every answer is one of three: the
code is valid, it is invalid, or the server could not answer (unreachable, timed out,
returned an error or something that is not a Parameters resource). Definite answers are
kept in memory for the run and, with ``cache_dir``, on disk across runs; failures are
kept for the run only. After ``max_failures`` consecutive connection failures the server
is treated as down for the rest of the run, so a dead server costs seconds, not minutes.

The server is not trusted: every request has an overall deadline (a server that drips one
byte at a time is cut off), answers larger than ``MAX_BODY_BYTES`` are refused, redirects
are followed only within the same origin (scheme, host and port), and credentials —
given with ``auth`` or in the URL's user-info — are sent only to that origin and never
appear in messages, reports or cache files (``base_url`` is the redacted URL).
"""

from __future__ import annotations

import json
import os
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pcocheck import __version__
from pcocheck.jsonutil import loads_bounded

if TYPE_CHECKING:  # requests costs ~0.1 s to import: only runs with --tx pay for it
    import requests

Status = Literal["valid", "invalid", "error"]

_RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
CACHE_FORMAT = 1
MAX_BODY_BYTES = 4 * 1024 * 1024  # a $validate-code answer is a few kB
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """(the URL without user-info, (user, password) or None)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    netloc = parts.netloc.rpartition("@")[2]  # host[:port] exactly as given
    clean = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    return clean, (user, password)


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced (a server may echo what it was sent)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _port(parts: urllib.parse.SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # not a number: requests reports the URL as invalid
        return None


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    default = {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), _port(parts) or default


class _Answer:
    """What one HTTP exchange produced: status, headers and a bounded body."""

    __slots__ = ("body", "headers", "status_code", "url")

    def __init__(self, status_code: int, headers: Mapping[str, str], body: bytes, url: str) -> None:
        self.status_code = status_code
        self.headers = headers
        self.body = body
        self.url = url

    def json(self) -> Any:
        return loads_bounded(self.body)


class _Refused(Exception):
    """An answer pcocheck will not use (too large, a redirect elsewhere)."""


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
        auth: str | None = None,
        deadline: float | None = None,
    ) -> None:
        clean, credentials = split_credentials(base_url.rstrip("/"))
        self.base_url = clean
        # the whole exchange (connect, headers, body, same-origin redirects) per request
        self.deadline = deadline if deadline is not None else 3 * timeout
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
        # Credentials go on the requests pcocheck makes itself, to this origin (redirects
        # are followed by hand, same origin only). Proxy and CA settings from the
        # environment still apply; .netrc only when no credentials are given.
        self._auth_header: str | None = None
        secrets: list[str] = []
        if auth:
            if auth.lower().startswith("bearer "):
                self._auth_header = auth
                secrets.append(auth[7:].strip())
            else:
                user, _, password = auth.partition(":")
                credentials = (user, password)
        if credentials is not None and self._auth_header is None:
            import base64

            token = base64.b64encode(":".join(credentials).encode("utf-8")).decode("ascii")
            self._auth_header = f"Basic {token}"
            secrets.extend((credentials[1], token))
        if credentials is not None:
            secrets.append(urllib.parse.quote(credentials[1], safe=""))
        self._secrets = tuple(s for s in secrets if len(s) >= 3)
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
        result = self._request_unredacted(resource, params)
        if not self._secrets:
            return result
        return TxResult(
            result.status,
            redact(result.message, self._secrets),
            redact(result.display, self._secrets) if result.display is not None else None,
            result.unreachable,
        )

    def _request_unredacted(self, resource: str, params: dict[str, str]) -> TxResult:
        import requests

        url = f"{self.base_url}/{resource}/$validate-code"
        last = TxResult("error", "no request made")
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff * (2 ** (attempt - 1)))
            self.requests_sent += 1
            try:
                response = self._exchange(url, params)
            except (requests.Timeout, TimeoutError):
                last = TxResult(
                    "error",
                    f"terminology server {self.base_url} did not answer within "
                    f"{self.timeout:g} s (or its answer took longer than {self.deadline:g} s)",
                    unreachable=True,
                )
                continue
            except _Refused as refused:
                self._consecutive_failures = 0
                return TxResult("error", f"terminology server {self.base_url}: {refused}")
            except (requests.RequestException, OSError) as exc:
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

    def _exchange(self, url: str, params: Mapping[str, str] | None) -> _Answer:
        """One GET (with same-origin redirects) within the overall deadline.

        Runs in a daemon thread so that a server dripping bytes, which never trips the
        per-read socket timeout, cannot hold the run: after the deadline the request
        counts as timed out."""
        box: dict[str, Any] = {}

        def work() -> None:
            try:
                box["answer"] = self._follow(url, params)
            except BaseException as error:  # handed to the caller's thread
                box["error"] = error

        worker = threading.Thread(target=work, name="pcocheck-tx", daemon=True)
        worker.start()
        worker.join(self.deadline)
        if worker.is_alive():
            # Abandoned, not closed: closing would wait for the worker's blocked read. The
            # worker is a daemon, its body is bounded, and a server that keeps timing out
            # is soon treated as down.
            raise TimeoutError
        if "error" in box:
            raise box["error"]
        answer: _Answer = box["answer"]
        return answer

    def _follow(self, url: str, params: Mapping[str, str] | None) -> _Answer:
        origin = _origin(self.base_url)
        started = time.monotonic()
        for _ in range(MAX_REDIRECTS + 1):
            response = self._session.get(
                url,
                params=params,
                timeout=self.timeout,
                stream=True,
                allow_redirects=False,
                auth=self._apply_auth if self._auth_header else None,
            )
            with response:
                if response.is_redirect:
                    target = urllib.parse.urljoin(url, response.headers.get("location", ""))
                    if _origin(target) != origin:
                        raise _Refused(
                            f"redirected to another origin ({_origin_text(target)}); "
                            "not followed, its answer is not trusted"
                        )
                    url, params = target, None
                    continue
                body = self._read_body(response, started)
                return _Answer(response.status_code, response.headers, body, url)
        raise _Refused(f"more than {MAX_REDIRECTS} redirects")

    def _apply_auth(self, request: Any) -> Any:
        """requests auth hook: the one Authorization header, for the --tx origin."""
        request.headers["Authorization"] = self._auth_header
        return request

    def _read_body(self, response: Any, started: float) -> bytes:
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
            raise _Refused(f"answer of {int(declared):,} bytes refused (limit {MAX_BODY_BYTES:,})")
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_content(_CHUNK):
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise _Refused(f"answer larger than {MAX_BODY_BYTES:,} bytes refused")
            if time.monotonic() - started > self.deadline:
                raise TimeoutError
            chunks.append(chunk)
        return b"".join(chunks)

    def _key(self, resource: str, params: Mapping[str, str]) -> str:
        import hashlib  # only runs with --tx get here: not imported at every start

        blob = json.dumps([self.base_url, resource, sorted(params.items())], ensure_ascii=True)
        return hashlib.sha256(blob.encode("ascii")).hexdigest()

    def _read_disk(self, key: str) -> TxResult | None:
        if self.cache_dir is None:
            return None
        path = self.cache_dir / f"{key}.json"
        try:
            data = loads_bounded(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # deep or broken entries included: just ask again
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
        import tempfile

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


def _origin_text(url: str) -> str:
    scheme, host, port = _origin(url)
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def _interpret(response: _Answer) -> TxResult:
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


def _outcome_text(response: _Answer) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return _outcome_message(body) if isinstance(body, dict) else ""
