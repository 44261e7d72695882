"""TOTP second factor (RFC 6238: HMAC-SHA1, 30 s steps, 6 digits), as authenticator apps
(Google Authenticator, 微信小程序 authenticators …) expect."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

STEP_S = 30
DIGITS = 6


def new_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def code_at(secret: str, at: float) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    counter = struct.pack(">Q", int(at // STEP_S))
    mac = hmac.new(key, counter, hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**DIGITS).zfill(DIGITS)


def verify(secret: str, code: str, at: float | None = None, window: int = 1) -> bool:
    """Accept the current step and ``window`` steps either side (clock drift)."""
    now = time.time() if at is None else at
    code = code.strip().replace(" ", "")
    return any(hmac.compare_digest(code_at(secret, now + i * STEP_S), code) for i in range(-window, window + 1))


def uri(secret: str, username: str, issuer: str = "UCM-Color") -> str:
    return f"otpauth://totp/{quote(issuer)}:{quote(username)}?secret={secret}&issuer={quote(issuer)}"
