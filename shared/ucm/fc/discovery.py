"""Finds the functions: every ``functions/<name>/index.py`` declares one ``FunctionApp``."""

from __future__ import annotations

import importlib.util
import sys
import threading
from pathlib import Path

from ucm.config import PROJECT_ROOT
from ucm.fc.app import FunctionApp, registry

FUNCTIONS_DIR = PROJECT_ROOT / "functions"
_lock = threading.Lock()


def function_dirs(root: Path = FUNCTIONS_DIR) -> list[Path]:
    return sorted(p.parent for p in root.glob("*/index.py"))


def load_functions(root: Path = FUNCTIONS_DIR) -> dict[str, FunctionApp]:
    """Import every function module once; return the registry (name → app)."""
    with _lock:
        for folder in function_dirs(root):
            mod_name = f"ucm_function_{folder.name.replace('-', '_')}"
            if mod_name in sys.modules:
                continue
            spec = importlib.util.spec_from_file_location(mod_name, folder / "index.py")
            assert spec and spec.loader
            module = importlib.util.module_from_spec(spec)
            sys.modules[mod_name] = module
            spec.loader.exec_module(module)
            app = getattr(module, "app", None)
            if not isinstance(app, FunctionApp) or getattr(module, "handler", None) != app.handler:
                raise RuntimeError(f"{folder}/index.py must define app = FunctionApp(...) and handler = app.handler")
            module.__dict__["FUNCTION_DIR"] = folder
    return registry()


def function_dir_of(app: FunctionApp) -> Path:
    for folder in function_dirs():
        mod = sys.modules.get(f"ucm_function_{folder.name.replace('-', '_')}")
        if mod is not None and getattr(mod, "app", None) is app:
            return folder
    raise LookupError(app.name)
