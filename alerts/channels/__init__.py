"""Delivery channels: email (SMTP), Telegram Bot API, generic webhook; one `send` each."""
