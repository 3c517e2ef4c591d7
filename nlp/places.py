"""Place mentions resolved to the administrative units in force since 1 July 2025.

The gazetteer (built once from nlp/gazetteer/, the package's copy of vn-admin-units; see its
README for source and licence) knows every current unit (34
provinces/cities, 3,321 communes/wards/special zones) and every pre-2025 name (63 provinces,
696 districts, 10,035 communes) with the current unit(s) it was merged into. Mentions are found
by a longest-match scan over folded syllables (diacritics and tone placement do not matter),
then resolved:

1. an administrative prefix (tỉnh, thành phố/TP, huyện, quận, thị xã, xã, phường, thị trấn,
   đặc khu) restricts the candidates to that level;
2. bare province names are taken when capitalised (or in casual, lower-case/no-diacritics text);
   bare commune/district names only when capitalised, two syllables or more, typed with the
   right accents, and inside a province of the context (step 3);
3. among several candidates, those inside the provinces/districts the document names elsewhere
   (or the source's home province) win; what still has several candidates is marked ambiguous
   (`unit` is then their common province, or None). A bare commune name outside every province
   in context is dropped.

Unit codes: a province is its two-digit GSO code ("38" = Thanh Hóa), a commune is
"<province>/<commune>" ("38/14845" = xã Mường Lát). A mention of a former district resolves to
the communes it became (`units`) and `unit` is the smallest current unit holding all of them.
"""

from __future__ import annotations

import csv
import gzip
import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path

from langnghe.vietnamese import fold, has_diacritics, match_key

DATA_DIR = Path(__file__).resolve().parent / "gazetteer"  # shipped: no data needed beside it

PROVINCE, DISTRICT, COMMUNE = "province", "district", "commune"
# Prefix words (folded) → the levels they may introduce. "thanh pho" names a centrally-run city
# (province level) or a former provincial city (district level).
PREFIXES: dict[tuple[str, ...], frozenset[str]] = {
    ("tinh",): frozenset({PROVINCE}),
    ("thanh", "pho"): frozenset({PROVINCE, DISTRICT}),
    ("tp",): frozenset({PROVINCE, DISTRICT}),
    ("huyen",): frozenset({DISTRICT}),
    ("quan",): frozenset({DISTRICT}),
    ("thi", "xa"): frozenset({DISTRICT}),
    ("tx",): frozenset({DISTRICT}),
    ("xa",): frozenset({COMMUNE}),
    ("phuong",): frozenset({COMMUNE}),
    ("thi", "tran"): frozenset({COMMUNE}),
    ("tt",): frozenset({COMMUNE}),
    ("dac", "khu"): frozenset({COMMUNE}),
}
_TYPE_WORDS = ("Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Tỉnh", "Huyện", "Quận", "Xã",
               "Phường")
# Common ways the press writes a province that are not its official short name.
ALIASES: dict[str, str] = {
    "TP.HCM": "79", "TPHCM": "79", "HCM": "79", "Sài Gòn": "79", "Thành phố Hồ Chí Minh": "79",
    "TP Hồ Chí Minh": "79", "Daklak": "66", "Đắc Lắc": "66", "Thừa Thiên - Huế": "46",
}
# Bare names that are far more often something else (a person, a common phrase): prefix needed.
PREFIX_ONLY = {("ho", "chi", "minh"), ("hoa", "binh"), ("thai", "binh"), ("hai", "duong")}
_SYLLABLE_RE = re.compile(r"\w+")



@dataclass(frozen=True)
class Place:
    """A name a mention can refer to: a current unit or a former one with its successors."""

    name: str  # official full name, e.g. "Huyện Mường Lát"
    level: str  # PROVINCE, DISTRICT or COMMUNE
    current: bool  # in force since 1 July 2025
    province: str  # current province code
    district: str | None  # former district code (former units only)
    units: tuple[str, ...]  # current unit codes it is or was merged into
    province_name: str  # current province, full name
    short_key: str = ""  # the name as matched, lower-cased with its accents ("mường lát")

    @property
    def unit(self) -> str:
        """The smallest current unit holding all of `units`."""
        return self.units[0] if len(self.units) == 1 else self.province

    def label(self) -> str:
        old = "" if self.current else " (trước 7/2025)"
        where = "" if self.level == PROVINCE else f", {self.province_name}"
        return f"{self.name}{old}{where}"


