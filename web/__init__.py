"""The web app: server-rendered Vietnamese pages and the JSON API under /api/v1.

Every value from a crawled document is escaped by Jinja2's autoescape; a strict
Content-Security-Policy forbids inline scripts and remote resources.
"""
