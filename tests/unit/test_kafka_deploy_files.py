"""The Kafka broker and Spark connector deploy files are well-formed and match what is installed."""

import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

DEPLOY = Path(__file__).parents[2] / "deploy"
NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def test_the_broker_script_parses_and_stops_on_errors() -> None:
    script = DEPLOY / "kafka" / "kafka.sh"
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    assert "set -euo pipefail" in script.read_text()


def test_the_broker_script_explains_itself_without_arguments() -> None:
    done = subprocess.run(
        ["bash", str(DEPLOY / "kafka" / "kafka.sh")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2 and "start|stop|status" in done.stderr


def _property(pom: Path, name: str) -> str:
    value = ET.parse(pom).getroot().find(f"m:properties/m:{name}", NS)
    assert value is not None and value.text
    return value.text


@pytest.mark.spark  # pyspark is the spark extra: this runs with the Spark tests
def test_the_spark_connector_is_built_for_the_installed_pyspark() -> None:
    import pyspark

    pom = DEPLOY / "spark" / "pom.xml"
    connector = _property(pom, "spark.version")
    assert connector.split(".")[0] == pyspark.__version__.split(".")[0]
    jars = Path(pyspark.__file__).parent / "jars"
    (scala,) = {p.name.split("_")[1][:4] for p in jars.glob("spark-core_*.jar")}
    artifacts = [a.text for a in ET.parse(pom).getroot().iterfind(".//m:artifactId", NS)]
    assert f"spark-sql-kafka-0-10_{scala}" in artifacts


def test_the_broker_pom_pins_kafka_and_its_logging_backend() -> None:
    pom = DEPLOY / "kafka" / "pom.xml"
    assert _property(pom, "kafka.version").startswith("4.")
    artifacts = {a.text for a in ET.parse(pom).getroot().iterfind(".//m:artifactId", NS)}
    assert {"kafka_2.13", "log4j-core", "log4j-slf4j-impl"} <= artifacts
