"""The import rule holds over src/tickerpulse, and the checker catches each kind of break.

The rule (tests/import_rules.py): web → platform/analytics/jobs →
db/lake/enrich/sources → domain/config, no cycles between units or modules,
and no HTTP in platform/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tickerpulse
from tests.import_rules import LAYERS, cycle_violations, imports, layer_violations

SOURCE = Path(tickerpulse.__file__).parent


def test_the_package_keeps_its_layers() -> None:
    problems = layer_violations(SOURCE)
    assert not problems, "imports against the layering:\n" + "\n".join(problems)


def test_the_package_has_no_import_cycles() -> None:
    cycles = cycle_violations(SOURCE)
    assert not cycles, "\n".join(cycles)


def test_every_unit_of_the_package_is_on_a_layer() -> None:
    modules = {p.stem for p in SOURCE.glob("*.py")}
    packages = {p.name for p in SOURCE.iterdir() if (p / "__init__.py").is_file()}
    assert (modules | packages) - set(LAYERS) == set()


def _tree(root: Path, files: dict[str, str]) -> Path:
    """A fake ``tickerpulse`` package under ``root`` with these modules and their sources."""
    package = root / "tickerpulse"
    for name, text in {"__init__.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


CLEAN = {
    "config.py": "",
    "db/__init__.py": "",
    "db/engine.py": "from tickerpulse.config import Settings\n",
    "platform/__init__.py": "",
    "platform/accounts.py": "from tickerpulse.db import engine\n",
    "jobs/__init__.py": "",
    "jobs/cycle.py": "from tickerpulse.platform.accounts import reader_tier\n",
    "web/__init__.py": "",
    "web/app.py": "from fastapi import FastAPI\nfrom tickerpulse.platform import accounts\n",
}


def test_a_clean_fake_tree_passes(tmp_path: Path) -> None:
    root = _tree(tmp_path, CLEAN)
    assert layer_violations(root) == [] and cycle_violations(root) == []


def test_an_upward_import_is_named_with_its_file_and_line(tmp_path: Path) -> None:
    planted = "def deliver():\n    from tickerpulse.web.app import FastAPI\n"  # lazy, still counted
    root = _tree(tmp_path, {**CLEAN, "jobs/context.py": planted})
    problems = layer_violations(root)
    assert problems == [
        f"{root / 'jobs' / 'context.py'}:2 imports tickerpulse.web.app: "
        "jobs (layer 3) may not import web (layer 4)"
    ]


def test_http_in_platform_is_refused(tmp_path: Path) -> None:
    planted = "from starlette.requests import Request\n"
    root = _tree(tmp_path, {**CLEAN, "platform/usage.py": planted})
    problems = layer_violations(root)
    assert problems == [
        f"{root / 'platform' / 'usage.py'}:1 imports starlette.requests: platform/ holds no HTTP"
    ]


def test_a_unit_on_no_layer_is_refused(tmp_path: Path) -> None:
    root = _tree(tmp_path, {**CLEAN, "gadgets/__init__.py": "from tickerpulse import config\n"})
    assert layer_violations(root) == [
        f"{root / 'gadgets' / '__init__.py'}: unit 'gadgets' is on no layer (add it to LAYERS)"
    ]


def test_a_cycle_between_units_of_one_layer_names_each_import(tmp_path: Path) -> None:
    planted = "from tickerpulse.jobs import cycle\n"
    root = _tree(tmp_path, {**CLEAN, "platform/alerts.py": planted})
    assert layer_violations(root) == []  # same layer: the direction is allowed, the loop is not
    cycles = cycle_violations(root)
    assert cycles == [
        "import cycle between jobs, platform:\n"
        f"    {root / 'jobs' / 'cycle.py'}:1 imports tickerpulse.platform.accounts\n"
        f"    {root / 'platform' / 'alerts.py'}:1 imports tickerpulse.jobs.cycle"
    ]


def test_a_cycle_between_modules_of_one_unit_is_found(tmp_path: Path) -> None:
    tree = {
        **CLEAN,
        "jobs/transform.py": "def run():\n    from tickerpulse.jobs.engines.spark import go\n",
        "jobs/engines/__init__.py": "",
        "jobs/engines/spark.py": "from tickerpulse.jobs import transform\n",
    }
    root = _tree(tmp_path, tree)
    cycles = cycle_violations(root)
    assert len(cycles) == 1
    assert cycles[0].startswith(
        "import cycle between tickerpulse.jobs.engines.spark, tickerpulse.jobs.transform:"
    )
    assert f"{root / 'jobs' / 'transform.py'}:2 imports tickerpulse.jobs.engines.spark" in cycles[0]


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("from tickerpulse.platform import accounts\n", "tickerpulse.platform.accounts"),
        ("from tickerpulse.db.engine import Settings\n", "tickerpulse.db.engine"),
        ("import tickerpulse.db.engine as e\n", "tickerpulse.db.engine"),
        ("from .accounts import x\n", "tickerpulse.platform.accounts"),
        ("from . import accounts\n", "tickerpulse.platform.accounts"),
    ],
)
def test_imports_resolve_to_the_module_they_name(tmp_path: Path, source: str, target: str) -> None:
    root = _tree(tmp_path, {**CLEAN, "platform/probe.py": source})
    found = [i.target for i in imports(root) if i.path.name == "probe.py"]
    assert found == [target]
