"""User Markdown renders to HTML in which nothing can run, and still reads as intended."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from flask import render_template_string
from markdown_it import MarkdownIt
from markupsafe import Markup

from kudos import markdown
from kudos.markdown import TAGS, excerpt, render

SAFE_SCHEMES = {"", "http", "https", "mailto"}
SAFE_ATTRIBUTES = {"href", "title", "src", "alt", "rel", "align", "start"}


class Elements(HTMLParser):
    """Collect every element and attribute a browser would build from the HTML."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def assert_harmless(html: str) -> None:
    """Fail unless every element, attribute and URL in the HTML is on the allow-list."""
    lowered = html.lower()
    for needle in ("<script", "<iframe", "<svg", "<form", "<style", "<object", "<embed", "<meta"):
        assert needle not in lowered, html
    for tag, attrs in Elements(html).found:
        assert tag in TAGS, (tag, html)
        assert set(attrs) <= SAFE_ATTRIBUTES, (tag, attrs)
        for value in attrs.values():
            assert "javascript:" not in "".join((value or "").split()).lower(), (tag, attrs)
        for name in ("href", "src"):
            if name in attrs:
                url = "".join(attrs[name].split()).lower()
                assert urlsplit(url).scheme in SAFE_SCHEMES, (url, html)
        if tag == "a":
            assert attrs["rel"] == "nofollow noopener ugc"


XSS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)">',
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;&#x76;&#x61;script:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](%6A%61%76%61script:alert(1))",
    '[x](javascript:alert(1) "title")',
    "[x][ref]\n\n[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](data:image/png;base64,iVBORw0KGgo=)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x](vbscript:msgbox(1))",
    "[x](file:///etc/passwd)",
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<span style="position:fixed;top:0">x</span>',
    '<form action="https://evil.example"><input name="password"></form>',
    '<div onclick="alert(1)">click</div>',
    "<object data=x></object><embed src=x>",
    "<style>body{display:none}</style>",
    "<math><mi xlink:href=javascript:alert(1)>x</mi></math>",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    "<base href=https://evil.example/>",
    "<!-- <script>alert(1)</script> -->",
    "<details open ontoggle=alert(1)>",
    '<a href="https://ok.example" onmouseover="alert(1)">x</a>',
    '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")',
    '![x](https://ok.example/a.png "x\\" onerror=\\"alert(1)")',
    "<div>\n\n<script>alert(1)</script>\n\n</div>",
    "```html\n<script>alert(1)</script>\n```",
    "`<img src=x onerror=alert(1)>`",
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "> <iframe src=//evil.example>",
    "* <img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("source", XSS)
def test_nothing_dangerous_survives(source):
    html = render(source)
    assert isinstance(html, Markup)
    assert_harmless(html)


@pytest.fixture
def raw_html_allowed(monkeypatch):
    """Let raw HTML through the Markdown parser, to test the sanitizer on its own."""
    parser = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    monkeypatch.setattr(markdown, "_md", parser)


@pytest.mark.parametrize("source", XSS)
def test_the_sanitizer_alone_stops_raw_html(raw_html_allowed, source):
    assert_harmless(render(source))


def test_raw_html_is_shown_as_text():
    html = render("Hello <b onclick=x>world</b>")
    assert html == "<p>Hello &lt;b onclick=x&gt;world&lt;/b&gt;</p>\n"


def test_emphasis_strong_and_strikethrough():
    assert render("*a* **b** ~~c~~") == "<p><em>a</em> <strong>b</strong> <s>c</s></p>\n"


def test_code_keeps_its_content_escaped():
    html = render("```python\nif a < b and c > d:\n    print('<script>')\n```")
    assert html == (
        "<pre><code>if a &lt; b and c &gt; d:\n    print('&lt;script&gt;')\n</code></pre>\n"
    )
    assert render("Use `<br>` here") == "<p>Use <code>&lt;br&gt;</code> here</p>\n"


def test_links_get_rel_and_keep_safe_urls():
    html = render('[docs](https://docs.example/a?b=1&c=2 "Docs") [me](mailto:a@example.com)')
    assert html == (
        '<p><a href="https://docs.example/a?b=1&amp;c=2" title="Docs"'
        ' rel="nofollow noopener ugc">docs</a>'
        ' <a href="mailto:a@example.com" rel="nofollow noopener ugc">me</a></p>\n'
    )
    assert render("[up](/questions/1)") == (
        '<p><a href="/questions/1" rel="nofollow noopener ugc">up</a></p>\n'
    )


def test_a_link_cannot_set_its_own_rel_or_target(raw_html_allowed):
    html = render('<a href="https://x.example" rel="opener" target="_blank">x</a>')
    assert Elements(html).found == [
        ("p", {}),
        ("a", {"href": "https://x.example", "rel": "nofollow noopener ugc"}),
    ]


def test_images_keep_src_alt_and_title():
    assert render('![diagram](https://img.example/d.png "Landing zone")') == (
        '<p><img src="https://img.example/d.png" alt="diagram" title="Landing zone"></p>\n'
    )


def test_tables_keep_their_alignment_as_an_attribute():
    html = render("| left | right | plain |\n|:-----|------:|-------|\n| 1 | 2 | 3 |")
    assert '<th align="left">left</th>' in html
    assert '<td align="right">2</td>' in html
    assert "<td>3</td>" in html
    assert "style" not in html


def test_lists_headings_and_quotes():
    html = render("# Title\n\n1. one\n2. two\n\n- a\n- b\n\n> quoted\n\n---")
    assert html == (
        "<h1>Title</h1>\n<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n"
        "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n"
        "<blockquote>\n<p>quoted</p>\n</blockquote>\n<hr>\n"
    )
    assert render("3. three\n4. four").startswith('<ol start="3">')


def test_bare_urls_are_not_linkified_and_quotes_stay_straight():
    assert render('See https://x.example -- "quoted"') == (
        '<p>See https://x.example -- "quoted"</p>\n'
    )


@pytest.mark.parametrize("source", ["", None, "   \n\n"])
def test_empty_text_renders_empty(source):
    assert render(source) == ""


def test_excerpt_is_plain_text_with_whitespace_collapsed():
    text = "# Heading\n\nSome **bold** and `code <b>` &amp; [a link](https://x.example).\n\n- item"
    assert excerpt(text) == "Heading Some bold and code <b> & a link. item"
    assert not isinstance(excerpt(text), Markup)
    assert excerpt("<script>alert(1)</script>") == "<script>alert(1)</script>"


def test_excerpt_cuts_at_a_word_boundary_with_an_ellipsis():
    text = "alpha beta gamma delta epsilon"
    assert excerpt(text, length=14) == "alpha beta…"
    assert excerpt(text, length=16) == "alpha beta gamma…"
    assert excerpt(text, length=100) == text
    assert excerpt("x" * 30, length=10) == "x" * 10 + "…"


def test_templates_get_the_markdown_and_excerpt_filters(app):
    markdown.init_app(app)
    source = "**hi** <script>alert(1)</script> " + "word " * 60
    with app.test_request_context():
        page = render_template_string(
            "<div>{{ body|markdown }}</div><p>{{ body|excerpt(40) }}</p>", body=source
        )
    assert "<div><p><strong>hi</strong> &lt;script&gt;alert(1)&lt;/script&gt; word" in page
    # The excerpt is plain text, escaped by the template like any other string.
    assert "<p>hi &lt;script&gt;alert(1)&lt;/script&gt; word word…</p>" in page
    assert "<script>" not in page
