"""The GCP deployment files are at least well-formed: shell parses, Python compiles."""

import py_compile
import subprocess
from pathlib import Path

import pytest

GCP = Path(__file__).parents[2] / "deploy" / "gcp"


@pytest.mark.parametrize("script", sorted(GCP.glob("*.sh")), ids=lambda p: p.name)
def test_shell_scripts_parse_and_stop_on_errors(script: Path) -> None:
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    assert "set -euo pipefail" in script.read_text()


@pytest.mark.parametrize("module", ["cycle_job.py", "function/main.py"])
def test_python_entry_points_compile(module: str, tmp_path: Path) -> None:
    py_compile.compile(str(GCP / module), cfile=str(tmp_path / "out.pyc"), doraise=True)


def test_every_variable_the_scripts_use_is_in_the_example_env() -> None:
    example = (GCP / "env.example").read_text()
    for name in ("PROJECT_ID", "REGION", "BUCKET", "SQL_INSTANCE", "INGEST_VM", "TOPIC"):
        assert f"export {name}=" in example


def test_the_web_service_gets_what_a_production_server_requires() -> None:
    script = (GCP / "5_web.sh").read_text()
    assert "SECRET_KEY=tickerpulse-secret-key:latest" in script
    assert "PUBLIC_URL=$PUBLIC_URL" in script and "WEB_HOST=0.0.0.0" in script
    assert "STRIPE_WEBHOOK_SECRET=" in script and "sandbox" not in script
    assert "DEMO_MODE" not in script
    assert "WEB_TRUSTED_PROXIES=*" in script and "METRICS_TOKEN=" in script
    assert "export PUBLIC_URL=" in (GCP / "env.example").read_text()
