"""People, organizations and places in cleaned Vietnamese text, by rules and gazetteers (CPU-fast).

Offsets: entities point into `full_text(section)` — the cleaned title, lead and text joined by
"\\n" (empty parts skipped), the same string the segmenter reads. Kinds:

1. LOC — place mentions from `nlp.places`, with `unit` the current administrative unit (None
   when the mention stays ambiguous);
2. ORG — a trigger (Bộ, Sở, UBND, Công an, Công ty, Ngân hàng, Trường, Bệnh viện, …) plus the
   capitalised words and the place that follow ("UBND tỉnh Thanh Hóa"), or a known acronym or
   name ("EVN", "Quốc hội");
3. PER — two to four capitalised syllables starting with a common surname ("Nguyễn Văn Hùng"),
   or one to four after a title ("ông Tuấn", "Chủ tịch Đỗ Minh Tuấn").

A place inside an organisation name is kept as a LOC of its own (nested spans), because "UBND
tỉnh Thanh Hóa" concerns Thanh Hóa; PER and ORG spans never overlap each other.
underthesea's `ner` works offline here, but at ~the cost of a POS+chunk+CRF pass per sentence it
would alone use the whole per-comment time budget, so it is not in the default path.
"""

from __future__ import annotations

import re

from langnghe.document import Entity, NlpSection
from langnghe.vietnamese import fold
from nlp import places as places_mod

# The ~100 most common Vietnamese surnames (folded), incl. compound "Tôn Nữ", "Âu Dương" heads.
SURNAMES = frozenset("""
nguyen tran le pham hoang huynh phan vu vo dang bui do ho ngo duong ly dao doan vuong trinh
truong lam phung mai to ha tang quach luong luu cao chu dinh kieu la thai ton tu thach ta
trieu lai khuc kim bach nong luc nghiem ung quan lo diep giang tieu van chau thi mac khong
lang han tong cu hua mau ong quang thieu tieu dam lanh vi au hau chung giap khuat lieu tan
nham nhu phi sam thang thuy tieu tra tri uong vien yen danh ninh lu le
""".split())
# Words that introduce a person's name (folded, as word tuples), longest first when matched.
_TITLE_WORDS = """
ông, bà, anh, chị, em, cháu, cụ, cô, chú, bác, thầy, đồng chí, chủ tịch, phó chủ tịch, bí thư,
phó bí thư, tổng bí thư, giám đốc, phó giám đốc, thủ tướng, phó thủ tướng, bộ trưởng, thứ trưởng,
chủ nhiệm, trưởng phòng, phó trưởng phòng, đại tướng, thượng tướng, trung tướng, thiếu tướng,
đại tá, thượng tá, trung tá, thiếu tá, đại úy, thượng úy, trung úy, thiếu úy, chiến sĩ, bác sĩ,
bs, pgs, ts, gs, ths, luật sư, nhà báo, ca sĩ, diễn viên, họa sĩ, nhà văn, nhà thơ, cầu thủ,
hlv, tiến sĩ, thạc sĩ, kỹ sư, giáo sư, phó giáo sư, chủ tịch nước, chủ tịch quốc hội,
trưởng ban, phó trưởng ban, chánh án, viện trưởng, nghệ sĩ, tân binh, thượng sĩ, trung sĩ
"""
TITLES = tuple(sorted({tuple(fold(t).split()) for t in _TITLE_WORDS.split(",")},
                      key=len, reverse=True))

# Titles after which a given name alone is a person ("anh Tuấn", "bà Lan").
KIN_TITLES = frozenset(tuple(fold(t).split()) for t in
                       "ông bà anh chị em cháu cụ cô chú bác thầy".split())
# Words before a name that make it a street, bridge, market, … named after a person.
STREET_WORDS = frozenset(fold(w) for w in "đường phố ngõ hẻm cầu chợ sông núi đèo bến".split())

