"""The words the assistant understands: intent cues, domain and sentiment phrases, abbreviations
and the function words dropped from the searched keywords. Data only (written with diacritics;
matched diacritics-insensitively by assistant.tokens).

A phrase is matched on whole words. An earlier list wins over a later one where two could take
the same words (see assistant.understand for the order).
"""

from __future__ import annotations

# Social-media shorthand and frequent misspellings, folded → folded words (what they stand for).
ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "bn": ("bao", "nhieu"), "bnh": ("bao", "nhieu"), "bnhieu": ("bao", "nhieu"),
    "j": ("gi",), "gj": ("gi",), "k": ("khong",), "ko": ("khong",), "kg": ("khong",),
    "khg": ("khong",), "hok": ("khong",), "hong": ("khong",), "hem": ("khong",),
    "hnay": ("hom", "nay"), "hqua": ("hom", "qua"), "wa": ("qua",), "qa": ("qua",),
    "trc": ("truoc",), "tuantruoc": ("tuan", "truoc"), "dag": ("dang",), "dg": ("dang",),
    "mxh": ("mang", "xa", "hoi"), "vs": ("voi",), "sl": ("so", "luong"), "dc": ("duoc",),
    "ntn": ("nhu", "the", "nao"), "tphcm": ("tp", "hcm"), "tpcm": ("tp", "hcm"),
    "xo": ("so",), "nhiu": ("nhieu",), "bh": ("bao", "gio"), "h": ("gio",), "z": ("vay",),
"t": ("tin",), "ng": ("nguoi",), "nc": ("nuoc",), "bc": ("bao", "chi"),
    "ktxh": ("kinh", "te", "xa", "hoi"), "atgt": ("an", "toan", "giao", "thong"),
    "cchc": ("cai", "cach", "hanh", "chinh"), "tnmt": ("tai", "nguyen", "moi", "truong"),
    "gddt": ("giao", "duc", "dao", "tao"),
}

