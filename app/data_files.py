"""Reading the YAML files under `data/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from domain.errors import DomainError, ErrorCode
from infra.settings import ROOT

DATA_DIR = ROOT / "data"


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        content = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DomainError(ErrorCode.INVALID_INPUT, f"no such file: {path}") from None
    except yaml.YAMLError as exc:
        raise DomainError(ErrorCode.INVALID_INPUT, f"{path}: not valid YAML ({exc})") from None
    if not isinstance(content, dict):
        raise DomainError(ErrorCode.INVALID_INPUT, f"{path}: expected a mapping at the top")
    return content
