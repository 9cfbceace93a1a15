"""Our top-level names belong to us alone, and imports run one way."""

from __future__ import annotations

import ast
import importlib.metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("kudos", "gamify", "feedback", "analytics")


@pytest.mark.parametrize("name", OURS)
def test_top_level_name_maps_to_our_distribution_alone(name):
    # A set: run from the checkout (python -m pytest), the editable install's metadata is
    # found twice, once through the working directory, and both copies are ours.
    assert set(importlib.metadata.packages_distributions()[name]) == {"kudos"}


def test_distribution_is_marked_private():
    classifiers = importlib.metadata.metadata("kudos").get_all("Classifier")
    assert "Private :: Do Not Upload" in classifiers


def imports_of(path: Path, top_level_only: bool) -> set[str]:
    """Return the first-party packages a module imports (at module level, or anywhere)."""
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & set(OURS)


def modules(package: str):
    return sorted((ROOT / package).rglob("*.py"))


def test_core_imports_no_feature_package_outside_create_app():
    for path in modules("kudos"):
        assert imports_of(path, top_level_only=True) <= {"kudos"}, path
        if path.name != "__init__.py":
            assert imports_of(path, top_level_only=False) <= {"kudos"}, path


def test_features_import_one_way():
    allowed = {
        "gamify": {"kudos", "gamify"},
        "feedback": {"kudos", "feedback", "gamify"},
        "analytics": {"kudos", "analytics", "gamify", "feedback"},
    }
    for package, permitted in allowed.items():
        for path in modules(package):
            assert imports_of(path, top_level_only=False) <= permitted, path


def test_nothing_imports_analytics():
    for package in ("kudos", "gamify", "feedback"):
        for path in modules(package):
            # create_app (in kudos/__init__.py) registers the blueprint: the one import allowed.
            top_level_only = package == "kudos" and path.name == "__init__.py"
            assert "analytics" not in imports_of(path, top_level_only=top_level_only), path


def test_features_never_import_from_the_kudos_package_root():
    for package in ("gamify", "feedback", "analytics"):
        for path in modules(package):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "kudos":
                    pytest.fail(f"{path} uses 'from kudos import ...'")
