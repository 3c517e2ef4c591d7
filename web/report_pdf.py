"""The printable report as a PDF file (Báo cáo → Tải PDF), drawn with fpdf2.

Same content as the print page (report_print.html): period, totals, sentiment, volume chart,
domains, top outlets, top stories, latest items. Text is drawn as text (never interpreted as
markup: crawled titles cannot inject anything), in DejaVu Sans (web/fonts, Bitstream Vera
licence), which covers Vietnamese. Long crawled strings are cut to `MAX_LINE` characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from web.deps import local
from web.labels import DOMAIN_VI, SENTIMENT_VI

FONTS = Path(__file__).resolve().parent / "fonts"
MAX_LINE = 300  # characters of a crawled title in the PDF: two lines of A4 at 10 pt
CHART_H = 40  # mm: the volume chart's height on an A4 page
ACCENT = (31, 94, 140)  # the web app's header blue


class _Report(FPDF):
    def __init__(self, footer_text: str):
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
        self.set_auto_page_break(auto=True, margin=15)
        self.set_margins(15, 15, 15)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.set_text_color(110)
        self.cell(0, 5, f"{self.footer_text} · trang {self.page_no()}/{{nb}}", align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("DejaVu", "B", 12)
        self.set_text_color(*ACCENT)
        self.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.set_font("DejaVu", size=10)

    def para(self, text: str) -> None:
        self.multi_cell(0, 5.5, _cut(text), new_x="LMARGIN", new_y="NEXT")

    def table(self, header: tuple[str, str], rows: Sequence[tuple[str, int]]) -> None:
        if not rows:
            self.para("Không có.")
            return
        with super().table(col_widths=(150, 30), text_align=("LEFT", "RIGHT"),
                           line_height=6) as grid:
            grid.row(header)
            for name, count in rows:
                grid.row((_cut(name), str(count)))

    def volume_chart(self, series: Sequence[tuple[datetime | str, int]]) -> None:
        """Bars of the volume per bucket, with the maximum marked."""
        if not series:
            self.para("Không có dữ liệu.")
            return
        top = max(n for _, n in series) or 1
        x0, y0, width = self.l_margin, self.get_y() + 2, self.epw
        step = width / len(series)
        self.set_fill_color(*ACCENT)
        for i, (_, n) in enumerate(series):
            h = CHART_H * n / top
            if h:
                self.rect(x0 + i * step, y0 + CHART_H - h, max(step * 0.8, 0.2), h, style="F")
        self.set_draw_color(150)
        self.line(x0, y0 + CHART_H, x0 + width, y0 + CHART_H)
        self.set_font("DejaVu", size=8)
        self.set_xy(x0, y0 + CHART_H + 1)
        self.cell(width / 2, 4, local(series[0][0]))
        self.cell(width / 2, 4, f"{local(series[-1][0])} · cao nhất {top} tin", align="R")
        self.set_font("DejaVu", size=10)
        self.set_xy(x0, y0 + CHART_H + 7)


def _cut(text: str | None) -> str:
    text = " ".join((text or "").split())  # no control characters or stray line breaks
    return text if len(text) <= MAX_LINE else text[:MAX_LINE - 1] + "…"


def render(report: dict) -> bytes:
    """The PDF of a report; `report` holds what the print page gets (see web.manage.report_data)."""
    p, topic = report["p"], report.get("t")
    title = "Báo cáo theo dõi thông tin" + (f": {topic['name']}" if topic else "")
    pdf = _Report(f"Lắng Nghe · {title}")
    pdf.set_title(title)
    pdf.set_creator("Lắng Nghe")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 8, _cut(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    pdf.para(f"Từ {local(p.since)} đến {local(p.until)} · tạo bởi {report.get('by', '')}")
    pdf.heading("Tổng quan")
    tones = ", ".join(f"{SENTIMENT_VI.get(k, k)} {n}" for k, n in report["sentiment"]) or "—"
    pdf.para(f"Tổng số tin: {report['total']}. Sắc thái: {tones}.")
    pdf.volume_chart(report["histogram"])
    pdf.heading("Theo lĩnh vực")
    pdf.table(("Lĩnh vực", "Số tin"), [(DOMAIN_VI.get(k, k), n) for k, n in report["domains"]])
    pdf.heading("Nguồn đưa tin nhiều nhất")
    pdf.table(("Nguồn", "Số tin"), list(report["outlets"]))
    pdf.heading("Câu chuyện nổi bật")
    for n, s in enumerate(report["stories"], 1):
        pdf.para(f"{n}. {_cut(s['title'])} — {s['first_source']}, "
                 f"{local(s['first_published'])} ({s['outlets']} nguồn)")
    if not report["stories"]:
        pdf.para("Không có.")
    pdf.heading("Tin mới nhất")
    for n, hit in enumerate(report["latest"], 1):
        doc = hit.doc
        pdf.para(f"{n}. {_cut(doc.title or doc.text[:100])} — "
                 f"{doc.source_name or doc.source_id}, {local(doc.published_at)}")
    return bytes(pdf.output())
