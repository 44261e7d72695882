"""Text helpers for Chinese product data: pinyin keys for search, and barcode normalisation.

Pure functions. pypinyin is imported on first use: loading its dictionaries costs ~0.3 s,
which a function that never searches should not pay on a cold start.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

# Full-width ASCII (U+FF01–U+FF5E) sits at a fixed offset from ASCII; U+3000 is the
# ideographic space. Only these are mapped (NFKC would also rewrite ①, ½, ㎖ …).
_HALF_WIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_NOT_KEY = re.compile(r"[^a-z0-9]+")
_SPACE = re.compile(r"\s+")


def contains_pattern(text: str) -> str:
    """An ILIKE pattern matching ``text`` anywhere, the user's own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def to_half_width(text: str) -> str:
    return text.translate(_HALF_WIDTH)


def normalize_code(text: str) -> str:
    """A barcode or code as typed or scanned: full-width characters made half-width, spaces removed.

    ``"６９０ １２３４ ５６７８９"`` → ``"690123456789"``.
    """
    return _SPACE.sub("", to_half_width(text))


@cache
def _lazy_pinyin() -> tuple[Callable[..., list[str]], object, object]:
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin, Style.NORMAL, Style.FIRST_LETTER


def _pinyin_key(text: str, initials: bool) -> str:
    lazy_pinyin, normal, first_letter = _lazy_pinyin()
    parts = lazy_pinyin(to_half_width(text), style=first_letter if initials else normal)
    # Non-Chinese runs ("330ml", "Coca-Cola") come back as-is; keep their letters and
    # digits so that "kkkl330" still finds 可口可乐 330ml.
    return _NOT_KEY.sub("", "".join(parts).lower())


def pinyin_full(text: str) -> str:
    """Toneless pinyin, joined and lower-case: ``"可口可乐 330ml"`` → ``"kekoukele330ml"``."""
    return _pinyin_key(text, initials=False)


def pinyin_initials(text: str) -> str:
    """First letter of each syllable: ``"可口可乐 330ml"`` → ``"kkkl330ml"``."""
    return _pinyin_key(text, initials=True)
