"""docs/tiers.md's matrix says what ``platform/tiers.py`` decides, feature by feature."""

from __future__ import annotations

import re
from pathlib import Path

from tickerpulse.platform.tiers import DEFAULT_MATRIX, Feature, Tier

DOC = Path(__file__).resolve().parents[2] / "docs" / "tiers.md"
PLANS = (Tier.FREE, Tier.PRO, Tier.PREMIUM)


def matrix_rows() -> list[list[str]]:
    """The matrix's body rows as cells (a ``\\|`` inside a cell is not a separator)."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("| | Feature key |") :].split("\n\n", 1)[0].splitlines()
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]] for line in table[2:]]


def test_every_feature_is_in_the_docs_matrix_with_the_plan_the_code_requires() -> None:
    documented: dict[Feature, Tier] = {}
    for row in matrix_rows():
        assert len(row) == 6, row
        key, needs, plans = row[1].strip("`"), row[2], row[3:]
        if not key:
            assert not needs and all(not p.startswith("—") for p in plans), row
            continue
        feature, tier = Feature(key), Tier.parse(needs)
        documented[feature] = tier
        for plan, cell in zip(PLANS, plans, strict=True):
            if plan >= tier:
                assert not cell.startswith("—"), row  # the plans that have it say what they get
        if plans[0].startswith("—"):  # no limited version below: the first plan with it is needs
            first = next(p for p, c in zip(PLANS, plans, strict=True) if not c.startswith("—"))
            assert first == tier, row
    assert documented == dict(DEFAULT_MATRIX)
