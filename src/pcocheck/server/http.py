"""The one HTTP client of ``pcocheck server``: read-only FHIR requests with auth, TLS,
timeouts, retries (honouring ``Retry-After``), a request rate limit, a response size cap,
same-origin redirects only, and a record of every exchange for the evidence file.

Only this module and :mod:`pcocheck.server.auth` talk to the network (through requests).
"""

from __future__ import annotations

import email.utils
import json
import re
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from urllib3.exceptions import InsecureRequestWarning

FHIR_JSON = "application/fhir+json"
RETRY_STATUSES = frozenset({429, 503})
SENSITIVE_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
REDACTED = "[redacted]"


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    return parts.scheme.lower(), (parts.hostname or "").lower(), port


@dataclass(slots=True)
class Exchange:
    """One request and its response (or the reason there is none)."""

    id: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None = None
    status: int | None = None
    reason: str = ""
    response_headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    elapsed_ms: float = 0.0
    error: str | None = None  # connection failure, timeout, refused redirect ...
    truncated: bool = False  # body larger than the cap; only the cap was read
    retried: int = 0  # how many earlier attempts of this request were retried
    _json: Any = None
    _parsed: bool = False

    @property
    def content_type(self) -> str:
        for name, value in self.response_headers.items():
            if name.lower() == "content-type":
                return value.split(";")[0].strip().lower()
        return ""

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON (see :meth:`json_error`)."""
        if not self._parsed:
            self._parsed = True
            try:
                self._json = json.loads(self.body.decode("utf-8")) if self.body else None
            except (ValueError, UnicodeDecodeError):
                self._json = None
        return self._json

    def json_error(self) -> str | None:
        """Why the body is not usable FHIR JSON, or None when it is."""
        if self.truncated:
            return "the response body exceeded the size limit and was not read to the end"
        if not self.body:
            return "the response body is empty"
        if self.json() is None:
            kind = self.content_type or "no content type"
            if "html" in kind or self.body.lstrip()[:1] == b"<":
                return f"the response is an HTML page ({kind}), not FHIR JSON"
            return f"the response body is not valid JSON ({kind})"
        if not isinstance(self.json(), dict) or "resourceType" not in self.json():
            return "the response JSON is not a FHIR resource (no resourceType)"
        return None


AuthHeaders = Callable[[], dict[str, str]]


@dataclass(slots=True)
class HttpSettings:
    timeout: float = 30.0
    retries: int = 2
    backoff: float = 1.0  # seconds; doubled per retry unless Retry-After says otherwise
    max_retry_wait: float = 60.0
    max_rps: float | None = None
    max_bytes: int = 50_000_000
    verify: bool | str = True  # False with --insecure; a path with --ca-bundle
    headers: dict[str, str] = field(default_factory=dict)
    user_agent: str = "pcocheck"
    max_redirects: int = 5


class HttpClient:
    """Read-only FHIR HTTP client bound to one server base URL."""

    def __init__(
        self,
        base_url: str,
        settings: HttpSettings,
        session: requests.Session | None = None,
        on_request: Callable[[Exchange], None] | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.origin = origin(self.base_url)
        self.settings = settings
        self.session = session or requests.Session()
        self.session.trust_env = False  # no proxies or .netrc credentials picked up silently
        self.exchanges: list[Exchange] = []
        self.secrets: set[str] = set()  # values redacted from evidence wherever they occur
        self.auth: AuthHeaders | None = None
        self._last_request = 0.0
        self._on_request = on_request

    # -- helpers -----------------------------------------------------------------------
    def absolute(self, url: str) -> str:
        if url.startswith(("http://", "https://")):
            return url
        return urljoin(self.base_url + "/", url.lstrip("/"))

    def same_origin(self, url: str) -> bool:
        return origin(url) == self.origin

    def _next_id(self) -> str:
        return f"req-{len(self.exchanges) + 1:04d}"

    def _throttle(self) -> None:
        if not self.settings.max_rps:
            return
        gap = 1.0 / self.settings.max_rps
        wait = self._last_request + gap - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request = time.monotonic()

    def _retry_wait(self, exchange: Exchange, attempt: int) -> float:
        header = next(
            (v for k, v in exchange.response_headers.items() if k.lower() == "retry-after"), None
        )
        wait = self.settings.backoff * (2**attempt)
        if header:
            header = header.strip()
            if header.isdigit():
                wait = float(header)
            else:
                try:
                    parsed = email.utils.parsedate_to_datetime(header)
                except (TypeError, ValueError):
                    parsed = None  # unreadable: keep the backoff
                if parsed is not None:
                    if parsed.tzinfo is None:
                        parsed = parsed.replace(tzinfo=UTC)
                    wait = max(0.0, (parsed - datetime.now(UTC)).total_seconds())
        return float(min(wait, self.settings.max_retry_wait))

    # -- requests ----------------------------------------------------------------------
    def get(self, url: str, headers: dict[str, str] | None = None) -> Exchange:
        return self.request("GET", url, headers=headers)

    def post_search(self, url: str, form: dict[str, str]) -> Exchange:
        """POST ``[type]/_search`` with form parameters: a search, so still read-only."""
        return self.request(
            "POST",
            url,
            body=_form(form),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    def post_form_unauthenticated(self, url: str, form: dict[str, str]) -> Exchange:
        """A form POST without the FHIR credentials (OAuth token endpoint)."""
        return self.request(
            "POST",
            url,
            body=_form(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
            authenticate=False,
        )

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        authenticate: bool = True,
    ) -> Exchange:
        url = self.absolute(url)
        attempt = 0
        redirects = 0
        while True:
            exchange = self._send(method, url, body, headers, authenticate)
            exchange.retried = attempt
            retry = exchange.error is not None and exchange.status is None
            retry = retry or exchange.status in RETRY_STATUSES
            if retry and attempt < self.settings.retries:
                time.sleep(self._retry_wait(exchange, attempt))
                attempt += 1
                continue
            if (
                exchange.status in (301, 302, 303, 307, 308)
                and redirects < self.settings.max_redirects
            ):
                target = next(
                    (v for k, v in exchange.response_headers.items() if k.lower() == "location"),
                    None,
                )
                if target:
                    target = urljoin(url, target)
                    if not self.same_origin(target):
                        # Never carry the credentials to another origin: refuse, and say so.
                        exchange.error = f"redirect to another origin refused: {target}"
                        return exchange
                    url = target
                    redirects += 1
                    if exchange.status == 303:
                        method, body = "GET", None
                    continue
            return exchange

    def _send(
        self,
        method: str,
        url: str,
        body: bytes | None,
        extra: dict[str, str] | None,
        authenticate: bool,
    ) -> Exchange:
        headers = {"Accept": FHIR_JSON, "User-Agent": self.settings.user_agent}
        headers.update(self.settings.headers)
        # Credentials go to the server's own origin only.
        if authenticate and self.auth is not None and self.same_origin(url):
            headers.update(self.auth())
        headers.update(extra or {})
        exchange = Exchange(
            id=self._next_id(), method=method, url=url, request_headers=headers, request_body=body
        )
        self.exchanges.append(exchange)
        if self._on_request is not None:
            self._on_request(exchange)
        self._throttle()
        start = time.monotonic()
        try:
            with warnings.catch_warnings():
                # --insecure is reported once as SRV-HTTP-006, not warned about per request
                warnings.simplefilter("ignore", InsecureRequestWarning)
                response = self.session.request(
                    method,
                    url,
                    data=body,
                    headers=headers,
                    timeout=self.settings.timeout,
                    verify=self.settings.verify,
                    allow_redirects=False,
                    stream=True,
                )
        except requests.exceptions.SSLError as error:
            exchange.error = f"TLS error: {_short(error)}"
        except requests.exceptions.Timeout:
            exchange.error = f"no answer within {self.settings.timeout:g} s (timeout)"
        except requests.exceptions.ConnectionError as error:
            exchange.error = f"cannot connect: {_short(error)}"
        except requests.exceptions.RequestException as error:
            exchange.error = f"request failed: {_short(error)}"
        else:
            exchange.status = response.status_code
            exchange.reason = response.reason or ""
            exchange.response_headers = dict(response.headers)
            try:
                exchange.body, exchange.truncated = _read_capped(response, self.settings.max_bytes)
            except requests.exceptions.RequestException as error:
                exchange.error = f"reading the response failed: {_short(error)}"
            finally:
                response.close()
        exchange.elapsed_ms = (time.monotonic() - start) * 1000
        return exchange


def _read_capped(response: requests.Response, limit: int) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=65536):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            return b"".join(chunks)[:limit], True
    return b"".join(chunks), False


def _form(form: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(form).encode("ascii")


def _short(error: Exception) -> str:
    text = str(error)
    errno = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    if errno:
        return errno.group(1).strip()
    if "Read timed out" in text:
        return "read timed out"
    return text if len(text) < 200 else text[:200] + "…"
