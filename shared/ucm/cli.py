"""``ucm`` command line: migrations, relay, functions, s.yaml and the FC layer.

    ucm migrate                 apply PostgreSQL and ClickHouse migrations
    ucm relay                   publish unsent outbox rows once
    ucm functions               list functions and their triggers
    ucm s-yaml [--check]        write s.yaml from the registry (or check it agrees)
    ucm build-layer [--out D]   build the layer folder (D/python/…) for `s layer publish`
    ucm config                  show which adapter each port uses
    ucm create-admin --username U   create the first HQ admin
    ucm reindex sku             rebuild the SKU search index from the database
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from ucm.config import PROJECT_ROOT, ConfigError, load_settings

LAYER_PYTHON = "3.10"  # FC's python3.10 runtime: wheels are chosen for it, not for this machine
LAYER_PLATFORM = "manylinux2014_x86_64"


def _cmd_migrate(args: argparse.Namespace) -> int:
    from local.runner import prepare

    c = prepare(load_settings())
    c.close()
    print("migrations applied")
    return 0


def _cmd_relay(args: argparse.Namespace) -> int:
    from ucm.bootstrap import container
    from ucm.fc.discovery import load_functions

    load_functions()
    print(f"sent {container().relay.sweep()} events")
    return 0


def _cmd_functions(args: argparse.Namespace) -> int:
    from ucm.fc.discovery import load_functions

    for name, app in sorted(load_functions().items()):
        parts = [f"{r.path} {','.join(r.methods)}" for r in app.routes]
        parts += [f"timer {t.cron}" for t in app.timers]
        parts += [f"oss {o.prefix}*{o.suffix}" for o in app.oss]
        parts += [f"kafka {','.join(k.topics)}" for k in app.kafka]
        print(f"{name}: " + "; ".join(parts))
    return 0


def _cmd_s_yaml(args: argparse.Namespace) -> int:
    from ucm.fc import s_yaml
    from ucm.fc.discovery import load_functions

    apps = load_functions()
    path = PROJECT_ROOT / "s.yaml"
    if args.check:
        diffs = s_yaml.differences(yaml.safe_load(path.read_text(encoding="utf-8")), apps)
        for d in diffs:
            print(d)
        return 1 if diffs else 0
    header = "# Generated from the function registry by `ucm s-yaml`; `ucm s-yaml --check` verifies it.\n"
    path.write_text(header + yaml.safe_dump(s_yaml.render(apps), allow_unicode=True, sort_keys=False,
                                            width=120), encoding="utf-8")
    print(f"wrote {path}")
    return 0


def layer_requirements() -> list[str]:
    """The project's runtime dependencies (not the local/dev extras), from its installed metadata."""
    from importlib.metadata import requires

    return [r for r in requires("ucm-backoffice") or [] if "extra ==" not in r]


# Dependencies PyPI ships only as source. They are pure Python (crcmod's C speed-up is optional:
# built with no compiler it falls back to its pure module), so wheels built here fit FC's 3.10.
SOURCE_ONLY = ["oss2", "aliyun-python-sdk-core", "crcmod"]


