import pytest

from langnghe.query import And, Filter, MatchAll, Not, Or, QueryError, Term, matches, parse, terms


def test_parse_empty_query_is_match_all():
    assert parse("") == MatchAll() and parse("   ") == MatchAll()


def test_parse_adjacent_words_are_anded():
    assert parse("mưa lũ") == And((Term("mưa"), Term("lũ")))


def test_parse_phrase_or_not_parentheses_and_fields():
    tree = parse('("sạt lở" OR bão) -"diễn tập" source:vnexpress title:cháy')
    assert tree == And((
        Or((Term("sạt lở", phrase=True), Term("bão"))),
        Not(Term("diễn tập", phrase=True)),
        Filter("source", "vnexpress"),
        Term("cháy", field="title"),
    ))


def test_parse_explicit_and_not_keywords():
    assert parse("cháy AND NOT chợ") == And((Term("cháy"), Not(Term("chợ"))))


def test_parse_prefix_star():
    assert parse("thanh*") == Term("thanh", prefix=True)


def test_parse_lowercase_operators_are_words():
    assert parse("or") == Term("or")


@pytest.mark.parametrize("bad, fragment", [
    ('"sạt lở', "ngoặc kép"), ("(bão OR lũ", "ngoặc đóng"), ("bão OR", "thiếu một từ"),
    ("nguon:vnexpress", "không có trường"), ("source:", "thiếu giá trị"), ('""', "trống"),
    (")", "không mong đợi"),
])
def test_parse_malformed_query_gives_clear_vietnamese_message(bad, fragment):
    with pytest.raises(QueryError) as err:
        parse(bad)
    assert fragment in str(err.value)


def test_parse_refuses_huge_queries():
    with pytest.raises(QueryError):
        parse("a " * 600)
    with pytest.raises(QueryError):
        parse(" OR ".join(["x"] * 70))


def test_parse_refuses_deep_nesting_without_recursion_error():
    with pytest.raises(QueryError, match="quá sâu"):
        parse("(" * 300 + "a" + ")" * 300)
    with pytest.raises(QueryError, match="quá sâu"):
        parse("NOT " * 40 + "a")
    assert parse("(" * 10 + "a" + ")" * 10) == Term("a")


def test_terms_lists_positive_terms_only():
    assert terms(parse('bão -lũ "Thanh Hóa"')) == [Term("bão"), Term("Thanh Hóa", phrase=True)]


TEXTS = {"title": "Mưa lũ gây sạt lở ở Thanh Hoá", "lead": "", "text": "Người dân huyện Mường Lát"}


@pytest.mark.parametrize("query, expected", [
    ("thanh hoa", True), ("Thanh Hóa", True), ('"muong lat"', True), ('"lat muong"', False),
    ("bão OR lũ", True), ("lũ -sạt", False), ("title:mường", False), ("text:mường", True),
    ("mường*", True), ("source:vnexpress", True), ("source:tuoitre", False),
    ("NOT source:tuoitre", True),
])
def test_matches_is_diacritics_insensitive_and_boolean(query, expected):
    assert matches(parse(query), TEXTS, {"source": ["vnexpress"]}) is expected
