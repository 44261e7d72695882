"""``ucm build-layer``: the folder ``s layer publish`` takes, with wheels for FC's python3.10."""

from __future__ import annotations

from pathlib import Path

from ucm.cli import LAYER_PYTHON, build_layer


def test_build_layer_for_the_fc_runtime(tmp_path: Path) -> None:
    python = build_layer(tmp_path / "layer")
    assert python == tmp_path / "layer" / "python"
    for package in ("ucm", "fastapi", "mangum", "psycopg", "psycopg_pool", "pydantic_settings", "oss2", "kafka",
                    "clickhouse_connect", "redis", "opensearchpy", "crcmod"):
        assert (python / package).is_dir(), package
    assert (python / "ucm" / "fc" / "app.py").is_file()
    assert not list((python / "ucm").rglob("__pycache__"))
    tag = "cpython-" + LAYER_PYTHON.replace(".", "")
    core = list((python / "pydantic_core").glob("*.so"))
    assert core and all(tag in p.name for p in core)  # built for FC's interpreter, not this one
    assert not (python / "uvicorn").exists() and not (python / "chdb").exists()  # laptop-only extras stay out
