"""Configuration from the environment (names as in the plan: ``DB__CONN``, ``REDIS__CONN`` …).

Unset means the embedded default. A wrong value fails at start with one line naming the
variable (``ConfigError``), never with a stack trace.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The checkout (functions/, migrations/, ui/); UCM_ROOT when ucm is installed elsewhere (images).
PROJECT_ROOT = Path(os.environ.get("UCM_ROOT") or Path(__file__).resolve().parents[2])


class ConfigError(RuntimeError):
    """A setting has a value the system cannot use; the message names the variable."""


def _url(value: str | None, schemes: tuple[str, ...], what: str) -> str | None:
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in schemes or (not parts.netloc and not parts.query):
        raise ValueError(f"需要 {what}（{' / '.join(s + '://…' for s in schemes)}），收到 {value!r}")
    return value


_HOSTPORT = re.compile(r"^[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


class DbSettings(BaseModel):
    conn: str | None = None  # app role (no table ownership, no BYPASSRLS); unset = embedded PostgreSQL
    admin_conn: str | None = None  # owner role for migrations; unset = conn
    embedded: bool = False  # set by the runner when it started the embedded server itself
    pool_min: int = 1
    pool_max: int = 8
    prepare: bool = True  # prepared statements; false behind a transaction-mode pooler that cannot keep them

    @field_validator("conn", "admin_conn")
    @classmethod
    def _pg(cls, v: str | None) -> str | None:
        if v and "://" not in v and "=" in v:  # libpq key=value form
            from psycopg.conninfo import conninfo_to_dict

            try:
                conninfo_to_dict(v)
            except Exception as exc:
                raise ValueError(f"不是合法的 PostgreSQL 连接串：{exc}") from None
            return v.strip()
        return _url(v, ("postgres", "postgresql"), "PostgreSQL 连接串")


class RedisSettings(BaseModel):
    conn: str | None = None  # redis://host:port/db or host:port (as in the plan); unset = in-process cache

    @field_validator("conn")
    @classmethod
    def _redis(cls, v: str | None) -> str | None:
        if v is None or v.strip() == "":
            return None
        v = v.strip()
        if _HOSTPORT.match(v):
            return f"redis://{v}"
        return _url(v, ("redis", "rediss", "unix"), "Redis 地址")


class CkSettings(BaseModel):
    http: str | None = None  # http://host:8123; unset = chdb in-process
    database: str = "ucm"

    @field_validator("http")
    @classmethod
    def _http(cls, v: str | None) -> str | None:
        return _url(v, ("http", "https"), "ClickHouse HTTP 地址")


class OsSettings(BaseModel):
    url: str | None = None  # http://host:9200; unset = PostgreSQL search
    index_prefix: str = "ucm"

    @field_validator("url")
    @classmethod
    def _os(cls, v: str | None) -> str | None:
        return _url(v, ("http", "https"), "OpenSearch 地址")


class KafkaSettings(BaseModel):
    brokers: str | None = None  # host:port[,host:port]; unset = in-process delivery from the outbox
    group_prefix: str = "ucm"

    @field_validator("brokers")
    @classmethod
    def _brokers(cls, v: str | None) -> str | None:
        if v is None or v.strip() == "":
            return None
        items = [b.strip() for b in v.split(",") if b.strip()]
        bad = [b for b in items if not _HOSTPORT.match(b)]
        if not items or bad:
            raise ValueError(f"需要 host:port[,host:port]，收到 {v!r}")
        return ",".join(items)


class OssSettings(BaseModel):
    endpoint: str | None = None  # https://oss-cn-hangzhou.aliyuncs.com or an S3/MinIO URL; unset = local folder
    bucket: str = "ucm-local"
    access_key_id: str | None = None
    access_key_secret: str | None = None
    region: str = "cn-hangzhou"
    public_endpoint: str | None = None  # what browsers use for presigned URLs, if not endpoint

    @field_validator("endpoint", "public_endpoint")
    @classmethod
    def _ep(cls, v: str | None) -> str | None:
        return _url(v, ("http", "https"), "OSS endpoint")

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9\-]{1,61}[a-z0-9]", v):
            raise ValueError(f"bucket 名只能含小写字母、数字和 -（3–63 位），收到 {v!r}")
        return v


_DEV_SECRET = "local-dev-secret-change-me"


class AppSettings(BaseModel):
    data_dir: Path = PROJECT_ROOT / ".data"  # embedded peers keep their data here between runs
    host: str = "127.0.0.1"
    port: int = 8080
    max_body_bytes: int = 10 * 1024 * 1024
    env: str = "local"
    secret: str = Field(default=_DEV_SECRET, validate_default=True)  # signs access tokens, local upload URLs
    demo_data: bool = True
    health_ttl_s: float = 1.0
    require_totp_for_hq: bool = False  # HQ admins must log in with a second factor

    @field_validator("port")
    @classmethod
    def _port(cls, v: int) -> int:
        if not 0 <= v <= 65535:
            raise ValueError("端口须在 0–65535 之间")
        return v

    @field_validator("secret")
    @classmethod
    def _secret(cls, v: str, info: ValidationInfo) -> str:
        if info.data.get("env", "local") != "local" and (v == _DEV_SECRET or len(v) < 32):
            raise ValueError("须设置为至少 32 位的随机字符串（APP__ENV 不是 local 时）")
        return v


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_nested_delimiter="__", extra="ignore", case_sensitive=False)

    db: DbSettings = DbSettings()
    redis: RedisSettings = RedisSettings()
    ck: CkSettings = CkSettings()
    os: OsSettings = OsSettings()
    kafka: KafkaSettings = KafkaSettings()
    oss: OssSettings = OssSettings()
    app: AppSettings = AppSettings()


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings; raise ConfigError with one line naming the offending variable."""
    saved: dict[str, str] | None = None
    if environ is not None:
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(environ)
    try:
        return Settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        var = "__".join(str(p).upper() for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"配置错误 {var}: {msg}") from None
    finally:
        if saved is not None:
            os.environ.clear()
            os.environ.update(saved)


@lru_cache(maxsize=1)
def settings() -> Settings:
    return load_settings()


def env_names() -> list[str]:
    """Every variable the settings read (``DB__CONN`` …): for s.yaml, docker-compose and docs."""
    out = []
    for section, info in Settings.model_fields.items():
        model = info.annotation
        for name in getattr(model, "model_fields", {}):
            out.append(f"{section.upper()}__{name.upper()}")
    return out
