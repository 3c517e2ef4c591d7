"""The baseline gate shared by the evaluation scripts: floors pinned in evaluation/baseline.json
with a hash of the evaluation data, in the manner of trafilatura's evaluation gate.

A section of the baseline holds {"data_sha256": ..., "floors": {metric: floor}, "measured":
...}, and for metrics where lower is better (an error ratio, a delay) "ceilings": {metric:
ceiling}. `problems` says what fails (data changed, a metric below its floor or above its
ceiling); `pin` computes new floors (or ceilings) from measured values and refuses to loosen one
unless asked to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

BASELINE = Path(__file__).resolve().parent / "baseline.json"


def load() -> dict:
    return json.loads(BASELINE.read_text("utf-8")) if BASELINE.exists() else {}


def save(baseline: dict) -> None:
    BASELINE.write_text(json.dumps(baseline, indent=2, ensure_ascii=False) + "\n", "utf-8")


def problems(section: str, measured: Mapping[str, float | None], digest: str) -> list[str]:
    """Why the measured values fail the floors pinned under `section` (empty: they pass)."""
    pinned = load().get(section)
    if not pinned:
        return [f"no floors pinned under {section!r} in evaluation/baseline.json (run --update)"]
    found = []
    if pinned.get("data_sha256") != digest:
        found.append(f"evaluation data changed: sha256 {digest} != pinned "
                     f"{pinned.get('data_sha256')} (re-pin with --update after review)")
    for key, floor in pinned.get("floors", {}).items():
        got = measured.get(key)
        if got is None or got < floor:
            found.append(f"{key} = {got if got is None else round(got, 4)}, "
                         f"expected >= floor {floor}")
    for key, ceiling in pinned.get("ceilings", {}).items():
        got = measured.get(key)
        if got is None or got > ceiling:
            found.append(f"{key} = {got if got is None else round(got, 4)}, "
                         f"expected <= ceiling {ceiling}")
    return found


def pin(section: str, measured: Mapping[str, float], keys: Iterable[str], noise: float,
        allow_lower: bool, ceilings: bool = False) -> dict[str, float]:
    """Floors = measured - `noise` for `keys`; SystemExit rather than lower a pinned floor.

    With `ceilings`, ceilings = measured + `noise`, and SystemExit rather than raise one.
    """
    old = load().get(section, {}).get("ceilings" if ceilings else "floors", {})
    pinned = {}
    for key in keys:
        new = round(measured[key] + noise if ceilings else measured[key] - noise, 3)
        if key in old and (new > old[key] if ceilings else new < old[key]) and not allow_lower:
            what = "raise the ceiling" if ceilings else "lower the floor"
            raise SystemExit(f"refusing to {what} of {key} from {old[key]} to {new} "
                             "(pass --allow-lower to do it on purpose)")
        pinned[key] = new
    return pinned
