"""Alerts: spike and crisis detection, explanations, reliable delivery, the daily digest."""
