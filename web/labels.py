"""Vietnamese display names of the engine's label ids (domains, sentiments, kinds, roles)."""

DOMAIN_VI = {
    "socio_economic": "Kinh tế – xã hội", "government": "Chính quyền, cải cách hành chính",
    "citizen_feedback": "Phản ánh, kiến nghị của dân", "health": "Y tế",
    "education": "Giáo dục", "agriculture": "Nông nghiệp, nông thôn",
    "environment": "Tài nguyên, môi trường", "public_order": "An toàn giao thông, trật tự",
    "press_media": "Báo chí, mạng xã hội",
}
SENTIMENT_VI = {"negative": "Tiêu cực", "neutral": "Trung lập", "positive": "Tích cực"}
KIND_VI = {"article": "Bài báo", "post": "Bài đăng", "comment": "Bình luận",
           "forum_post": "Diễn đàn"}
OUTLET_VI = {"state": "Cơ quan nhà nước", "national": "Báo trung ương", "local": "Báo địa phương",
             "business": "Doanh nghiệp", "forum": "Diễn đàn", "social": "Mạng xã hội",
             "other": "Khác"}
ROLE_VI = {"viewer": "Xem", "analyst": "Phân tích", "admin": "Quản trị"}
STATUS_VI = {"ok": "Hoạt động", "failing": "Đang lỗi", "silent": "Im lặng bất thường",
             "never": "Chưa lấy được"}
FACET_VI = {"source": "Nguồn", "kind": "Loại", "sentiment": "Sắc thái", "domain": "Lĩnh vực",
            "topic": "Chủ đề", "entity": "Thực thể"}


def label(field: str, value: str) -> str:
    table = {"domain": DOMAIN_VI, "sentiment": SENTIMENT_VI, "kind": KIND_VI}.get(field, {})
    return table.get(value, value)
