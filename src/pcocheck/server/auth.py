"""Credentials for ``pcocheck server``: a bearer token, or SMART Backend Services
(OAuth 2.0 client credentials with a signed JWT client assertion, RS384 or ES384).

Every secret (the token, the signed assertion) is registered with the client so that the
evidence file never contains it.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from pcocheck.server.http import Exchange, HttpClient

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class AuthError(Exception):
    """Credentials could not be obtained; the run cannot go on (exit code 3)."""

    def __init__(self, message: str, exchange: Exchange | None = None) -> None:
        super().__init__(message)
        self.exchange = exchange


def _algorithm_for(pem: bytes) -> str:
    """RS384 for an RSA key, ES384 for an elliptic-curve key (SMART Backend Services)."""
    try:
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
    except ImportError:
        raise AuthError(
            "SMART Backend Services needs PyJWT[crypto]: pip install 'pcocheck[smart]'"
        ) from None
    try:
        key = load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as error:
        raise AuthError(f"cannot read the private key (PEM, unencrypted): {error}") from None
    return "ES384" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS384"


class BearerAuth:
    def __init__(self, client: HttpClient, token: str) -> None:
        self.token = token
        client.secrets.add(token)

    def __call__(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class SmartBackendAuth:
    """SMART Backend Services: token endpoint from ``.well-known/smart-configuration``
    (or given), client_credentials grant with a JWT assertion signed by the client key.
    The token is fetched on first use and again shortly before it expires."""

    def __init__(
        self,
        client: HttpClient,
        client_id: str,
        key_path: Path,
        *,
        algorithm: str | None = None,
        key_id: str | None = None,
        token_url: str | None = None,
        scope: str = "system/*.read",
    ) -> None:
        self.client = client
        self.client_id = client_id
        self.key_text = key_path.read_bytes()
        self.algorithm = algorithm or _algorithm_for(self.key_text)
        if self.algorithm not in ("RS384", "ES384"):
            raise AuthError(f"SMART Backend Services signs with RS384 or ES384, not {algorithm}")
        self.key_id = key_id
        self.token_url = token_url
        self.scope = scope
        self.token: str | None = None
        self.expires = 0.0

    def discover(self) -> str:
        exchange = self.client.request(
            "GET",
            ".well-known/smart-configuration",
            headers={"Accept": "application/json"},
            authenticate=False,  # discovery comes before there is a token
        )
        data = exchange.json()
        if exchange.status != 200 or not isinstance(data, dict) or not data.get("token_endpoint"):
            raise AuthError(
                "cannot find the token endpoint: .well-known/smart-configuration "
                f"answered {exchange.status or exchange.error}",
                exchange,
            )
        return str(data["token_endpoint"])

    def assertion(self, audience: str) -> str:
        try:
            import jwt
        except ImportError:  # an optional extra
            raise AuthError(
                "SMART Backend Services needs PyJWT: pip install 'pcocheck[smart]'"
            ) from None
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.client_id,
            "sub": self.client_id,
            "aud": audience,
            "exp": now + 300,
            "iat": now,
            "jti": str(uuid.uuid4()),
        }
        headers = {"kid": self.key_id} if self.key_id else None
        try:
            return jwt.encode(claims, self.key_text, algorithm=self.algorithm, headers=headers)
        except (ValueError, TypeError, jwt.PyJWTError) as error:
            raise AuthError(f"cannot sign the client assertion with the key: {error}") from None

    def fetch_token(self) -> None:
        url = self.token_url or self.discover()
        if not url.startswith("https://") and self.client.origin[1] not in (
            "127.0.0.1",
            "localhost",
        ):
            raise AuthError(f"refusing to send client credentials over plain HTTP to {url}")
        signed = self.assertion(url)
        self.client.secrets.add(signed)
        exchange = self.client.post_form_unauthenticated(
            url,
            {
                "grant_type": "client_credentials",
                "scope": self.scope,
                "client_assertion_type": CLIENT_ASSERTION_TYPE,
                "client_assertion": signed,
            },
        )
        data = exchange.json()
        if exchange.status != 200 or not isinstance(data, dict) or not data.get("access_token"):
            raise AuthError(
                f"the token endpoint {url} gave no access token "
                f"({exchange.status or exchange.error})",
                exchange,
            )
        self.token = str(data["access_token"])
        self.client.secrets.add(self.token)
        expires_in = data.get("expires_in")
        lifetime = float(expires_in) if isinstance(expires_in, int | float) else 300.0
        self.expires = time.monotonic() + max(lifetime - 30.0, 1.0)

    def __call__(self) -> dict[str, str]:
        if self.token is None or time.monotonic() >= self.expires:
            self.fetch_token()
        return {"Authorization": f"Bearer {self.token}"}
