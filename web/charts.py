"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, nothing to install.

Chosen over a vendored JS library because the pages are server-rendered, the CSP allows no
inline scripts, leaders open them on phones over slow links, and an SVG prints as sharp as the
text in a PDF report. A chart is a `viewBox` scaled by CSS to the page width (375 px phones
included); every label is escaped.
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from markupsafe import Markup

from langnghe.document import VN_TZ

WIDTH, HEIGHT = 640, 220  # viewBox units; the CSS makes the SVG as wide as its container
PAD_L, PAD_R, PAD_T, PAD_B = 40, 24, 10, 46  # room for y labels, the last x label, legend
PALETTE = ("#0b5cad", "#b3261e", "#2e7d32", "#8a5a00", "#6a1b9a", "#00838f", "#5b6775")
SENTIMENT_COLORS = {"negative": "#b3261e", "neutral": "#5b6775", "positive": "#2e7d32"}


def _x_labels(times: list[datetime], hourly: bool) -> list[tuple[int, str]]:
    if not times:
        return []
    step = max(1, len(times) // 6)  # at most ~6 labels: readable at 375 px
    fmt = "%H:%M" if hourly else "%d/%m"
    return [(i, times[i].astimezone(VN_TZ).strftime(fmt)) for i in range(0, len(times), step)]


def line_chart(series: dict[str, list[tuple[datetime, int]]], title: str,
               colors: dict[str, str] | None = None, hourly: bool = False) -> Markup:
    """One polyline per series over shared time buckets (missing buckets count 0)."""
    times = sorted({t for points in series.values() for t, _ in points})
    index = {t: i for i, t in enumerate(times)}
    peak = max([c for points in series.values() for _, c in points] + [1])
    inner_w, inner_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B

    def x(i: int) -> float:
        return PAD_L + inner_w * i / max(1, len(times) - 1)

    def y(v: int) -> float:
        return PAD_T + inner_h * (1 - v / peak)

    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{PAD_L}" y1="{y(0):.1f}" x2="{WIDTH - PAD_R}" y2="{y(0):.1f}" '
             f'stroke="#dde3ea"/>',
             f'<text x="{PAD_L - 4}" y="{PAD_T + 8}" text-anchor="end" font-size="11">'
             f'{peak}</text>',
             f'<text x="{PAD_L - 4}" y="{y(0):.1f}" text-anchor="end" font-size="11">0</text>']
    for i, label in _x_labels(times, hourly):
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - PAD_B + 14}" text-anchor="middle" '
                     f'font-size="11">{label}</text>')
    for n, (name, points) in enumerate(series.items()):
        color = (colors or {}).get(name, PALETTE[n % len(PALETTE)])
        values = [0] * len(times)
        for t, c in points:
            values[index[t]] = c
        coords = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        if len(values) == 1:
            coords += f" {x(0) + 4:.1f},{y(values[0]):.1f}"
        parts.append(f'<polyline class="series" fill="none" stroke="{color}" stroke-width="2" '
                     f'points="{coords}"><title>{escape(name)}</title></polyline>')
        lx = PAD_L + (n % 4) * 150  # four legend entries per row fit 640 units
        ly = HEIGHT - 16 + (n // 4) * 13 - 6
        parts.append(f'<rect x="{lx}" y="{ly - 8}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{lx + 14}" y="{ly + 1}" font-size="11">{escape(name)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label above is escaped


def bar_list(rows: list[tuple[str, int]], title: str, color: str = PALETTE[0]) -> Markup:
    """Horizontal bars, one per row, labelled with name and count."""
    peak = max([c for _, c in rows] + [1])
    row_h = 22  # px per bar in viewBox units: label text is 12
    height = max(row_h, row_h * len(rows))
    parts = [f'<svg class="chart bars" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>']
    for i, (name, count) in enumerate(rows):
        w = (WIDTH - 220) * count / peak
        top = i * row_h
        parts.append(f'<text x="0" y="{top + 15}" font-size="12">{escape(name[:28])}</text>'
                     f'<rect class="bar" x="200" y="{top + 4}" width="{w:.1f}" height="14" '
                     f'fill="{color}"/><text x="{204 + w:.1f}" y="{top + 15}" font-size="12">'
                     f'{count}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every label above is escaped


def forecast_chart(history: list[tuple[datetime, int]], band: list, title: str,
                   hourly: bool = False, color: str = PALETTE[0]) -> Markup:
    """What was counted (a line) and what is forecast: the 80% band (shaded) and its mean
    (dashed), on one time axis. `band` holds alerts.forecast.Point (timestamp, mean, lo, hi);
    history from the first forecast bucket on is left out (that bucket is still filling)."""
    start = band[0].timestamp if band else None
    seen = [(t, c) for t, c in history if start is None or t < start]
    times = [t for t, _ in seen] + [p.timestamp for p in band]
    peak = max([c for _, c in seen] + [p.hi for p in band] + [1])
    inner_w, inner_h = WIDTH - PAD_L - PAD_R, HEIGHT - PAD_T - PAD_B

    def x(i: int) -> float:
        return PAD_L + inner_w * i / max(1, len(times) - 1)

    def y(v: float) -> float:
        return PAD_T + inner_h * (1 - v / peak)

    first = len(seen)  # index of the first forecast bucket on the shared axis
    parts = [f'<svg class="chart forecast" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<line x1="{PAD_L}" y1="{y(0):.1f}" x2="{WIDTH - PAD_R}" y2="{y(0):.1f}" '
             f'stroke="#dde3ea"/>',
             f'<text x="{PAD_L - 4}" y="{PAD_T + 8}" text-anchor="end" font-size="11">'
             f'{peak:.0f}</text>',
             f'<text x="{PAD_L - 4}" y="{y(0):.1f}" text-anchor="end" font-size="11">0</text>']
    for i, label in _x_labels(times, hourly):
        parts.append(f'<text x="{x(i):.1f}" y="{HEIGHT - PAD_B + 14}" text-anchor="middle" '
                     f'font-size="11">{label}</text>')
    if band:
        upper = [f"{x(first + k):.1f},{y(p.hi):.1f}" for k, p in enumerate(band)]
        lower = [f"{x(first + k):.1f},{y(p.lo):.1f}" for k, p in reversed(list(enumerate(band)))]
        parts.append(f'<polygon class="band" fill="{color}" fill-opacity="0.18" stroke="none" '
                     f'points="{" ".join(upper + lower)}"><title>Khoảng dự báo 80%</title>'
                     f'</polygon>')
        mean = " ".join(f"{x(first + k):.1f},{y(p.mean):.1f}" for k, p in enumerate(band))
        parts.append(f'<polyline class="forecast-mean" fill="none" stroke="{color}" '
                     f'stroke-width="2" stroke-dasharray="5 4" points="{mean}">'
                     f'<title>Dự báo</title></polyline>')
    if seen:
        coords = " ".join(f"{x(i):.1f},{y(c):.1f}" for i, (_, c) in enumerate(seen))
        if len(seen) == 1:  # one point draws nothing: a short tick, as line_chart does
            coords += f" {x(0) + 4:.1f},{y(seen[0][1]):.1f}"
        parts.append(f'<polyline class="series" fill="none" stroke="{color}" stroke-width="2" '
                     f'points="{coords}"><title>Thực tế</title></polyline>')
    legend = ((f'<rect x="{PAD_L}" y="{HEIGHT - 24}" width="10" height="10" fill="{color}"/>',
               "Thực tế"),
              (f'<rect x="{PAD_L + 150}" y="{HEIGHT - 24}" width="10" height="10" fill="{color}" '
               f'fill-opacity="0.18"/>', "Dự báo (khoảng 80%)"))
    for n, (mark, label) in enumerate(legend):
        parts.append(f'{mark}<text x="{PAD_L + 150 * n + 14}" y="{HEIGHT - 15}" '
                     f'font-size="11">{label}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - the title is escaped, the rest are numbers


def forecast_panel(history: list[tuple[datetime, int]], negative: list[tuple[datetime, int]],
                   band: list, negative_band: list, hourly: bool) -> dict:
    """The two forecast charts of a page (all items, negative items) and what they cover."""
    ahead = "24 giờ tới" if hourly else "7 ngày tới"
    return {"all": forecast_chart(history, band, f"Số tin và dự báo {ahead}", hourly),
            "negative": forecast_chart(negative, negative_band,
                                       f"Tin tiêu cực và dự báo {ahead}", hourly,
                                       SENTIMENT_COLORS["negative"]),
            "ahead": ahead}
