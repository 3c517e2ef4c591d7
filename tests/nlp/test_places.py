"""Place mentions resolved to the 2025 administrative units (nlp/places.py)."""

import csv
import time
from pathlib import Path

import pytest

from nlp import places
from tests.paths import DATA

ADMIN = DATA / "vn-admin-units"


def _current_wards(province: str, district: str) -> set[str]:
    """The 2025 communes a former district became, read straight from the mapping file."""
    with open(ADMIN / "legacy_to_2025.csv", encoding="utf-8") as fh:
        return {f"{int(r['newProvinceCode']):02d}/{int(r['newWardCode']):05d}"
                for r in csv.DictReader(fh)
                if r["province"] == province and r["district"] == district}


def _only(text: str, home: str | None = None) -> places.PlaceMention:
    found = places.places(text, home)
    assert len(found) == 1, [m.text for m in found]
    return found[0]


def test_places_former_district_resolves_to_its_current_communes():
    # Real sentence shape from VNTC: "huyện X, tỉnh Y".
    found = places.places("Mưa lũ ở huyện Mường Lát, tỉnh Thanh Hóa làm sập 3 nhà.")
    district = found[0]
    assert district.text == "huyện Mường Lát"
    assert set(district.units) == _current_wards("Tỉnh Thanh Hóa", "Huyện Mường Lát")
    assert district.unit == "38"  # several communes: the province holds them all
    assert found[1].unit == "38" and not found[1].ambiguous


@pytest.mark.parametrize("text", ["tỉnh Thanh Hóa", "tỉnh Thanh Hoá", "tinh thanh hoa",
                                  "TỈNH THANH HÓA"])
def test_places_province_matches_with_any_diacritics_and_tone_placement(text):
    assert _only(f"Mưa lớn tại {text} hôm qua").unit == "38"


def test_places_casual_text_without_diacritics_finds_bare_province():
    assert _only("mua lu o thanh hoa qua troi luon").unit == "38"


def test_places_lower_case_common_words_are_not_provinces_in_edited_text():
    # "hòa bình" (peace) is also the former province Hòa Bình: prefix needed.
    assert places.places("Nhân dân mong muốn hòa bình và ổn định lâu dài.") == []


@pytest.mark.parametrize("text,code", [("Bình Dương", "79"), ("Quảng Bình", "44"),
                                       ("Hà Giang", "08"), ("Bắc Giang", "24")])
def test_places_old_names_of_merged_provinces_map_to_the_new_province(text, code):
    with open(ADMIN / "legacy_to_2025.csv", encoding="utf-8") as fh:
        expected = {r["newProvinceCode"] for r in csv.DictReader(fh)
                    if r["province"].endswith(text)}
    assert {code} == expected  # the expectation itself comes from the data file
    assert _only(f"Tin từ {text} cho biết").unit == code


def test_places_former_commune_maps_to_the_commune_it_merged_into():
    with open(ADMIN / "legacy_to_2025.csv", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["ward"] == "Thị trấn Mường Lát")
    mention = places.places("Nước lũ tràn vào thị trấn Mường Lát (Thanh Hóa) trong đêm.")[0]
    assert mention.text == "thị trấn Mường Lát"
    assert mention.unit == f"38/{row['newWardCode']}"


def test_places_prefix_thanh_pho_means_the_former_city_not_the_province():
    city = places.places("UBND thành phố Thanh Hóa họp về ngập úng")[0]
    assert city.place is not None and city.place.level == places.DISTRICT
    assert set(city.units) == _current_wards("Tỉnh Thanh Hóa", "Thành phố Thanh Hóa")
    province = _only("Thanh Hóa có 166 xã, phường")
    assert province.place.level == places.PROVINCE


def test_places_commune_in_many_provinces_is_marked_ambiguous():
    mention = _only("Người dân xã Tân Phú phản ánh đường hư hỏng")
    assert mention.ambiguous and mention.unit is None
    assert len({c.province for c in mention.candidates}) > 1


def test_places_context_province_resolves_a_shared_commune_name():
    alone = _only("Người dân xã Tân Phú phản ánh đường hư hỏng")
    in_context = places.places("Người dân xã Tân Phú, tỉnh Đồng Nai phản ánh đường hư hỏng")[0]
    assert not in_context.ambiguous and in_context.unit.startswith("75/")
    assert in_context.unit in {c.units[0] for c in alone.candidates}


def test_places_home_province_resolves_a_shared_commune_name():
    mention = _only("Người dân xã Tân Phú phản ánh đường hư hỏng", home="Đồng Nai")
    assert mention.unit is not None and mention.unit.startswith("75/")


def test_places_city_aliases_resolve_to_ho_chi_minh_city():
    found = places.places("UBND TP.HCM và TPHCM, Sài Gòn, TP HCM")
    assert [m.unit for m in found] == ["79"] * 4


def test_places_person_named_like_the_city_is_not_a_place():
    assert places.places("Tư tưởng Hồ Chí Minh soi đường") == []


def test_places_bare_commune_without_context_is_dropped():
    # "Suối Tiên" is a commune name, but nothing in the text says which province.
    assert places.places("Khu du lịch Suối Tiên đông khách") == []


def test_places_offsets_point_into_the_text():
    text = "Trên địa bàn tỉnh Nghệ An và huyện Kì Sơn - Nghệ An có nhiều xe"
    for m in places.places(text):
        assert text[m.start:m.end] == m.text


@pytest.mark.parametrize("text", ["", "   ", "😀😀", "12345 67"])
def test_places_empty_or_placeless_input_gives_nothing(text):
    assert places.places(text) == []


def test_places_huge_input_is_fast():
    text = "Đoàn công tác về huyện Mường Lát, tỉnh Thanh Hóa. " * 4000  # ~200k chars
    start = time.perf_counter()
    found = places.places(text)
    assert len(found) == 8000
    assert time.perf_counter() - start < 5  # a linear scan, not quadratic


def test_places_unit_name_and_province_code_lookups():
    assert places.unit_name("38") == "Tỉnh Thanh Hóa"
    assert places.province_code("thanh hoa") == "38"
    assert places.province_code("Không Có") is None


def test_places_gazetteer_ships_with_the_package_and_equals_the_shared_data():
    """A deployment has no shared/data beside it: the gazetteer is read from the package, and
    its copies are byte-for-byte the shared data set (refresh: nlp/gazetteer/README.md)."""
    import gzip

    assert places.DATA_DIR.parent == Path(places.__file__).parent
    for name in ("units_2025", "legacy_to_2025", "districts_legacy_gso", "units_legacy_gso"):
        shipped = gzip.decompress((places.DATA_DIR / f"{name}.csv.gz").read_bytes())
        assert shipped == (ADMIN / f"{name}.csv").read_bytes(), name


def test_places_unit_names_give_province_then_commune_once():
    assert places.unit_names(["38/14845", "38"]) == ["Thanh Hóa", "Mường Lát"]
    assert places.unit_names(["99/00000", ""]) == []