# Intents and the phrases that signal them, strongest first: the first intent with a cue in the
# question wins (assistant.understand.INTENT_ORDER says the order).
INTENT_CUES: dict[str, tuple[str, ...]] = {
    "forecast": ("dự báo", "dự đoán", "sẽ có bao nhiêu", "sẽ tăng", "sẽ giảm", "sẽ thế nào",
                 "sẽ ra sao", "sẽ như thế nào", "dự kiến"),
    "compare": ("so sánh", "so với", "nhiều hơn", "ít hơn", "hơn hay kém", "chênh lệch",
                "khác nhau", "đối chiếu", "tăng hay giảm so với", "hơn không"),
    "sources": ("nguồn nào", "báo nào", "trang nào", "kênh nào", "tờ nào", "đài nào",
                "những nguồn", "các nguồn", "nguồn tin nào", "nguồn thu thập", "nguồn đang lỗi",
                "nguồn bị lỗi", "tình trạng nguồn", "ngừng cập nhật", "im lặng bất thường",
                "nguồn lỗi", "đang lỗi", "bị lỗi", "gặp lỗi", "các nguồn thu thập",
                "nguồn nào lỗi", "nguồn nào bị lỗi", "nguồn nào đang lỗi", "nguồn nào hỏng",
                "những nguồn nào", "nguồn tin", "tình trạng các nguồn", "tình trạng nguồn"),
    "alerts": ("cảnh báo", "sự cố truyền thông", "khủng hoảng truyền thông", "khủng hoảng",
               "đột biến", "bất thường", "bùng phát", "sự cố", "cần xử lý", "báo động",
               "đang mở", "chưa xử lý", "tăng đột biến", "khẩn cấp", "cảnh báo khẩn cấp",
               "nguy cơ", "rủi ro", "điểm nóng"),
    "sentiment": ("sắc thái", "tích cực hay tiêu cực", "tiêu cực hay tích cực", "tốt hay xấu",
                  "xấu hay tốt", "tỷ lệ", "tỉ lệ", "phần trăm", "thái độ", "cảm xúc",
                  "phân bố sắc thái", "đánh giá thế nào", "tích cực hay không",
                  "tiêu cực hay không", "khen hay chê", "chê hay khen"),
    "trend": ("xu hướng", "diễn biến", "tăng hay giảm", "giảm hay tăng", "đang tăng",
              "đang giảm", "có tăng", "có giảm", "biến động", "theo ngày", "theo giờ",
              "theo từng ngày", "theo từng giờ", "mỗi ngày", "từng ngày", "biểu đồ",
              "thay đổi ra sao", "thay đổi thế nào", "thay đổi như thế nào", "tăng giảm",
              "lên hay xuống"),
    "count": ("bao nhiêu tin", "bao nhiêu bài", "bao nhiêu lần", "bao nhiêu lượt",
              "bao nhiêu bài báo", "bao nhiêu bài viết", "bao nhiêu tin tức", "bao nhiêu",
              "số lượng", "số tin", "số bài", "đếm", "mấy tin", "mấy bài", "tổng số",
              "mấy lần", "nhiêu tin", "con số", "có nhiều tin"),
    "top_stories": ("nổi bật", "đáng chú ý", "tin nóng", "nóng nhất", "tin hot", "hot nhất",
                    "top", "tin chính", "nổi cộm", "được nhiều báo", "nhiều báo đăng",
                    "tiêu điểm", "quan trọng nhất", "hot"),
    "search": ("tìm", "tìm kiếm", "tra cứu", "liệt kê", "cho xem", "cho tôi xem",
               "danh sách bài", "danh sách tin", "danh sách bài viết", "những bài nào", "mới nhất",
               "các bài nào", "bài nào", "tin nào nói", "đưa tôi danh sách", "lọc"),
    "overview": ("nói gì", "có gì", "tình hình", "tổng quan", "điểm tin", "tóm tắt", "bản tin",
                 "thế nào", "ra sao", "như thế nào", "chuyện gì", "diễn ra", "bức tranh",
                 "dư luận", "viết gì", "đưa tin gì", "đăng gì", "tin gì", "có tin gì",
                 "có chuyện gì", "xảy ra", "đưa tin", "điểm báo", "tổng hợp", "cho biết",
                 "tình hình chung", "bức tranh chung", "nhìn chung", "điểm qua", "tổng kết",
                 "tóm lược", "những gì", "điều gì"),
}

# "bao nhiêu" alone is a count only when the question is about news: a news noun or a verb of
# publishing somewhere in it ("Giá vàng hôm nay bao nhiêu?" asks a price, not a count).
NEWS_WORDS = ("tin", "bài", "bài báo", "bài viết", "tin tức", "lần", "lượt", "nhắc", "đăng",
              "đưa tin", "viết", "nguồn", "báo chí")

