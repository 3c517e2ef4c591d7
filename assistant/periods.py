"""Periods people name, resolved in Vietnam time against `now`.

Decisions (docs/assistant.md): a day runs 00:00–24:00 Vietnam time; "tuần" starts on Monday;
a period still running ends at `now` (nothing after now is counted), a finished one at its
end. Rolling periods ("3 ngày qua", "24 giờ qua", "tuần qua", "tháng qua", "gần đây") end at
`now` and reach back that long ("tuần qua" = 7 days, "tháng qua" = 30, "gần đây" = 7). A date
without a year ("1/12") is the latest such day not after today; "tháng 11" the latest November
not after this month. Parts of a day: sáng 00–12, trưa 11–14, chiều 12–18, tối 18–24, đêm
18–06. Future periods ("3 ngày tới", "ngày mai", "tuần tới" = next Monday–Sunday, "sắp tới" = 7
days) are for forecasts and start at `now` (or at the day or week they name).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from assistant.tokens import Tok, close
from langnghe.document import VN_TZ

DAY = timedelta(days=1)
RECENT_DAYS = 7  # "gần đây", "dạo này", "mấy ngày nay"
SOON_DAYS = 7  # "sắp tới", "thời gian tới"
PARTS = {"sang": (0, 12), "trua": (11, 14), "chieu": (12, 18), "toi": (18, 24), "dem": (18, 30)}
UNITS = {"ngay": DAY, "hom": DAY, "gio": timedelta(hours=1), "tieng": timedelta(hours=1),
         "tuan": 7 * DAY,
         "thang": 30 * DAY, "nam": 365 * DAY, "phut": timedelta(minutes=1)}
PAST = ("qua", "truoc", "vua qua", "gan day", "gan nhat", "gan", "roi", "lai day")
FUTURE = ("toi", "sap toi", "toi day", "nua", "sau", "tiep theo", "ke tiep", "sap")
_DATE_RE = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?$")
# numbers written as words before a unit ("ba ngày qua", "một tuần tới"), folded
NUMBER_WORDS = {"mot": 1, "hai": 2, "ba": 3, "bon": 4, "nam": 5, "sau": 6, "bay": 7,
                "tam": 8, "chin": 9, "muoi": 10, "muoi lam": 15, "hai muoi": 20,
                "ba muoi": 30, "vai": 3, "dam": 10}


@dataclass(frozen=True)
class Period:
    since: datetime
    until: datetime
    label: str  # what the person typed, canonical ("tuần trước")
    future: bool = False

    def describe(self) -> str:
        """"tuần trước (30/11–06/12/2026)", "24 giờ qua (từ 09:30 09/12 đến 09:30 10/12/2026)"."""
        end = self.until - timedelta(microseconds=1)
        if self.since.time() == time(0) and self.until.time() == time(0):
            if self.since.date() == end.date():
                return f"{self.label} ({_d(self.since, True)})"
            return (f"{self.label} ({_d(self.since, self.since.year != end.year)}–"
                    f"{_d(end, True)})")
        start = _d(self.since, self.since.year != self.until.year)
        return (f"{self.label} (từ {self.since:%H:%M} {start} "
                f"đến {self.until:%H:%M} {_d(self.until, True)})")


def _d(moment: datetime, year: bool) -> str:
    return moment.strftime("%d/%m/%Y" if year else "%d/%m")


def midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), VN_TZ)


class _Reader:
    """Matches period expressions at token positions (folded keys)."""

    def __init__(self, toks: list[Tok], now: datetime):
        self.toks, self.now = toks, now.astimezone(VN_TZ)
        self.today = midnight(self.now.date())

    def keys(self, i: int, n: int) -> list[str]:
        return [t.key for t in self.toks[i : i + n]]

    def starts(self, i: int, words: str) -> bool:
        """The folded words at i, forgiving a typo in a word of ≥ 3 letters ("tuần nya")."""
        parts = words.split()
        keys = self.keys(i, len(parts))
        return len(keys) == len(parts) and all(
            k == p or (len(p) >= 3 and not p.isdigit() and close(k, p))
            for k, p in zip(keys, parts, strict=True))

    def text(self, i: int, n: int) -> str:
        toks = self.toks[i : i + n]
        return " ".join(dict.fromkeys(t.text for t in toks)).lower() if toks else ""

    # ---- pieces ---------------------------------------------------------------------------

    def date_at(self, i: int) -> tuple[int, date] | None:
        """A date ("1/12", "ngày 1/12", "ngày 1 tháng 12") at i: (words, day)."""
        j = i + 1 if i < len(self.toks) and self.toks[i].key == "ngay" else i
        if j >= len(self.toks):
            return None
        m = _DATE_RE.match(self.toks[j].key)
        if m:
            day, month, year = int(m.group(1)), int(m.group(2)), m.group(3)
            n = j - i + 1
        elif (self.toks[j].key.isdigit() and self.keys(j + 1, 1) == ["thang"]
              and j + 2 < len(self.toks) and self.toks[j + 2].key.isdigit() and j > i):
            day, month, year, n = int(self.toks[j].key), int(self.toks[j + 2].key), None, j - i + 3
        else:
            return None
        found = self._day(day, month, year)
        return (n, found) if found else None

    def _day(self, day: int, month: int, year: str | None) -> date | None:
        try:
            if year:
                y = int(year)
                return date(y + 2000 if y < 100 else y, month, day)
            found = date(self.today.year, month, day)
        except ValueError:
            return None
        return found if found <= self.today.date() else found.replace(year=found.year - 1)

    def month_at(self, i: int) -> tuple[int, date] | None:
        """"tháng 11", "tháng 11/2025", "tháng 11 năm 2025": (words, first day)."""
        if self.keys(i, 1) != ["thang"] or i + 1 >= len(self.toks):
            return None
        key = self.toks[i + 1].key
        m = re.match(r"^(\d{1,2})(?:/(\d{4}))?$", key)
        if not m or not 1 <= int(m.group(1)) <= 12:
            return None
        month, n, year = int(m.group(1)), 2, m.group(2)
        if not year and self.keys(i + 2, 1) == ["nam"] and self.keys(i + 3, 1)[:1] and \
                self.toks[i + 3].key.isdigit():
            year, n = self.toks[i + 3].key, 4
        if year:
            return n, date(int(year), month, 1)
        first = date(self.today.year, month, 1)
        return n, first if first <= self.today.date() else first.replace(year=first.year - 1)

    def tail(self, i: int, options: tuple[str, ...]) -> int:
        """Words of the longest option starting at i (0 when none)."""
        for option in sorted(options, key=lambda o: -len(o.split())):
            if self.starts(i, option):
                return len(option.split())
        return 0

    # ---- expressions ----------------------------------------------------------------------

    def at(self, i: int) -> tuple[int, Period] | None:
        for rule in (self.range_, self.since_start, self.since_date, self.count, self.named,
                     self.month, self.single_date):
            found = rule(i)
            if found:
                return found
        return None

    def period(self, i: int, n: int, since: datetime, until: datetime,
               future: bool = False) -> tuple[int, Period]:
        if not future:  # nothing after now is counted; a part of today still ahead is empty
            until = max(min(until, self.now), since)
        return n, Period(since, until, self.text(i, n), future)

    def range_(self, i: int):
        j = i + 1 if self.keys(i, 1) in (["tu"], ["giua"]) else i
        start = self.date_at(j)
        if not start:
            return None
        k = j + start[0]
        link = self.tail(k, ("den", "toi", "den het", "cho den", "va"))
        if not link:
            return None
        end = self.date_at(k + link)
        if end:
            day = end[1]
            if day < start[1]:  # "từ 28/12 đến 2/1": the start was last year
                return None
            return self.period(i, k + link + end[0] - i, midnight(start[1]), midnight(day) + DAY)
        return None

    def since_start(self, i: int):
        """"từ đầu tuần/tháng/năm (đến nay)", "từ thứ hai (đến nay)"."""
        if self.keys(i, 1) != ["tu"]:
            return None
        today = self.today
        starts = {"dau tuan": today - today.weekday() * DAY,
                  "thu hai": today - today.weekday() * DAY,
                  "dau thang": today.replace(day=1),
                  "dau nam": today.replace(month=1, day=1)}
        for words, since in starts.items():
            if self.starts(i + 1, words):
                n = 3 + self.tail(i + 3, ("den nay", "toi nay", "den hien tai", "toi gio",
                                          "den gio", "den hom nay", "toi hom nay"))
                return self.period(i, n, since, self.now)
        return None

    def since_date(self, i: int):
        """"từ 25/11 (đến nay)"."""
        if self.keys(i, 1) != ["tu"]:
            return None
        start = self.date_at(i + 1)
        if not start:
            return None
        n = 1 + start[0]
        n += self.tail(i + n, ("den nay", "toi nay", "den hien tai", "toi gio", "den gio",
                               "den hom nay", "toi hom nay"))
        return self.period(i, n, midnight(start[1]), self.now)

    def number_at(self, j: int) -> tuple[int, int, bool] | None:
        """(value, words, in hours) of "3", "24h", "ba", "hai mươi" at j."""
        if j >= len(self.toks):
            return None
        m = re.match(r"^(\d+)(h)?$", self.toks[j].key)
        if m:
            return int(m.group(1)), 1, bool(m.group(2))
        for words in (2, 1):
            value = NUMBER_WORDS.get(" ".join(self.keys(j, words)))
            if value and len(self.keys(j, words)) == words:
                return value, words, False
        return None

    def count(self, i: int):
        """"3 ngày qua", "trong 24 giờ qua", "24h qua", "ba ngày tới", "2 tuần gần đây"."""
        j = i + 1 if self.keys(i, 1) == ["trong"] else i
        found = self.number_at(j)
        if found is None:
            return None
        number, width, hours = found
        unit_words = 0
        unit = UNITS["gio"] if hours else None
        if unit is None:
            nxt = self.keys(j + width, 1)
            if not nxt or nxt[0] not in UNITS:
                return None
            unit, unit_words = UNITS[nxt[0]], 1
        k = j + width + unit_words
        span = number * unit
        back = self.tail(k, PAST)
        if back:
            return self.period(i, k + back - i, self.now - span, self.now)
        ahead = self.tail(k, FUTURE)
        if ahead:
            return self.period(i, k + ahead - i, self.now, self.now + span, future=True)
        if j > i:  # "trong 3 ngày": the last three days
            return self.period(i, k - i, self.now - span, self.now)
        return None

    def named(self, i: int):
        today, now = self.today, self.now
        monday = today - today.weekday() * DAY
        first = today.replace(day=1)
        last_month = (first - DAY).replace(day=1)
        next_month = (first + 32 * DAY).replace(day=1)
        table: dict[str, tuple[datetime, datetime, bool]] = {
            "hom nay": (today, now, False), "ngay hom nay": (today, now, False),
            "bay gio": (today, now, False), "hien nay": (today, now, False),
            "hom qua": (today - DAY, today, False), "ngay hom qua": (today - DAY, today, False),
            "hom kia": (today - 2 * DAY, today - DAY, False),
            "ngay mai": (today + DAY, today + 2 * DAY, True),
            "ngay kia": (today + 2 * DAY, today + 3 * DAY, True),
            "tuan nay": (monday, now, False), "tuan truoc": (monday - 7 * DAY, monday, False),
            "tuan vua roi": (monday - 7 * DAY, monday, False),
            "thang vua roi": (last_month, first, False),
            "tuan roi": (monday - 7 * DAY, monday, False),
            "tuan qua": (now - 7 * DAY, now, False), "tuan vua qua": (now - 7 * DAY, now, False),
            "tuan toi": (monday + 7 * DAY, monday + 14 * DAY, True),
            "tuan sau": (monday + 7 * DAY, monday + 14 * DAY, True),
            "cuoi tuan qua": (monday - 2 * DAY, monday, False),
            "cuoi tuan truoc": (monday - 2 * DAY, monday, False),
            "cuoi tuan roi": (monday - 2 * DAY, monday, False),
            "thang nay": (first, now, False), "thang truoc": (last_month, first, False),
            "thang roi": (last_month, first, False),
            "thang qua": (now - 30 * DAY, now, False),
            "thang toi": (next_month, (next_month + 32 * DAY).replace(day=1), True),
            "thang sau": (next_month, (next_month + 32 * DAY).replace(day=1), True),
            "nam nay": (today.replace(month=1, day=1), now, False),
            "nam ngoai": (today.replace(year=today.year - 1, month=1, day=1),
                          today.replace(month=1, day=1), False),
            "nam truoc": (today.replace(year=today.year - 1, month=1, day=1),
                          today.replace(month=1, day=1), False),
            "gan day": (now - RECENT_DAYS * DAY, now, False),
            "thoi gian gan day": (now - RECENT_DAYS * DAY, now, False),
            "may ngay nay": (now - RECENT_DAYS * DAY, now, False),
            "may ngay qua": (now - RECENT_DAYS * DAY, now, False),
            "may hom nay": (now - RECENT_DAYS * DAY, now, False),
            "dao nay": (now - RECENT_DAYS * DAY, now, False),
            "sap toi": (now, now + SOON_DAYS * DAY, True),
            "thoi gian toi": (now, now + SOON_DAYS * DAY, True),
            "toi day": (now, now + SOON_DAYS * DAY, True),
        }
        for part, (start_h, end_h) in PARTS.items():
            table[f"{part} nay"] = (today + timedelta(hours=start_h),
                                    today + timedelta(hours=end_h), False)
            table[f"{part} qua"] = (today - DAY + timedelta(hours=start_h),
                                    today - DAY + timedelta(hours=end_h), False)
        table["sang nay"] = (today, today + timedelta(hours=12), False)
        table["dem qua"] = (today - DAY + timedelta(hours=18), today + timedelta(hours=6), False)
        for words in sorted(table, key=lambda w: -len(w.split())):
            if self.starts(i, words):
                since, until, future = table[words]
                n = len(words.split())
                return self.period(i, n, since, until, future)
        return None

    def month(self, i: int):
        found = self.month_at(i)
        if not found:
            return None
        n, first = found
        end = (first + 32 * DAY).replace(day=1)
        return self.period(i, n, midnight(first), midnight(end))

    def single_date(self, i: int):
        found = self.date_at(i)
        if not found:
            return None
        n, day = found
        return self.period(i, n, midnight(day), midnight(day) + DAY)


def find_periods(toks: list[Tok], now: datetime, used: set[int]) -> list[Period]:
    """Every period named in the question, in order; their words are added to `used`."""
    reader = _Reader(toks, now)
    found: list[Period] = []
    i = 0
    while i < len(toks):
        hit = None if i in used else reader.at(i)
        if hit is None:
            i += 1
            continue
        n, period = hit
        used.update(range(i, i + n))
        found.append(period)
        i += n
    return found
