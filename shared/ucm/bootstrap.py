"""Wires adapters to ports from the settings: the cloud adapter when its variable is set, the
embedded default otherwise. One container per process (per FC instance), built lazily so a
function only pays for the peers it touches (cold start)."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ucm.config import Settings, settings
from ucm.db import Database
from ucm.ports import Cache, EventPublisher, ObjectStore, Olap, Search

if TYPE_CHECKING:
    from ucm.outbox import Relay

log = logging.getLogger(__name__)

T = TypeVar("T")
EMBEDDED_DB = "ucm"


def embedded_database(s: Settings) -> tuple[str, str]:
    """Start (or reuse) the embedded PostgreSQL in the data dir; return (owner, app) conninfo."""
    from ucm import provision
    from ucm.embedded.postgres import EmbeddedPostgres

    pg = EmbeddedPostgres(s.app.data_dir / "pg")
    pg.start()
    p = provision.ensure_database(pg.uri(), EMBEDDED_DB)
    return pg.uri(user=p.owner, database=EMBEDDED_DB), pg.uri(user=p.app, database=EMBEDDED_DB)


def use_embedded_database(s: Settings) -> None:
    """Point DB__CONN / DB__ADMIN_CONN at the embedded server, for this process and its children."""
    owner, app = embedded_database(s)
    os.environ["DB__CONN"] = app
    os.environ["DB__ADMIN_CONN"] = owner
    os.environ["DB__EMBEDDED"] = "1"
    s.db.conn, s.db.admin_conn, s.db.embedded = app, owner, True


class Container:
    def __init__(self, s: Settings | None = None, **ready: Any) -> None:
        """``ready`` supplies already-built adapters by port name (tests share one pool, one chdb)."""
        self.settings = s or settings()
        self._lock = threading.RLock()
        self._locks: dict[str, threading.Lock] = {}
        self._made: dict[str, Any] = dict(ready)
        self._owned: set[str] = set()  # what close() closes: only what it built itself
        self._unsubscribe: list[Callable[[], None]] = []

    def _get(self, name: str, make: Callable[[], T]) -> T:
        if name not in self._made:
            # One lock per port: building one adapter (an import, a connection) must not hold
            # up the others, e.g. the concurrent probes of the first /health.
            with self._lock:
                lock = self._locks.setdefault(name, threading.Lock())
            with lock:
                if name not in self._made:
                    self._made[name] = make()
                    self._owned.add(name)
        return self._made[name]  # type: ignore[no-any-return]

    # --- ports -----------------------------------------------------------------------------

    @property
    def db(self) -> Database:
        def make() -> Database:
            s = self.settings
            if not s.db.conn:
                use_embedded_database(s)
            assert s.db.conn
            return Database(s.db.conn, min_size=s.db.pool_min, max_size=s.db.pool_max, prepare=s.db.prepare,
                            adapter_name="embedded-postgres" if s.db.embedded else "postgres")

        return self._get("db", make)

    @property
    def cache(self) -> Cache:
        def make() -> Cache:
            from ucm.adapters.cache import MemoryCache, RedisCache

            url = self.settings.redis.conn
            return RedisCache(url) if url else MemoryCache()

        return self._get("cache", make)

    @property
    def olap(self) -> Olap:
        def make() -> Olap:
            from ucm.adapters.clickhouse import ClickHouseOlap

            ck = self.settings.ck
            if ck.http:
                return ClickHouseOlap.http(ck.http, ck.database)
            path = self.settings.app.data_dir / "chdb"
            path.mkdir(parents=True, exist_ok=True)
            return ClickHouseOlap.embedded(str(path), ck.database)

        return self._get("olap", make)

    @property
    def search(self) -> Search:
        def make() -> Search:
            o = self.settings.os
            if o.url:
                from ucm.adapters.search_opensearch import OpenSearchSearch

                return OpenSearchSearch(o.url, o.index_prefix)
            from ucm.adapters.search_pg import PgSearch

            return PgSearch(self.db)

        return self._get("search", make)

    @property
    def publisher(self) -> EventPublisher:
        def make() -> EventPublisher:
            brokers = self.settings.kafka.brokers
            if brokers:
                from ucm.adapters.kafka import KafkaPublisher

                return KafkaPublisher(brokers)
            from ucm.adapters.inprocess import InProcessPublisher

            return InProcessPublisher()

        return self._get("publisher", make)

    @property
    def objects(self) -> ObjectStore:
        def make() -> ObjectStore:
            o = self.settings.oss
            if o.endpoint:
                from ucm.adapters.objects import OssObjectStore

                return OssObjectStore(o.endpoint, o.bucket, o.access_key_id or "", o.access_key_secret or "",
                                      public_endpoint=o.public_endpoint)
            from ucm.adapters.objects import LocalObjectStore

            a = self.settings.app
            return LocalObjectStore(a.data_dir / "objects", o.bucket, a.secret, f"http://{a.host}:{a.port}")

        return self._get("objects", make)

    @property
    def relay(self) -> Relay:
        def make() -> Relay:
            from ucm.outbox import Relay

            relay = Relay(self.db, self.publisher)
            self._unsubscribe.append(self.db.on_commit(relay.after_commit))
            return relay

        return self._get("relay", make)

    def close(self) -> None:
        with self._lock:
            for unsubscribe in self._unsubscribe:
                unsubscribe()
            self._unsubscribe.clear()
            for name, obj in list(self._made.items()):
                close = getattr(obj, "close", None) if name in self._owned else None
                if callable(close):
                    try:
                        close()
                    except Exception:
                        log.warning("closing %s failed", name, exc_info=True)
            self._made.clear()


_container: Container | None = None
_container_lock = threading.Lock()


def container() -> Container:
    global _container
    if _container is None:
        with _container_lock:
            if _container is None:
                _container = Container()
                _container.relay  # noqa: B018 - wire after-commit publishing from the start
    return _container


def reset(new: Container | None = None) -> None:
    """Tests and the runner swap the process-wide container."""
    global _container
    with _container_lock:
        if _container is not None and _container is not new:
            _container.close()
        _container = new