def build_layer(out: Path) -> Path:
    """``out/python/`` holds ucm and its dependencies, as wheels for FC's Linux python3.10."""
    import os

    target, wheels = out / "python", out / ".wheels"
    for folder in (target, wheels):
        if folder.exists():
            shutil.rmtree(folder)
    target.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet"]
    subprocess.run([*pip, "wheel", "--no-deps", "--no-cache-dir", "--wheel-dir", str(wheels), *SOURCE_ONLY], check=True,
                   env={**os.environ, "CC": "/bin/false"})
    subprocess.run(
        [*pip, "install", "--no-compile", "--no-warn-conflicts", "--target", str(target), "--find-links", str(wheels),
         "--python-version", LAYER_PYTHON, "--platform", LAYER_PLATFORM, "--implementation", "cp",
         "--only-binary=:all:", *layer_requirements()],
        check=True,
    )
    shutil.copytree(PROJECT_ROOT / "shared" / "ucm", target / "ucm",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    tag = "cpython-" + LAYER_PYTHON.replace(".", "")
    wrong = [p for p in target.rglob("*.cpython-*.so") if tag not in p.name]
    if wrong:
        raise RuntimeError(f"extension modules built for another Python: {wrong[:3]}")
    shutil.rmtree(wheels)
    return target


def _cmd_build_layer(args: argparse.Namespace) -> int:
    target = build_layer(Path(args.out).resolve())
    print(f"layer folder ready: {target.parent}  (s layer publish --layer-name ucm-shared "
          f"--code {target.parent} --compatible-runtime python3.10)")
    return 0


def _cmd_create_admin(args: argparse.Namespace) -> int:
    import getpass

    from ucm.bootstrap import container
    from ucm.errors import Problem
    from ucm.identity import users

    password = args.password or getpass.getpass("新管理员密码：")
    try:
        created = users.ensure_admin(container().db, args.username, password)
    except Problem as p:
        print(f"{p.title}：{'；'.join(e.message for e in p.errors)}", file=sys.stderr)
        return 2
    print("created" if created else f"user {args.username} exists already; nothing changed")
    return 0


def _cmd_reindex(args: argparse.Namespace) -> int:
    import time

    from ucm.bootstrap import container
    from ucm.catalog import search_index

    c = container()
    started = time.perf_counter()
    n = search_index.reindex_all(c.db, c.search, batch=args.batch)
    print(f"reindexed {n} {args.kind} documents into {c.search.adapter_name} "
          f"in {time.perf_counter() - started:.1f} s")
    return 0


def _cmd_inventory_check(args: argparse.Namespace) -> int:
    from ucm import context
    from ucm.bootstrap import container
    from ucm.inventory import stock

    with context.use(context.system("cli")):
        drift = stock.check_invariants(container().db)
    for d in drift:
        print(f"drift store={d.store_id} sku={d.sku_id} {d.measure}={d.balance} expected={d.ledger_sum}")
    print(f"{len(drift)} store × SKU with drift" if drift else "ok: every balance equals its ledger sum and its rows")
    return 1 if drift else 0


def _cmd_inventory_alerts(args: argparse.Namespace) -> int:
    from ucm import context
    from ucm.bootstrap import container
    from ucm.inventory import alerts

    with context.use(context.system("cli")):
        out = alerts.evaluate(container().db)
    print(" ".join(f"{k}={v}" for k, v in out.items()))
    return 0


def _cmd_config(args: argparse.Namespace) -> int:
    s = load_settings()
    print(f"oltp:    {'postgres ' + s.db.conn.split('@')[-1] if s.db.conn else 'embedded-postgres'}")
    print(f"cache:   {'redis' if s.redis.conn else 'memory'}")
    print(f"olap:    {'clickhouse ' + s.ck.http if s.ck.http else 'chdb'}")
    print(f"search:  {'opensearch ' + s.os.url if s.os.url else 'postgres'}")
    print(f"events:  {'kafka ' + s.kafka.brokers if s.kafka.brokers else 'in-process'}")
    print(f"objects: {'oss ' + s.oss.endpoint if s.oss.endpoint else 'local-folder'} bucket={s.oss.bucket}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ucm", description="UCM-Color 后台命令行")
    sub = parser.add_subparsers(dest="cmd", required=True)
    sub.add_parser("migrate", help="执行数据库迁移（PostgreSQL 与 ClickHouse）").set_defaults(fn=_cmd_migrate)
    sub.add_parser("relay", help="补发未发送的事件").set_defaults(fn=_cmd_relay)
    sub.add_parser("functions", help="列出函数与触发器").set_defaults(fn=_cmd_functions)
    p = sub.add_parser("s-yaml", help="由函数注册表生成 s.yaml")
    p.add_argument("--check", action="store_true", help="只检查 s.yaml 是否与注册表一致")
    p.set_defaults(fn=_cmd_s_yaml)
    p = sub.add_parser("build-layer", help="构建 FC 层目录（python/…）")
    p.add_argument("--out", default=str(PROJECT_ROOT / "build" / "layer"))
    p.set_defaults(fn=_cmd_build_layer)
    sub.add_parser("config", help="显示各端口使用的适配器").set_defaults(fn=_cmd_config)
    p = sub.add_parser("create-admin", help="创建总部管理员（首次部署）")
    p.add_argument("--username", required=True)
    p.add_argument("--password", help="不给出时在终端询问（不会回显）")
    p.set_defaults(fn=_cmd_create_admin)
    p = sub.add_parser("reindex", help="重建搜索索引（从数据库读取全部商品）")
    p.add_argument("kind", choices=["sku"], help="要重建的索引")
    p.add_argument("--batch", type=int, default=2000, help="每批读取的商品数")
    p.set_defaults(fn=_cmd_reindex)
    sub.add_parser("inventory-check", help="核对库存：每个门店×商品的余额是否等于台账合计").set_defaults(
        fn=_cmd_inventory_check)
    sub.add_parser("inventory-alerts", help="评估库存预警：低库存与滞销（每日定时任务同样执行）").set_defaults(
        fn=_cmd_inventory_alerts)
    args = parser.parse_args(argv)
    from ucm import logs

    logs.setup("WARNING")
    try:
        s = load_settings()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    # A command that had to start the embedded PostgreSQL stops it again; one already running
    # (a `./dev up` in another terminal) is left alone.
    pg = None
    if not s.db.conn:
        from ucm.embedded.postgres import EmbeddedPostgres

        pg = EmbeddedPostgres(s.app.data_dir / "pg")
        pg = None if pg.is_running() else pg
    try:
        return int(args.fn(args))
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    finally:
        if pg is not None:
            from ucm.bootstrap import reset

            reset(None)
            pg.stop()


if __name__ == "__main__":
    sys.exit(main())
