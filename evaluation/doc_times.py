"""Count series built from the publication times of real Vietnamese articles, for evaluation.alerts.

The saved pages in ../shared/data/web carry the publication times of real Vietnamese press articles
in two places: the gold `published` of each Vietnamese article in the manifest, and the article ids
of Tuổi Trẻ / Dân Trí style links (`…-20260307075519174.htm`: year, month, day, hour, minute,
second, milliseconds, Vietnam time), which every saved page of those outlets links to by the dozen
(related and latest articles, published 2019-2026). `press_times()` collects them, one per article.

Forum posts and comments there are left out on purpose: they come from a few threads, so their
times cluster in two or three afternoons and would make a day of one thread, not a day of press.

`PressLaw.of(times).series()` builds a topic's 15-minute count series from those times: each day
draws its number of articles from a Poisson law around `per_day`, and each article's time of day is
a real article's moved by a normal jitter: a kernel density estimate of the day's rhythm, whose
width is the one that best predicts each real time from the others (leave-one-out likelihood; about
an hour on the 79 times here). Narrower kernels would turn eighty real times into eighty sharp lumps
that no real rhythm has. The series keeps the real press rhythm of a day (quiet small hours, the
morning and afternoon peaks) and nothing else: no story clustering and no drift of the level, which
the NAB-based series of evaluation.alerts supply. The weekday is not taken from the real times: most
of them fall in the three days before the pages were saved (5-7 March 2026), so their weekdays say
when the pages were captured, not how the week goes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from scipy import stats

from crawlers.dates import parse_date
from langnghe.document import VN_TZ

WEB = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "web"
ARTICLE_ID = re.compile(r"-(\d{14})\d{3}\.html?\b")  # 14 digits of time + 3 of milliseconds
BUCKET = timedelta(minutes=15)
SLOT_MIN = BUCKET.total_seconds() / 60.0
DAY_MIN = 1440.0
BANDWIDTHS = (5.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, 90.0, 120.0, 180.0, 240.0)  # minutes


def _vietnamese_pages(root: Path) -> list[tuple[dict, Path]]:
    out = []
    with (root / "manifest.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            entry = json.loads(line)
            if entry.get("lang") == "vi" and entry["kind"] in ("article", "listing"):
                out.append((entry, root / entry["path"]))
    return out


def press_times(root: Path = WEB) -> list[datetime]:
    """Publication times (Vietnam time) of the distinct real Vietnamese articles found in `root`."""
    found: dict[str, datetime] = {}
    for entry, path in _vietnamese_pages(root):
        gold = entry.get("gold") or {}
        published = parse_date(gold.get("published")) if entry["kind"] == "article" else None
        if published is not None and entry.get("url"):
            own_id = ARTICLE_ID.findall(entry["url"])  # the same article as its id in links
            found[own_id[0] if own_id else entry["url"]] = published.astimezone(VN_TZ)
        text = path.read_text(encoding="utf-8", errors="replace")
        for stamp in ARTICLE_ID.findall(text):
            try:
                when = datetime.strptime(stamp, "%Y%m%d%H%M%S").replace(tzinfo=VN_TZ)
            except ValueError:  # a long number that is no timestamp
                continue
            found.setdefault(stamp, when)
    return sorted(found.values())


def _around(d: np.ndarray) -> np.ndarray:
    """Differences of times of day, wrapped into [-720, 720) minutes."""
    return (d + 720.0) % DAY_MIN - 720.0


def bandwidth(minutes: np.ndarray) -> float:
    """Kernel width (minutes) that best predicts each real time from the others (leave-one-out)."""
    if minutes.size < 2:
        return BANDWIDTHS[-1]
    diff = _around(minutes[:, None] - minutes[None, :])
    best, best_ll = BANDWIDTHS[-1], -np.inf
    for h in BANDWIDTHS:
        dens = sum(stats.norm.pdf(diff + k * DAY_MIN, 0.0, h) for k in (-1, 0, 1))
        np.fill_diagonal(dens, 0.0)
        ll = float(np.log(dens.sum(axis=1) / (minutes.size - 1) + 1e-300).sum())
        if ll > best_ll:
            best, best_ll = h, ll
    return best


@dataclass(frozen=True)
class PressLaw:
    """The day's rhythm of the real times: their times of day and the kernel width around them."""

    minutes: np.ndarray  # time of day of each real article, in minutes after midnight
    width: float  # the kernel's standard deviation, in minutes (bandwidth())

    @classmethod
    def of(cls, times: list[datetime]) -> PressLaw:
        if not times:
            raise ValueError("no real publication times to build a series from")
        minutes = np.array([t.hour * 60 + t.minute + t.second / 60.0 for t in times])
        return cls(minutes, bandwidth(minutes))

    def rate(self, per_day: float) -> np.ndarray:
        """The exact expected count of each 15-minute slot of a day under series()."""
        edges = np.arange(0.0, DAY_MIN + SLOT_MIN, SLOT_MIN)
        mass = np.zeros(edges.size - 1)
        for k in (-2, -1, 0, 1, 2):  # a kernel near midnight spills into the neighbouring days
            shifted = edges[None, :] + k * DAY_MIN - self.minutes[:, None]
            cdf = stats.norm.cdf(shifted / self.width)
            mass += np.diff(cdf, axis=1).sum(axis=0)
        return per_day * mass / self.minutes.size

    def series(self, per_day: float, days: int, start: datetime,
               rng: np.random.Generator) -> tuple[list[datetime], np.ndarray]:
        """15-minute counts over `days` days from `start` (a Vietnam-time midnight)."""
        per_bucket = int(timedelta(days=1) / BUCKET)
        counts = np.zeros(days * per_bucket)
        for day in range(days):
            n = rng.poisson(per_day)
            picked = rng.choice(self.minutes, size=n) + rng.normal(0.0, self.width, size=n)
            slots = (np.mod(picked, DAY_MIN) // SLOT_MIN).astype(int)
            np.add.at(counts, day * per_bucket + slots, 1)
        stamps = [start + k * BUCKET for k in range(counts.size)]
        return stamps, counts