# Organisation triggers (folded word tuples); `True` = the name may end with a place.
ORG_TRIGGERS: dict[tuple[str, ...], bool] = {
    tuple(k.split()): v for k, v in {
        "ubnd": True, "hdnd": True, "uy ban nhan dan": True, "hoi dong nhan dan": True,
        "cong an": True, "so": True, "bo": False, "tand": True, "vksnd": True,
        "toa an nhan dan": True, "vien kiem sat nhan dan": True, "tinh uy": False,
        "thanh uy": False, "huyen uy": False, "dang uy": True, "mat tran to quoc": True,
        "bo chi huy quan su": True, "bo chi huy bien phong": True, "cuc": False,
        "chi cuc": False, "tong cuc": False, "cong ty": False, "tong cong ty": False,
        "tap doan": False, "ngan hang": False, "truong": False, "dai hoc": False,
        "hoc vien": False, "benh vien": False, "trung tam": False, "vien": False,
        "bao": False, "dai truyen hinh": False, "hoi": False, "ban quan ly": False,
        "hop tac xa": False, "cang vu": False, "kho bac": True, "thanh tra": True,
        "ban chi dao": False, "cdc": True,
    }.items()
}
_ORG_TRIGGER_MAX = max(len(k) for k in ORG_TRIGGERS)
# Lower-case words allowed inside a ministry/department name ("Bộ Giáo dục và Đào tạo").
_ORG_INNER = frozenset("""va y te duc tao truong nghiep thon dung sach tin luc hoc nghe khoa dan
su thuat quoc gia phan dau tu phat trien xay lao dong thuong binh xa hoi noi vu tu phap ngoai giao
hoa the thao du lich cong nghe moi cong thuong tai chinh""".split())  # "van" ends names: no
KNOWN_ORGS = tuple(sorted((
    (tuple(fold(name).split()), name) for name in (
        "Quốc hội", "Chính phủ", "Bộ Chính trị", "Ban Bí thư", "Trung ương Đảng",
        "Văn phòng Chính phủ", "Liên Hợp Quốc", "Đoàn Thanh niên", "Hội Nông dân",
        "EVN", "BIDV", "Vietcombank", "VietinBank", "Agribank", "Techcombank", "VPBank",
        "MB", "Viettel", "VNPT", "MobiFone", "FPT", "Vingroup", "Vinamilk", "Petrolimex",
        "PVN", "Vietnam Airlines", "Vietjet", "WHO", "UNICEF", "ASEAN", "WB", "IMF", "ADB",
        "FIFA", "VFF", "VTV", "VOV", "TTXVN", "MTTQ", "VKSND", "TAND", "UBND", "HĐND",
        "CSGT", "BHXH", "Bộ Công an", "Bộ Quốc phòng",
    )), key=lambda item: -len(item[0])))
_TOKEN_RE = re.compile(r"\w+")
LOWER_GAP = 4  # lower-case words an org name may run over before its next capitalised word
# Countries the press names most (LOC without a Vietnamese administrative unit).
COUNTRIES = tuple(tuple(fold(c).split()) for c in (
    "Việt Nam", "Trung Quốc", "Hàn Quốc", "Triều Tiên", "Nhật Bản", "Đài Loan", "Thái Lan",
    "Campuchia", "Lào", "Malaysia", "Singapore", "Indonesia", "Philippines", "Myanmar", "Ấn Độ",
    "Mỹ", "Hoa Kỳ", "Nga", "Pháp", "Đức", "Italy", "Tây Ban Nha", "Australia", "Úc", "Canada",
    "Hong Kong", "Ukraine", "Israel", "Iran", "Iraq", "Liên minh châu Âu", "EU", "VN"))


def _by_first(keys) -> dict[str, list]:
    """Index word-tuple keys by their first word so a scan tries only the few that can match."""
    index: dict[str, list] = {}
    for key in keys:
        index.setdefault(key[0][0] if isinstance(key[0], tuple) else key[0], []).append(key)
    return index


_TITLES_BY_FIRST = _by_first(TITLES)
_KNOWN_BY_FIRST = _by_first(KNOWN_ORGS)
_COUNTRIES_BY_FIRST = _by_first(COUNTRIES)
# First words of the scans below: tokens with any other folded form are skipped at once.
_PERSON_FIRST = frozenset(_TITLES_BY_FIRST) | SURNAMES
_ORG_FIRST = frozenset(_KNOWN_BY_FIRST) | {k[0] for k in ORG_TRIGGERS}
_COUNTRY_FIRST = frozenset(_COUNTRIES_BY_FIRST)


def full_text(section: NlpSection) -> str:
    """The string entity offsets point into."""
    return "\n".join(part for part in (section.title, section.lead, section.text) if part)


