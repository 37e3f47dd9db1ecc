"""A test's missing prerequisite (Node, the project's node_modules) skips it on a developer's machine and
fails it in CI, as tests/prerequisites.ts does for the TypeScript suite: a CI run that quietly skips a
test is green while testing less."""
from __future__ import annotations

import os
import shutil

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def in_ci(env=os.environ) -> bool:
    """CI=true or CI=1 (what .ci/run exports and most CI services set)."""
    return env.get("CI") in ("true", "1")


def require(present: bool, what: str, setup: str, env=os.environ) -> None:
    if present:
        return
    message = f"{what} is missing, so this test cannot run. Install it: {setup}."
    if in_ci(env):
        pytest.fail(f"{message} In CI (CI={env.get('CI')}) this fails instead of skipping.")
    pytest.skip(message)


def require_node_modules(*packages: str) -> None:
    """npx and these packages of the project's node_modules."""
    missing = [p for p in packages if not os.path.isdir(os.path.join(REPO, "node_modules", p))]
    require(shutil.which("npx") is not None and not missing,
            f"npx or the project's node_modules ({', '.join(missing or packages)})", "npm ci in the repository root")