@dataclass
class PlaceMention:
    text: str
    start: int
    end: int
    candidates: list[Place]
    prefixed: bool
    # The smallest current unit surely holding the place: a commune, or the province when the
    # commune stays ambiguous (`ambiguous` True, `candidates` listed); None when even that is.
    unit: str | None = None
    units: tuple[str, ...] = ()
    ambiguous: bool = False
    place: Place | None = None


@dataclass
class Gazetteer:
    """Folded syllable sequences → places, indexed by first syllable for the scan."""

    entries: dict[tuple[str, ...], list[Place]] = field(default_factory=dict)
    longest: dict[str, int] = field(default_factory=dict)  # first word → longest key length
    names: dict[str, str] = field(default_factory=dict)  # current unit code → full name
    short_names: dict[str, str] = field(default_factory=dict)  # "38" → "Thanh Hóa"

    def add(self, short: str, place: Place) -> None:
        key = tuple(syllables(short))
        if not key:
            return
        place = replace(place, short_key=match_key(short))
        places = self.entries.setdefault(key, [])
        if place not in places:
            places.append(place)
        self.longest[key[0]] = max(self.longest.get(key[0], 0), len(key))
        for derived in ("_prefixes", "starts"):  # rebuilt on the next use
            self.__dict__.pop(derived, None)

    def lookup(self, words: list[str], i: int) -> tuple[int, list[Place]] | None:
        """Longest key starting at words[i]: words are added while the phrase still begins
        some key (most stop after one or two), the longest one that is a key wins."""
        longest = min(self.longest.get(words[i], 0), len(words) - i)
        if not longest:
            return None
        prefixes, found = self._prefixes, None
        for n in range(1, longest + 1):
            key = tuple(words[i : i + n])
            if key not in prefixes:
                break
            places = self.entries.get(key)
            if places:
                found = n, places
        return found

    @cached_property
    def starts(self) -> tuple[frozenset[str], frozenset[tuple[str, str]]]:
        """One-word keys, and the first two words of longer keys: a key can start at words[i]
        only when words[i] is one or (words[i], words[i + 1]) is one of the other."""
        return (frozenset(k[0] for k in self.entries if len(k) == 1),
                frozenset(k[:2] for k in self.entries if len(k) > 1))

    @cached_property
    def _prefixes(self) -> frozenset[tuple[str, ...]]:
        """Every leading part of every key (keys included); built on the first lookup."""
        return frozenset(key[:n] for key in self.entries for n in range(1, len(key) + 1))


_IY = {f"{c}y": f"{c}i" for c in "klmst"}  # "Kỳ Sơn" / "Kì Sơn": both spellings are in use


def syllables(text: str) -> list[str]:
    """Folded syllables, with the i/y spelling variants merged."""
    return [_IY.get(w, w) for w in _SYLLABLE_RE.findall(fold(text))]


def _short(name: str) -> str:
    for word in _TYPE_WORDS:
        if name.startswith(word + " "):
            return name[len(word) + 1 :]
    return name


