"""XSS probes of the console tests: hostile strings, and checks that a page
shows them as text and nothing in it runs."""
from __future__ import annotations

from html.parser import HTMLParser

from markupsafe import escape

# "/" is refused in file names, so the probes do without "</script>".
HOSTILE = ['<img src=x onerror=alert(1)>', '"onmouseover="alert(1)', "javascript:alert(1)"]


class Tags(HTMLParser):
    """Every start tag with its attributes: a page parsed as a browser would."""

    def __init__(self, text: str):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def attrs(self, name: str) -> list[str]:
        return [a[name] for _, a in self.tags if a.get(name) is not None]


def assert_inert(text: str) -> None:
    """No script, no event handler and no javascript: URL got into the page."""
    tags = Tags(text)
    assert not [t for t, _ in tags.tags if t == "script"]
    assert not [n for _, a in tags.tags for n in a if n.startswith("on")]
    assert not [v for _, a in tags.tags for n, v in a.items()
                if n in ("href", "src", "action") and v and "javascript:" in v.lower()]
    assert "style" not in {n for _, a in tags.tags for n in a}


def assert_shown_as_text(text: str, hostile: str) -> None:
    assert str(escape(hostile)) in text
    if str(escape(hostile)) != hostile:
        assert hostile not in text