DOMAIN_PHRASES: dict[str, tuple[str, ...]] = {
    "socio_economic": ("kinh tế", "kinh tế xã hội", "kinh tế - xã hội", "kinh tế, xã hội",
                       "phát triển kinh tế", "tình hình kinh tế"),
    "government": ("chính quyền", "cải cách hành chính", "thủ tục hành chính", "hành chính",
                   "chính quyền địa phương", "chính quyền tỉnh", "dịch vụ công",
                   "cán bộ công chức", "bộ máy chính quyền"),
    "citizen_feedback": ("phản ánh", "kiến nghị", "phản ánh kiến nghị", "phản ánh, kiến nghị",
                         "ý kiến người dân", "phản ánh của dân", "dân phản ánh",
                         "người dân phản ánh", "khiếu nại", "kiến nghị của dân"),
    "health": ("y tế", "sức khỏe", "ngành y", "ngành y tế", "sức khoẻ"),
    "education": ("giáo dục", "giáo dục đào tạo", "giáo dục và đào tạo", "ngành giáo dục",
                  "giáo dục - đào tạo"),
    "agriculture": ("nông nghiệp", "nông thôn", "nông nghiệp nông thôn",
                    "nông nghiệp, nông thôn", "nông nghiệp và nông thôn", "tam nông"),
    "environment": ("môi trường", "tài nguyên", "tài nguyên môi trường",
                    "tài nguyên và môi trường", "tài nguyên, môi trường", "ô nhiễm môi trường"),
    "public_order": ("an toàn giao thông", "trật tự", "an ninh trật tự", "an ninh, trật tự",
                     "an ninh", "trật tự xã hội", "giao thông", "trật tự an toàn xã hội",
                     "an toàn giao thông, trật tự"),
    # "báo chí" and "mạng xã hội" are far more often who speaks ("báo chí nói gì") than what
    # about: the domain needs words that make it the subject.
    "press_media": ("lĩnh vực báo chí", "ngành báo chí", "về báo chí", "báo chí truyền thông",
                    "về truyền thông", "về mạng xã hội", "lĩnh vực truyền thông"),
}
# Phrases containing a domain phrase that mean something narrower: kept as searched words.
NOT_DOMAINS = ("tai nạn giao thông", "ùn tắc giao thông", "vi phạm giao thông")

SENTIMENT_PHRASES: dict[str, tuple[str, ...]] = {
    "negative": ("tiêu cực", "tin xấu", "negative", "không tốt", "tiêu cục"),
    "positive": ("tích cực", "tin tốt", "positive", "tin vui"),
    "neutral": ("trung lập", "trung tính", "neutral"),
}

# Words that say what is asked, not about what: never part of the searched keywords. Typed
# without accents they are compared folded, so a word whose folded form is also a common
# content word is left out ("vâng"/vàng, "nhá"/nhà, "lắm"/lâm, "hỏi"/hội, "đó"/đồ, "mấy"/máy)
# or kept only inside a phrase ("làm ơn", "cho hỏi").
STOPWORDS = frozenset("""
tin bài báo viết các những về ở tại của trên trong có không là gì nào được đang đã sẽ cho tôi
mình xem hãy như thế thì mà với và hoặc hay nhé nhỉ ạ à ơi vậy vụ việc chuyện nói đưa đăng
nhắc đến tới đề cập liên quan nhất nhiều ít hơn lần lượt lượng khoảng trang tỉnh ra sao
biết cụ thể giúp bạn chúng một từ giờ đây hiện nay bây chủ yếu đâu mới rồi thấy vẫn còn
phải cần xin vui lòng giùm dùm cái con đi lại thôi hả hở ai tổng cộng theo ngày nhanh
luôn nữa đấy này kia ấy dạ em bị rất khá chút xíu
ông bà anh chị
""".split())
# Two-word function phrases (folded words joined by a space) dropped as a whole.
STOP_PHRASES = ("bài báo", "bài viết", "tin tức", "báo chí", "mạng xã hội", "người dân",
                "người ta", "dư luận", "truyền thông", "các nguồn", "thông tin", "xã hội",
                "thu thập", "danh sách", "câu chuyện", "sự kiện", "vấn đề", "đề nghị", "báo cáo",
                "đánh giá", "thống kê", "xin cho biết", "cho hỏi", "xin hỏi", "làm ơn")

# Words that make a question a question about something else than the coverage; with no cue of
# ours, a question holding one is not understood rather than read as a search.
QUESTION_WORDS = ("gì", "ai", "sao", "nào", "bao nhiêu", "mấy", "không", "chưa", "đâu",
                  "thế nào", "như thế nào", "bao giờ", "khi nào", "hả")

# Words that say a future period is about coverage ("tin"), not about the world ("thời tiết
# ngày mai"): a question about the future needs one of these or a forecast cue.
FORECAST_NOUNS = ("tin", "bài", "số tin", "lượng tin", "bài báo", "bài viết", "tin tức")
