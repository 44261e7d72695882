"""Errors that reach a caller: a stable code, an HTTP status and a zh-CN title a shop manager
understands (API-CONVENTIONS.md, "Errors"). Services raise these; the web layer renders them
as ``application/problem+json``; event handlers let them propagate so the trigger retries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class Problem(Exception):
    status: int
    code: str
    title: str
    detail: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.title}" + (f" ({self.detail})" if self.detail else "")

    def body(self, request_id: str | None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "about:blank",
            "status": self.status,
            "code": self.code,
            "title": self.title,
            "detail": self.detail,
            "request_id": request_id,
        }
        if self.errors:
            out["errors"] = [e.to_dict() for e in self.errors]
        return out


def bad_request(code: str, title: str, detail: str | None = None, errors: list[FieldError] | None = None) -> Problem:
    return Problem(400, code, title, detail, errors or [])


def not_found(code: str = "common.not_found", title: str = "找不到该记录，或您无权查看",
              detail: str | None = None) -> Problem:
    return Problem(404, code, title, detail)


def conflict(code: str, title: str, detail: str | None = None) -> Problem:
    return Problem(409, code, title, detail)


def unprocessable(code: str, title: str, detail: str | None = None) -> Problem:
    return Problem(422, code, title, detail)


def unavailable(code: str, title: str, detail: str | None = None) -> Problem:
    return Problem(503, code, title, detail)
