"""Keyset cursors: what a page hands out comes back as the same key; a tampered cursor is a 400
with the common code, never a server error."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from ucm import pagination
from ucm.errors import Problem
from ucm.text import contains_pattern


def test_a_newest_first_cursor_round_trips() -> None:
    at = datetime(2026, 11, 29, 13, 5, 7, 123456, tzinfo=timezone.utc)
    page = pagination.page([{"created_at": at, "id": "t1"}, {"created_at": at, "id": "t0"}], 1, ("created_at", "id"))
    assert pagination.decode_newest(page["next_cursor"]) == (at, "t1")
    assert pagination.decode_newest(None) == (None, None)


def test_an_integer_cursor_round_trips() -> None:
    page = pagination.page([{"id": 42}, {"id": 41}], 1, ("id",))
    assert pagination.decode_int(page["next_cursor"]) == 42


@pytest.mark.parametrize("cursor", ["%%%", pagination.encode(["yesterday", "t1"]), pagination.encode([None, "t1"]),
                                    pagination.encode(["2026-11-29T00:00:00+00:00"])])
def test_a_tampered_time_cursor_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(Problem) as e:
        pagination.decode_newest(cursor)
    assert (e.value.status, e.value.code) == (400, "common.cursor")


@pytest.mark.parametrize("key", [["12"], [True], [1.5], [None]])
def test_a_tampered_integer_cursor_is_a_bad_request(key: list[object]) -> None:
    with pytest.raises(Problem) as e:
        pagination.decode_int(pagination.encode(key))
    assert (e.value.status, e.value.code) == (400, "common.cursor")


def test_a_contains_pattern_takes_the_users_wildcards_literally() -> None:
    assert contains_pattern("50%_off\\") == "%50\\%\\_off\\\\%"
