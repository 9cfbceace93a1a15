"""User Markdown to safe HTML: the one renderer, and the allow-list that sanitizes its output."""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Raw HTML in the source is shown as text; the sanitizer below is the second line of defence.
_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "s", "code",
    "pre", "blockquote", "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th",
    "td",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
# Alignment is the only value a table cell may carry.
ALIGN = {"th": {"align": {"left", "center", "right"}}, "td": {"align": {"left", "center", "right"}}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow noopener ugc"

_TEXT_ALIGN = re.compile(r"text-align:(left|center|right)")
_WHITESPACE = re.compile(r"\s+")


def _align_cells(tokens) -> None:
    """Turn the renderer's style="text-align:..." on table cells into an align attribute."""
    for token in tokens:
        if token.type in ("th_open", "td_open") and "style" in token.attrs:
            match = _TEXT_ALIGN.fullmatch(str(token.attrs.pop("style")))
            if match:
                token.attrs["align"] = match.group(1)


def render(text: str | None) -> Markup:
    """Render user Markdown to HTML that is safe to put in a page as is."""
    return _render(text or "")


# The output depends on the text alone, so a cache keyed by the text is never stale; it saves
# re-parsing the same posts on every view of a busy page (bench/load.py).
@lru_cache(maxsize=2048)
def _render(text: str) -> Markup:
    tokens = _md.parse(text)
    _align_cells(tokens)
    unsafe = _md.renderer.render(tokens, _md.options, {})
    return Markup(  # noqa: S704 -- nh3 has just sanitized it with the allow-list above
        nh3.clean(
            unsafe,
            tags=TAGS,
            attributes=ATTRIBUTES,
            tag_attribute_values=ALIGN,
            url_schemes=URL_SCHEMES,
            link_rel=LINK_REL,
            strip_comments=True,
        )
    )


def excerpt(text: str | None, length: int = 200) -> str:
    """Return the plain text of user Markdown, cut at a word boundary, for list pages."""
    plain = html.unescape(nh3.clean(str(render(text)), tags=set()))
    plain = _WHITESPACE.sub(" ", plain).strip()
    if len(plain) <= length:
        return plain
    cut = plain[: length + 1]
    cut = cut.rsplit(" ", 1)[0] if " " in cut else cut[:length]
    return cut.rstrip(" ,.;:!?-") + "…"


def init_app(app) -> None:
    """Add the `markdown` and `excerpt` filters to the app's templates."""
    app.jinja_env.filters["markdown"] = render
    app.jinja_env.filters["excerpt"] = excerpt
