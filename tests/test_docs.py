"""The README stays short, and its links into docs/ resolve: the page exists and
so does the anchor (mkdocs --strict in ``make docs-check`` checks the pages' own
links, but the README is not one of them)."""
from __future__ import annotations

import re

import yaml
from markdown.extensions.toc import slugify

from tests.helpers import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text()
DOCS = PROJECT_ROOT / "docs"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def anchors(page: str) -> set[str]:
    """The ids mkdocs gives the headings of ``page`` (its toc slugs, code spans as text)."""
    text = re.sub(r"```.*?```", "", (DOCS / page).read_text(), flags=re.S)
    headings = re.findall(r"^#{1,6} (.+)$", text, re.M)
    return {slugify(heading.replace("`", ""), "-") for heading in headings}


def nav_pages(nav) -> list[str]:
    pages = []
    for entry in nav:
        for value in entry.values():
            pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_the_readme_fits_in_a_head():
    assert len(README.splitlines()) <= 250


def test_every_relative_link_of_the_readme_resolves():
    links = [link for link in LINK.findall(README) if not re.match(r"\w+:", link)]
    assert any(link.startswith("docs/") for link in links)
    for link in links:
        path, _, anchor = link.partition("#")
        assert (PROJECT_ROOT / path).is_file(), link
        if anchor:
            assert anchor in anchors(path.removeprefix("docs/")), link


def test_the_readme_map_links_every_page_of_the_site():
    nav = yaml.safe_load((PROJECT_ROOT / "mkdocs.yml").read_text())["nav"]
    linked = {link.partition("#")[0].removeprefix("docs/") for link in LINK.findall(README)}
    assert set(nav_pages(nav)) - {"index.md"} <= linked


def test_the_deployment_page_shows_the_haproxy_configuration_the_fleet_test_loads():
    """docs/deploy/haproxy.cfg is what tests/fleet/ runs; the page quotes it whole."""
    shipped = (DOCS / "deploy/haproxy.cfg").read_text()
    page = (DOCS / "deployment.md").read_text()
    section = page.split("\n## Several hosts\n", 1)[1].split("\n## ", 1)[0]
    assert f"```\n{shipped}```" in section
