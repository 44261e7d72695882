"""Access tokens: compact JWTs (HS256) signed with ``APP__SECRET``, short-lived; refresh
tokens and API keys: random, stored only as SHA-256 hashes (they are high-entropy, so a slow
hash adds nothing but latency)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

ACCESS_TTL_S = 15 * 60
REFRESH_TTL_S = 14 * 24 * 3600
_HEADER = base64.urlsafe_b64encode(b'{"alg":"HS256","typ":"JWT"}').rstrip(b"=")


class TokenError(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "malformed", "signature", "expired"


@dataclass(frozen=True)
class AccessClaims:
    user_id: str
    session_id: str
    expires_at: int


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


def issue_access(secret: str, user_id: str, session_id: str, now: float | None = None) -> tuple[str, int]:
    exp = int((now or time.time()) + ACCESS_TTL_S)
    payload = _b64(json.dumps({"sub": user_id, "sid": session_id, "exp": exp}, separators=(",", ":")).encode())
    signing = _HEADER + b"." + payload
    sig = _b64(hmac.new(secret.encode(), signing, hashlib.sha256).digest())
    return (signing + b"." + sig).decode(), ACCESS_TTL_S


def read_access(secret: str, token: str, now: float | None = None) -> AccessClaims:
    try:
        header, payload, sig = token.encode("ascii").split(b".")
    except (UnicodeEncodeError, ValueError):
        raise TokenError("malformed") from None
    expected = _b64(hmac.new(secret.encode(), header + b"." + payload, hashlib.sha256).digest())
    if header != _HEADER or not hmac.compare_digest(expected, sig):
        raise TokenError("signature")
    try:
        claims: dict[str, Any] = json.loads(_unb64(payload))
        out = AccessClaims(str(claims["sub"]), str(claims["sid"]), int(claims["exp"]))
    except (ValueError, KeyError, TypeError):
        raise TokenError("malformed") from None
    if out.expires_at <= (now or time.time()):
        raise TokenError("expired")
    return out


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
