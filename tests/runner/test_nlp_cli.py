"""`langnghe enrich | segment | normalize` as filters, on real dataset sentences."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.paths import DATA, REPO

FIELDS = {"segmented", "normalized", "sentiment", "toxicity", "emotion", "category", "domains",
          "entities", "story_id", "lang"}


def run(command, stdin):
    return subprocess.run([sys.executable, "-m", "runner.cli", command], input=stdin, cwd=REPO,
                          capture_output=True, text=True, timeout=180)


def real_lines(path, n):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line, _ in zip(fh, range(n), strict=False)]


def test_enrich_adds_every_field_to_real_comments_and_keeps_order():
    rows = [{"id": f"r{i}", "text": r["text"]}
            for i, r in enumerate(real_lines(DATA / "uit-vsfc" / "dev.jsonl", 20))]
    out = run("enrich", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    assert out.returncode == 0, out.stderr
    results = [json.loads(line) for line in out.stdout.splitlines()]
    assert [r["id"] for r in results] == [r["id"] for r in rows]
    for r in results:
        assert FIELDS <= set(r)
        assert r["sentiment"]["label"] in ("negative", "neutral", "positive")
        assert 0 <= r["sentiment"]["score"] <= 1
        assert r["toxicity"]["label"] in ("clean", "offensive", "hate")


def test_enrich_groups_a_syndicated_copy_into_one_story():
    text = real_lines(DATA / "vntc-10topics" / "dev.jsonl", 1)[0]["text"]
    rows = [{"id": "a", "title": "Bản gốc", "text": text},
            {"id": "b", "title": "Bản đăng lại", "text": text + "\nTheo báo khác"},
            {"id": "c", "text": "Một bình luận hoàn toàn khác về chuyện giá xăng"}]
    out = run("enrich", "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    a, b, c = (json.loads(line) for line in out.stdout.splitlines())
    assert a["story_id"] == b["story_id"] != c["story_id"]


def test_enrich_reports_a_bad_line_and_continues():
    out = run("enrich", 'not json\n{"text": 3}\n{"text": "Dịch vụ rất tốt"}\n')
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert out.returncode == 0
    assert [("error" in line) for line in lines] == [True, True, False]
    assert lines[2]["sentiment"]["label"] == "positive"


def test_segment_prints_one_line_per_input_line():
    out = run("segment", "Thanh Hóa mưa lũ gây thiệt hại\n\nkhông dấu: thanh hoa mua lu\n")
    lines = out.stdout.split("\n")[:-1]
    assert len(lines) == 3 and lines[1] == ""
    assert "Thanh_Hóa" in lines[0] and "mưa_lũ" in lines[0]


def test_normalize_rewrites_teencode_line_by_line():
    out = run("normalize", "ko bít nói j\nđc thôi\n")
    assert out.stdout.splitlines() == ["không biết nói gì", "được thôi"]