class _Tokens:
    """Syllables of a text with their offsets, folded forms and what lies between them."""

    def __init__(self, text: str):
        self.text = text
        self.spans = [m.span() for m in _TOKEN_RE.finditer(text)]
        self.raw = [text[s:e] for s, e in self.spans]
        self.folded = places_mod.fold_spans(text, self.spans)  # fold(raw[i]), folded once

    def where(self, firsts: frozenset[str]) -> list[int]:
        """Indices of the tokens whose folded form is in `firsts`: the only places where a
        scan for keys starting with those words can match."""
        return [i for i, w in enumerate(self.folded) if w in firsts]

    def joined(self, i: int) -> bool:
        """True when token i and i+1 are separated by one space only (same phrase)."""
        return i + 1 < len(self.spans) and self.text[self.spans[i][1]:self.spans[i + 1][0]] == " "

    def cap(self, i: int) -> bool:
        word = self.raw[i]
        return word[0].isupper() and not word.isdigit()

    def title_case(self, i: int) -> bool:
        word = self.raw[i]
        return word[0].isupper() and (len(word) == 1 or word[1:].islower())

    def starts(self, i: int, key: tuple[str, ...]) -> bool:
        n = len(key)
        return (tuple(self.folded[i:i + n]) == key
                and all(self.joined(j) for j in range(i, i + n - 1)))


def _name_run(tok: _Tokens, i: int, limit: int) -> int:
    """End index of the title-case syllables starting at i (at most `limit`)."""
    j = i
    while j < len(tok.raw) and j - i < limit and tok.title_case(j) and tok.raw[j].isalpha():
        if j > i and not tok.joined(j - 1):
            break
        j += 1
    return j


def _persons(tok: _Tokens) -> list[tuple[int, int, bool]]:
    """(start, end, titled) of each person name."""
    out, done = [], 0
    for i in tok.where(_PERSON_FIRST):
        if i < done:
            continue  # inside the previous name
        titles = _TITLES_BY_FIRST.get(tok.folded[i], ())
        title = next((t for t in titles if tok.starts(i, t)), None)
        if title and tok.joined(i + len(title) - 1):
            start = i + len(title)
            end = _name_run(tok, start, 4)  # Vietnamese full names have 2-4 syllables
            short_ok = title in KIN_TITLES or (end > start and tok.folded[start] in SURNAMES)
            if (end - start >= 2 or (end > start and short_ok)) and not _org_at(tok, start) \
                    and not _is_place_word(tok, start):
                out.append((start, end, True))
                done = end
                continue
        if tok.folded[i] in SURNAMES and tok.title_case(i) and not _after_street(tok, i):
            end = _name_run(tok, i, 4)
            if end - i >= 2 and not _is_place_word(tok, i):
                out.append((i, end, False))
                done = end
    return out


def _countries(tok: _Tokens) -> list[tuple[int, int]]:
    out = []
    for i in tok.where(_COUNTRY_FIRST):
        if tok.cap(i):
            for key in _COUNTRIES_BY_FIRST.get(tok.folded[i], ()):
                if tok.starts(i, key) and all(tok.cap(j) for j in range(i, i + len(key))):
                    out.append((i, i + len(key)))
                    break
    return out


def _after_street(tok: _Tokens, i: int) -> bool:
    """"đường Lê Lợi", "cầu Nguyễn Hữu Cảnh": a named street, bridge or school, not a person."""
    return i > 0 and tok.folded[i - 1] in STREET_WORDS and tok.joined(i - 1)


def _is_place_word(tok: _Tokens, i: int) -> bool:
    return places_mod._prefix_at(tok.folded, i) is not None


def _org_at(tok: _Tokens, i: int) -> tuple[int, bool] | None:
    """(trigger length, may-end-with-place) when an org trigger starts at token i."""
    if not tok.cap(i):
        return None
    for n in range(_ORG_TRIGGER_MAX, 0, -1):
        key = tuple(tok.folded[i:i + n])
        if key in ORG_TRIGGERS and tok.starts(i, key):
            return n, ORG_TRIGGERS[key]
    return None


def _org_name_end(tok: _Tokens, j: int) -> int:
    """Extend an org name over capitalised words, and over lower-case words when a capitalised
    one follows within LOWER_GAP words ("Tổng Công ty Địa ốc Sài Gòn", "Công ty sơn Kova")."""
    end = j
    while j < len(tok.raw) and tok.joined(j - 1) and not _is_place_word(tok, j):
        if tok.cap(j):
            j += 1
            end = j
        elif tok.folded[j] in _ORG_INNER and not _next_org(tok, j):
            j += 1
            end = j
        elif _capital_ahead(tok, j):
            j += 1
        else:
            break
    while end > 0 and not tok.cap(end - 1) and tok.folded[end - 1] == "va":
        end -= 1  # a trailing "và" joins two names, it is not part of this one
    return end


