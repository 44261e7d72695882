"""Demo data for a first run on a laptop: enough that every screen has something to show.
Idempotent: running it again adds nothing."""

from __future__ import annotations

import logging

from ucm.bootstrap import Container

log = logging.getLogger(__name__)

WELCOME_KEY = "uploads/demo/欢迎使用.txt"
WELCOME = "欢迎使用 UCM-Color 连锁超市后台。\n此文件由演示数据生成，用于展示“上传 → 登记 → 事件 → 报表”的链路。\n"


def seed(c: Container) -> None:
    if c.objects.head(WELCOME_KEY) is None:
        c.objects.put(WELCOME_KEY, WELCOME.encode(), "text/plain; charset=utf-8")
        log.info("demo data: welcome upload stored", extra={"fields": {"key": WELCOME_KEY}})
