"""The rising-issue kind in the recipient groups admins add in the dashboard."""

from __future__ import annotations

import re

from tests.web.test_recipients import _signing_secret, admin, alerts_yaml, rapp  # noqa: F401


def test_recipient_form_offers_rising_warnings_by_default(admin):  # noqa: F811
    """A new group gets the early warnings unless unticked, labelled in Vietnamese."""
    page = admin.get("/admin/recipients").text
    assert re.search(r'value="rising" checked> Vấn đề nóng dần \(cảnh báo sớm\)', page)
