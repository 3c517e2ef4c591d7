"""Step 2 of the cascade: structural rules for news CMSs, generic hooks first.

Each hook list is tried in order and the first match wins. Generic hooks (`data-role` of the
VCCorp CMS family — Tuổi Trẻ, NLĐ, CafeF, Báo Chính phủ and kin —, `data-slot`, schema.org
`itemprop`) come before the few outlet-specific ones (VnExpress `fck_detail`, VietnamNet
`maincontent`) documented in ../shared/vn-sources.md.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlElement

TITLE_HOOKS = (
    '//h1[@data-role="title"]', '//h1[@data-slot="title"]', '//h1[@itemprop="headline"]',
    '//h1[contains(@class,"title-detail")]',  # VnExpress
    '//h1[contains(@class,"content-detail-title")]',  # VietnamNet
    '//h1[contains(@class,"article__title")]', '//h1[contains(@class,"detail-title")]',
)
SAPO_HOOKS = (
    '//*[@data-role="sapo"]', '//*[@data-slot="sapo"]',
    '//h2[contains(@class,"detail-sapo")]', '//*[contains(@class,"content-detail-sapo")]',
    '//article//p[contains(@class,"description")]',  # VnExpress
    '//p[contains(@class,"description")'
    ' and following-sibling::article[contains(@class,"fck_detail")]]',
    '//*[contains(@class,"article__sapo")]', '//*[contains(@class,"article-sapo")]',
    '//*[contains(@class,"the-article-summary")]',
)
BODY_HOOKS = (
    '//*[@data-role="content"]', '//*[@data-slot="content"]', '//*[@itemprop="articleBody"]',
    '//article[contains(@class,"fck_detail")]',  # VnExpress
    '//*[@id="maincontent" and contains(@class,"maincontent")]',  # VietnamNet
    '//*[contains(@class,"article__body")]', '//*[contains(@class,"the-article-body")]',
    '//*[contains(@class,"detail-content")]',
)
AUTHOR_HOOKS = (
    '//*[@data-role="author"]', '//*[contains(@class,"detail-author")]//*[contains(@class,"name")]',
    '//*[contains(@class,"article-detail-author")]//*[contains(@class,"name")]',
    '//*[@itemprop="author"]//*[@itemprop="name"]',
)
DATE_HOOKS = ('//*[@data-role="publishdate"]', '//*[contains(@class,"publish-date")]',
              '//span[contains(@class,"date")]')
# VnExpress byline: a right-aligned last paragraph holding the author's name in <strong>.
BYLINE_HOOK = ('.//p[contains(@style,"text-align:right") or contains(@style,"text-align: right")]'
               '[strong][last()]')


_COMPILED: dict[str, etree.XPath] = {}


def xpath(tree: HtmlElement, hook: str) -> list:
    """Evaluate `hook` compiled once (hooks run on every page)."""
    compiled = _COMPILED.get(hook)
    if compiled is None:
        compiled = _COMPILED[hook] = etree.XPath(hook)
    return compiled(tree)


def first(tree: HtmlElement, hooks: tuple[str, ...]) -> HtmlElement | None:
    for hook in hooks:
        found = xpath(tree, hook)
        if found:
            return found[0]
    return None


def text_of(node: HtmlElement | None) -> str:
    return " ".join(node.text_content().split()) if node is not None else ""


def find_authors(tree: HtmlElement) -> list[str]:
    names: list[str] = []
    for hook in AUTHOR_HOOKS:
        for node in xpath(tree, hook):
            name = text_of(node)
            if name and len(name) < 80 and name not in names:  # a name, not a paragraph
                names.append(name)
        if names:
            return names
    return names
