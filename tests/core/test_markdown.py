from html.parser import HTMLParser

import pytest

from core.markdown import render_markdown


def test_markdown_formatting_is_rendered():
    html = render_markdown("**bold** and _italic_\n\n- one\n- two")
    assert "<strong>bold</strong>" in html
    assert "<em>italic</em>" in html
    assert "<li>one</li>" in html


def test_script_tags_are_rendered_as_inert_text():
    html = render_markdown("Hi <script>alert('x')</script>")
    assert "<script" not in html
    assert "&lt;script&gt;" in html


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes.extend(name for name, _ in attrs)


def elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    "source",
    [
        '<img src=x onerror="alert(1)">',
        '<a href="https://example.com" onclick="steal()">x</a>',
        "<iframe src='https://evil.example'></iframe>",
        "<style>body{display:none}</style>",
        "<p style='position:fixed'>overlay</p>",
    ],
)
def test_raw_html_is_shown_as_text_never_as_markup(source):
    found = elements(render_markdown(source))
    assert set(found.tags) <= {"p"}
    assert found.attributes == []


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html;base64,PHNjcmlwdD4="]
)
def test_dangerous_link_schemes_do_not_become_links(url):
    html = render_markdown(f"[click]({url})")
    assert "href" not in html


def test_links_get_noopener_and_nofollow():
    html = render_markdown("[docs](https://example.com/docs)")
    assert 'href="https://example.com/docs"' in html
    assert "noopener" in html
    assert "nofollow" in html


def test_image_markdown_is_dropped_not_loaded():
    html = render_markdown("![tracker](https://evil.example/pixel.gif)")
    assert "<img" not in html


def test_empty_input_renders_empty():
    assert render_markdown("") == ""
    assert render_markdown(None) == ""
