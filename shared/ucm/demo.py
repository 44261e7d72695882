"""Demo data for a first run on a laptop: enough that every screen has something to show.
Idempotent: running it again adds nothing. The demo admin is printed in the README."""

from __future__ import annotations

import logging

from ucm import context
from ucm.bootstrap import Container
from ucm.identity import org, permissions, users
from ucm.identity.principal import Principal

log = logging.getLogger(__name__)

WELCOME_KEY = "uploads/demo/欢迎使用.txt"
WELCOME = "欢迎使用 UCM-Color 连锁超市后台。\n此文件由演示数据生成，用于展示“上传 → 登记 → 事件 → 报表”的链路。\n"
ADMIN_USER, ADMIN_PASSWORD = "admin", "Retail@2026"
REGIONS = (("EAST", "华东"), ("SOUTH", "华南"))
STORES = (
    ("S001", "上海徐汇店", "EAST", "上海市徐汇区漕溪北路 88 号"),
    ("S002", "上海浦东店", "EAST", "上海市浦东新区世纪大道 100 号"),
    ("S003", "杭州西湖店", "EAST", "杭州市西湖区文三路 200 号"),
    ("S004", "广州天河店", "SOUTH", "广州市天河区天河路 300 号"),
)
_SYSTEM = Principal("user", "demo", "演示数据", permissions.CODES, True, frozenset())


def seed(c: Container) -> None:
    with context.use(context.system("demo", actor="system:demo")):
        if users.ensure_admin(c.db, ADMIN_USER, ADMIN_PASSWORD):
            log.info("demo data: admin created", extra={"fields": {"username": ADMIN_USER}})
        regions = {r["code"]: r["id"] for r in org.list_regions(c.db)["items"]}
        for code, name in REGIONS:
            if code not in regions:
                regions[code] = org.create_region(c.db, _SYSTEM, code, name)["id"]
        stores = {s["code"] for s in org.list_stores(c.db, None, None, None, 500, None)["items"]}
        for code, name, region, address in STORES:
            if code not in stores:
                org.create_store(c.db, _SYSTEM, org.StoreInput(code, name, regions[region], address,
                                                                   "07:00-23:00", "active", "Asia/Shanghai"))
    if c.objects.head(WELCOME_KEY) is None:
        c.objects.put(WELCOME_KEY, WELCOME.encode(), "text/plain; charset=utf-8")
        log.info("demo data: welcome upload stored", extra={"fields": {"key": WELCOME_KEY}})