def _capital_ahead(tok: _Tokens, j: int) -> bool:
    for k in range(j, min(j + LOWER_GAP, len(tok.raw))):
        if k > j and not tok.joined(k - 1):
            return False
        if tok.cap(k):
            return _org_at(tok, k) is None and _known_at(tok, k) is None
    return False


def _next_org(tok: _Tokens, j: int) -> bool:
    """A "và" followed by a new organisation ends the current name ("Bộ Y tế và Sở …")."""
    if tok.folded[j] != "va" or j + 1 >= len(tok.raw):
        return False
    return _org_at(tok, j + 1) is not None or _known_at(tok, j + 1) is not None


def _known_at(tok: _Tokens, i: int) -> tuple[str, ...] | None:
    return next((k for k, _ in _KNOWN_BY_FIRST.get(tok.folded[i], ())
                 if tok.starts(i, k) and tok.cap(i)), None)


def _orgs(tok: _Tokens, place_ends: dict[int, int]) -> list[tuple[int, int]]:
    out, done = [], 0
    for i in tok.where(_ORG_FIRST):
        if i < done:
            continue  # inside the previous organisation
        known = _known_at(tok, i)
        trigger = _org_at(tok, i)
        if trigger is None and known is None:
            continue
        n, placed = trigger or (len(known), True)  # type: ignore[arg-type]
        end = _org_name_end(tok, i + n) if i + n < len(tok.raw) and tok.joined(i + n - 1) else i + n
        if end in place_ends and tok.joined(end - 1):
            end = place_ends[end]
        elif placed and end < len(tok.raw) and tok.joined(end - 1) and _is_place_word(tok, end):
            end += places_mod._prefix_at(tok.folded, end)[0]  # "UBND tỉnh", "HĐND TP"
        if end > i + n or known is not None or (placed and n >= 1 and tok.raw[i].isupper()):
            out.append((i, end))
        done = max(end, i + 1)
    return out


def _overlaps(a: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any(a[0] < e and s < a[1] for s, e in spans)


def extract(text: str, home_province: str | None = None) -> list[Entity]:
    """Entities of one cleaned text, sorted by start; offsets are character offsets into it."""
    if not text.strip():
        return []
    tok = _Tokens(text)
    mentions = places_mod.places(text, home_province)
    start_of = {s: i for i, (s, _) in enumerate(tok.spans)}
    end_of = {e: i + 1 for i, (_, e) in enumerate(tok.spans)}
    place_tok = [(start_of.get(m.start, -1), end_of.get(m.end, -1), m) for m in mentions]
    place_ends = {a: b for a, b, _ in place_tok if a >= 0}
    orgs = _orgs(tok, place_ends)
    strong = [(a, b) for a, b, m in place_tok if m.prefixed or _is_province(m)]
    resolved = [(a, b) for a, b, m in place_tok if m.unit is not None]
    countries = [c for c in _countries(tok) if not _overlaps(c, resolved)]
    persons = [(a, b) for a, b, titled in _persons(tok)
               if not _overlaps((a, b), orgs + strong + countries)
               and (titled or not _overlaps((a, b), resolved))]
    out = [_entity(tok, a, b, "ORG") for a, b in orgs]
    out += [_entity(tok, a, b, "PER") for a, b in persons]
    out += [_entity(tok, a, b, "LOC") for a, b in countries if not _overlaps((a, b), orgs)]
    for a, b, m in place_tok:
        weak = not (m.prefixed or _is_province(m))
        if weak and (_overlaps((a, b), persons) or _overlaps((a, b), orgs)):
            continue  # "Bệnh viện Bạch Mai" is a hospital, not the ward Bạch Mai
        out.append(Entity(text=m.text, type="LOC", start=m.start, end=m.end, unit=m.unit))
    return sorted(out, key=lambda e: (e.start, -e.end))


def _is_province(m: places_mod.PlaceMention) -> bool:
    return not m.prefixed and all(p.level == places_mod.PROVINCE for p in m.candidates)


def _entity(tok: _Tokens, a: int, b: int, kind: str) -> Entity:
    start, end = tok.spans[a][0], tok.spans[b - 1][1]
    return Entity(text=tok.text[start:end], type=kind, start=start, end=end)


def extract_section(section: NlpSection, home_province: str | None = None) -> list[Entity]:
    return extract(full_text(section), home_province)