def _rows(name: str) -> list[dict[str, str]]:
    with gzip.open(DATA_DIR / f"{name}.gz", "rt", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _ward_code(province: str, ward: str) -> str:
    return f"{int(province):02d}/{int(ward):05d}"


def _add_current(gaz: Gazetteer) -> dict[str, str]:
    province_names: dict[str, str] = {}
    for row in _rows("units_2025.csv"):
        prov = f"{int(row['provinceCode']):02d}"
        code = _ward_code(prov, row["wardCode"])
        province_names[prov] = row["province"]
        gaz.names[prov] = row["province"]
        gaz.names[code] = row["ward"]
        gaz.short_names[prov] = row["provinceShort"]
        gaz.short_names[code] = row["wardShort"]
        gaz.add(row["wardShort"], Place(row["ward"], COMMUNE, True, prov, None, (code,),
                                        row["province"]))
    for prov, name in province_names.items():
        gaz.add(_short(name), Place(name, PROVINCE, True, prov, None, (prov,), name))
    return province_names


def _add_legacy(gaz: Gazetteer, province_names: dict[str, str]) -> None:
    by_ward: dict[str, list[str]] = defaultdict(list)
    by_district: dict[str, list[str]] = defaultdict(list)
    old_province: dict[str, tuple[str, str]] = {}
    for row in _rows("legacy_to_2025.csv"):
        new = _ward_code(row["newProvinceCode"], row["newWardCode"])
        by_ward[row["wardCode"]].append(new)
        by_district[row["districtCode"]].append(new)
        old_province[row["provinceCode"]] = (row["province"], row["newProvinceCode"])
    for old_name, new_prov in old_province.values():
        gaz.add(_short(old_name), Place(old_name, PROVINCE, False, new_prov, None, (new_prov,),
                                        province_names[new_prov]))
    for row in _rows("districts_legacy_gso.csv"):
        units = tuple(dict.fromkeys(by_district.get(row["district_code"], ())))
        if units:
            gaz.add(_short(row["district"]), _former(row["district"], DISTRICT, row, units,
                                                     province_names))
    for row in _rows("units_legacy_gso.csv"):
        units = tuple(dict.fromkeys(by_ward.get(row["ward_code"], ())))
        if units:
            gaz.add(_short(row["ward"]), _former(row["ward"], COMMUNE, row, units,
                                                 province_names))


def _former(name: str, level: str, row: dict[str, str], units: tuple[str, ...],
            province_names: dict[str, str]) -> Place:
    prov = units[0].split("/")[0]
    return Place(name, level, False, prov, row["district_code"], units, province_names[prov])


@lru_cache(maxsize=1)
def gazetteer() -> Gazetteer:
    """Built once per process (~0.3 s) from the CSV files."""
    gaz = Gazetteer()
    province_names = _add_current(gaz)
    _add_legacy(gaz, province_names)
    for alias, prov in ALIASES.items():
        gaz.add(alias, Place(province_names[prov], PROVINCE, True, prov, None, (prov,),
                             province_names[prov]))
    return gaz


def unit_names(codes: Iterable[str]) -> list[str]:
    """Short names of the units of `codes` and of their provinces, province first, once each:
    ["38/14845"] → ["Thanh Hóa", "Mường Lát"]. What the `place:` field of a document holds."""
    names = gazetteer().short_names
    out: list[str] = []
    for code in codes:
        province, _, commune = code.partition("/")
        out += [names.get(province, ""), names.get(code, "") if commune else ""]
    return [name for name in dict.fromkeys(out) if name]


def province_code(name_or_code: str | None) -> str | None:
    """"Thanh Hóa", "thanh hoa", "Tỉnh Thanh Hoá" or "38" → "38"; unknown → None."""
    if not name_or_code:
        return None
    if name_or_code.isdigit():
        return f"{int(name_or_code):02d}"
    words = syllables(_short(name_or_code.strip().title()))
    hit = gazetteer().lookup(words, 0) if words else None
    if hit and hit[0] == len(words):
        provinces = {p.province for p in hit[1] if p.level == PROVINCE}
        if len(provinces) == 1:
            return provinces.pop()
    return None


# ---- finding mentions -----------------------------------------------------------------------

def _casual(text: str) -> bool:
    """Social text typed without capitals or without diacritics: capitalisation proves nothing."""
    lower = text.lower()
    return text == lower or lower == fold_text(text)  # has_diacritics, with the shared fold


def _capitalised(text: str) -> bool:
    return all(word[0].isupper() or word[0].isdigit() for word in _SYLLABLE_RE.findall(text))


_PREFIX_FIRST = {key[0] for key in PREFIXES}


def _prefix_at(words: list[str], i: int) -> tuple[int, frozenset[str]] | None:
    if words[i] not in _PREFIX_FIRST:
        return None
    for key, levels in PREFIXES.items():
        if tuple(words[i : i + len(key)]) == key:
            return len(key), levels
    return None


def _accept_bare(places: list[Place], key_len: int, surface: str, casual: bool) -> list[Place]:
    key = tuple(syllables(surface))
    if key in PREFIX_ONLY:
        return []
    provinces = [p for p in places if p.level == PROVINCE]
    if provinces and (casual or _capitalised(surface)):
        return provinces
    typed = match_key(surface)
    exact = [p for p in places if p.short_key == typed]
    if key_len >= 2 and not casual and _capitalised(surface) and exact:
        return exact  # typed accents must agree: "Bộ Y" is not the commune "Bờ Y"
    return []


_LAST = threading.local()  # per thread: the last text folded whole, and its folded form


def fold_text(text: str) -> str:
    """`fold(text)`, computed once per text for places and entities (the same string object)."""
    if getattr(_LAST, "text", None) != text:  # `is` first: no compare for the same object
        _LAST.text, _LAST.folded = text, fold(text)
    return _LAST.folded


def fold_spans(text: str, spans: list[tuple[int, int]]) -> list[str]:
    """`fold(text[s:e])` for each span, sliced from one fold of the whole text when that is the
    same: NFC text whose every character folds to exactly one character, and no "Σ" (its
    lower case depends on the next character)."""
    folded = fold_text(text)
    if (len(folded) == len(text) and "İ" not in text and "Σ" not in text
            and unicodedata.is_normalized("NFC", text)):
        # Nothing expands (only "İ" lower-cases to two characters), so equal lengths mean
        # nothing shrank either: the fold is character by character.
        return [folded[s:e] for s, e in spans]
    return [fold(text[s:e]) for s, e in spans]


def find_mentions(text: str) -> list[PlaceMention]:
    """Every place mention in `text` (NFC), with its candidates; not yet resolved."""
    gaz = gazetteer()
    spans = [m.span() for m in _SYLLABLE_RE.finditer(fold_text(text))]
    words = [_IY.get(w, w) for w in fold_spans(text, spans)]
    casual = _casual(text)
    out: list[PlaceMention] = []
    # Only a word that starts a prefix or a gazetteer key can start a mention.
    single, pairs = gaz.starts
    starts = [i for i, pair in enumerate(zip(words, words[1:], strict=False))
              if pair[0] in _PREFIX_FIRST or pair[0] in single or pair in pairs]
    if words and (words[-1] in _PREFIX_FIRST or words[-1] in single):
        starts.append(len(words) - 1)  # the last word has no pair
    end = 0
    for i in starts:
        if i < end:
            continue  # inside the previous mention
        mention = _mention_at(gaz, text, words, spans, i, casual)
        if mention is not None:
            out.append(mention[0])
            end = mention[1]
    return out


def _mention_at(gaz: Gazetteer, text: str, words: list[str], spans: list[tuple[int, int]],
                i: int, casual: bool) -> tuple[PlaceMention, int] | None:
    prefix = _prefix_at(words, i)
    if prefix is not None and i + prefix[0] < len(words):
        hit = gaz.lookup(words, i + prefix[0])
        if hit is not None:
            end = i + prefix[0] + hit[0]
            places = [p for p in hit[1] if p.level in prefix[1]]
            if places:
                start, stop = spans[i][0], spans[end - 1][1]
                return PlaceMention(text[start:stop], start, stop, places, True), end
    hit = gaz.lookup(words, i)
    if hit is None:
        return None
    end = i + hit[0]
    start, stop = spans[i][0], spans[end - 1][1]
    places = _accept_bare(hit[1], hit[0], text[start:stop], casual)
    if not places:
        return None
    return PlaceMention(text[start:stop], start, stop, places, False), end


# ---- resolving --------------------------------------------------------------------------------

def _context(mentions: list[PlaceMention], home: str | None) -> tuple[set[str], set[str]]:
    """Provinces and former districts the document names without doubt (plus the home)."""
    provinces = {home} if home else set()
    districts: set[str] = set()
    for m in mentions:
        found = {p.province for p in m.candidates}
        if len(found) == 1 and (m.prefixed or m.candidates[0].level == PROVINCE):
            provinces |= found
        found_d = {p.district for p in m.candidates if p.level == DISTRICT}
        if len(found_d) == 1 and len(m.candidates) == 1:
            districts |= found_d  # type: ignore[arg-type]
    return provinces, districts


def _prefer(cands: list[Place], keep) -> list[Place]:
    """The candidates passing `keep`, or all of them when none does (a preference, not a filter)."""
    kept = [p for p in cands if keep(p)]
    return kept or cands


def _choose(m: PlaceMention, provinces: set[str], districts: set[str]) -> list[Place]:
    cands = m.candidates
    surface = match_key(m.text)
    if has_diacritics(m.text):  # "Thanh Hóa" is not "Thạnh Hóa" when the accents are typed
        cands = _prefer(cands, lambda p: surface.endswith(p.short_key))
    if m.prefixed:  # "thành phố Thanh Hóa" is the former city, "tỉnh Thanh Hóa" the province
        cands = _prefer(cands, lambda p: surface.startswith(_type_key(p.name)))
    else:  # bare: a province, else a former district ("Mường Lát, Thanh Hóa"), else a commune
        for level in (PROVINCE, DISTRICT):
            if any(p.level == level for p in cands):
                cands = [p for p in cands if p.level == level]
                break
    if {p.level for p in cands} == {COMMUNE}:
        cands = _prefer(cands, lambda p: p.current)  # today's commune before a former namesake
    for narrow in (lambda p: p.district in districts, lambda p: p.province in provinces):
        inside = [p for p in cands if narrow(p)]
        if inside:
            cands = inside
            break
    return cands


def _type_key(name: str) -> str:
    """The administrative type word of an official name, lower-cased ("thành phố")."""
    short = _short(name)
    return match_key(name[: len(name) - len(short)].strip()) if short != name else "\0"


def _same_target(places: list[Place]) -> bool:
    return len({p.units for p in places}) == 1


def resolve(mentions: list[PlaceMention], home_province: str | None = None) -> list[PlaceMention]:
    """Fill unit/units/ambiguous on each mention using the document's other mentions."""
    provinces, districts = _context(mentions, province_code(home_province))
    kept: list[PlaceMention] = []
    for m in mentions:
        chosen = _choose(m, provinces, districts)
        bare_local = not m.prefixed and not any(p.level == PROVINCE for p in chosen)
        if bare_local and not {p.province for p in chosen} & provinces:
            continue  # a bare commune name outside every province in context: too weak to keep
        if _same_target(chosen):
            m.place, m.units, m.unit = chosen[0], chosen[0].units, chosen[0].unit
        elif bare_local:
            continue
        else:
            m.candidates, m.ambiguous = chosen, True
            shared = {p.province for p in chosen}
            m.unit = shared.pop() if len(shared) == 1 else None  # at least the province
        kept.append(m)
    return kept


def places(text: str, home_province: str | None = None) -> list[PlaceMention]:
    """Find and resolve the place mentions of one text."""
    return resolve(find_mentions(text), home_province)


def unit_name(code: str) -> str | None:
    """"38" → "Tỉnh Thanh Hóa", "38/14845" → "Xã Mường Lát"."""
    return gazetteer().names.get(code)
