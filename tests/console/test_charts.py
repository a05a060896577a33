"""janus.web.console.charts: well-formed SVG, escaped labels, scaled values,
"no data" for nothing, re-validated colours, theme contrast. No database."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from janus.imaging.analysis import contrast_ratio
from janus.web.console import charts

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = ["<script>alert(1)</script>", '"onmouseover="alert(1)', "javascript:alert(1)",
           "&amp; ]]> <!--", "Ünïcødé ☃ label that is rather longer than the chart's room"]
PALETTE = [{"hex": "#000000", "share": 0.5}, {"hex": "#ffffff", "share": 0.3},
           {"hex": "#1f5f99", "share": 0.2}]


def parse(markup) -> ET.Element:
    return ET.fromstring(str(markup))


def texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter() if e.tag in (f"{SVG}text", f"{SVG}title")]


def rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


CHARTS = {
    "bar": lambda data, **kw: charts.bar_chart(data, **kw),
    "column": lambda data, **kw: charts.column_chart(data, **kw),
    "histogram": lambda data, **kw: charts.histogram([v for _, v in data], **kw),
    "palette": lambda data, **kw: charts.palette(
        [{"hex": "#336699", "share": v / 10} for _, v in data], **kw),
}
SAMPLE = [("2026-11-01", 3), ("2026-11-02", 0), ("2026-11-03", 7)]


@pytest.mark.parametrize("kind", CHARTS)
@pytest.mark.parametrize("data", [SAMPLE, [("only", 1)], []], ids=["three", "one", "empty"])
def test_every_chart_is_an_accessible_svg_without_style(kind, data):
    root = parse(CHARTS[kind](data, chart_id="c-1", title="Title <b>"))
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    ids = {e.get("id") for e in root.iter()}
    assert root.get("aria-labelledby").split() == ["c-1-title", "c-1-desc"]
    assert {"c-1-title", "c-1-desc"} <= ids
    assert root.find(f"{SVG}title").text == "Title <b>"
    for element in root.iter():
        assert "style" not in element.attrib
        assert not any(name.startswith("on") for name in element.attrib)


@pytest.mark.parametrize("kind", CHARTS)
def test_no_data_is_said_in_words(kind):
    root = parse(CHARTS[kind]([], chart_id="empty", title="Uploads"))
    assert "No data" in texts(root)
    assert root.find(f"{SVG}desc").text == "No data."


def test_an_all_zero_histogram_is_no_data():
    assert "No data" in texts(parse(charts.histogram([0.0] * 256, chart_id="h", title="H")))


@pytest.mark.parametrize("label", HOSTILE)
@pytest.mark.parametrize("draw", [charts.bar_chart, charts.column_chart])
def test_hostile_labels_stay_text(draw, label):
    markup = draw([(label, 2), ("x", 1)], chart_id="hostile", title=label)
    assert "<script" not in markup
    root = parse(markup)  # would fail on a label that broke out of its element
    assert not any(e.tag.endswith("script") for e in root.iter())
    assert all("javascript:" not in v for e in root.iter() for v in e.attrib.values())
    assert f"{label}: 2" in texts(root)  # the full label, in the bar's <title>
    assert root.find(f"{SVG}title").text == label


def test_long_labels_are_shortened_on_the_chart_only():
    label = "x" * 40
    shown = texts(parse(charts.bar_chart([(label, 1)], chart_id="b", title="T")))
    assert "x" * (charts.LABEL_CHARS - 1) + "…" in shown and f"{label}: 1" in shown


@pytest.mark.parametrize("values", [[1, 2, 4], [10, 0, 5], [0, 0, 0], [0.25, 0.5, 1.0]])
def test_bars_are_proportional_to_their_values(values):
    root = parse(charts.bar_chart([(str(n), v) for n, v in enumerate(values)],
                                  chart_id="b", title="T"))
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")][1:]  # [0]: background
    top = max(values)
    assert widths == [pytest.approx(v / top * 300 if top else 0, abs=0.01) for v in values]


def test_columns_are_proportional_and_the_axis_names_first_and_last():
    items = [(f"2026-11-{d:02}", d % 4) for d in range(1, 31)]
    root = parse(charts.column_chart(items, chart_id="days", title="Per day"))
    columns = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [float(r.get("height")) for r in columns] == \
        [pytest.approx(v / 3 * 160, abs=0.01) for _, v in items]
    assert [r.find(f"{SVG}title").text for r in columns][:2] == ["2026-11-01: 1", "2026-11-02: 2"]
    shown = texts(root)
    assert {"2026-11-01", "2026-11-30", "3"} <= set(shown)


def test_histogram_is_scaled_to_its_fullest_bin():
    bins = [0.0] * 256
    bins[0], bins[128], bins[255] = 0.25, 0.5, 0.25
    root = parse(charts.histogram(bins, chart_id="hist", title="Luminance"))
    path = root.find(f".//{SVG}path").get("d")
    ys = sorted({float(y) for y in re.findall(r",([\d.]+)", path)})
    assert ys == [8.0, 83.0, 158.0]  # the fullest bin at the top, half of it halfway, 0 at base
    assert {"50.0 %", "0 (black)", "255 (white)"} <= set(texts(root))


def test_histogram_ranges_sum_the_bins():
    bins = [1 / 256] * 256
    ranges = charts.histogram_ranges(bins)
    assert [name for name, _ in ranges][:2] == ["0–31", "32–63"] and len(ranges) == 8
    assert sum(share for _, share in ranges) == pytest.approx(1.0)
    assert charts.histogram_ranges([0.5, 0.5, 0.0], groups=2) == [("0–1", 1.0), ("2–2", 0.0)]


def test_palette_draws_every_colour_with_its_share_and_hex():
    root = parse(charts.palette(PALETTE, chart_id="pal", title="Palette"))
    fills = [r.get("fill") for r in root.iter(f"{SVG}rect")]
    assert fills.count("#1f5f99") == 2  # strip and swatch
    strip = [r for r in root.iter(f"{SVG}rect")
             if r.get("height") == "24" and r.get("fill") != "none"]
    assert [float(r.get("width")) for r in strip] == [240.0, 144.0, 96.0]
    shown = texts(root)
    assert {"#000000", "#ffffff", "50.0 %", "30.0 %", "20.0 %"} <= set(shown)
    # every swatch has an outline, so white stays visible on white
    swatches = [r for r in root.iter(f"{SVG}rect") if r.get("height") == "64"]
    assert all(r.get("stroke") == charts.MUTED for r in swatches) and len(swatches) == 3


@pytest.mark.parametrize("bad", ['#fff" onload="alert(1)', "#FFFFFF", "red", "#12345", None, 7,
                                 "url(javascript:alert(1))", "#1234567"])
def test_palette_colours_are_revalidated(bad):
    markup = charts.palette([{"hex": bad, "share": 1.0}], chart_id="pal", title="P")
    root = parse(markup)
    fills = {e.get("fill") for e in root.iter() if e.get("fill")}
    assert all(f == "none" or re.fullmatch(r"#[0-9a-f]{6}", f) for f in fills)
    assert "invalid" in texts(root) and "onload" not in {a for e in root.iter() for a in e.attrib}


@pytest.mark.parametrize("chart_id", ["", "1abc", 'x" onload="y', "A", "x y"])
def test_chart_ids_and_colours_from_code_are_checked(chart_id):
    with pytest.raises(ValueError):
        charts.bar_chart([("a", 1)], chart_id=chart_id, title="T")
    with pytest.raises(ValueError):
        charts.bar_chart([("a", 1)], chart_id="ok", title="T", colour="#FFF")


def test_theme_contrast_meets_wcag_aa_on_the_chart_background():
    bg = rgb(charts.BACKGROUND)
    for text in (charts.TEXT, charts.MUTED):  # text: 4.5:1
        assert contrast_ratio(rgb(text), bg) >= 4.5
    for mark in (charts.BAR, charts.ALERT, charts.MUTED):  # graphics: 3:1 (WCAG 1.4.11)
        assert contrast_ratio(rgb(mark), bg) >= 3


@pytest.mark.parametrize("label", HOSTILE)
def test_data_table_escapes_and_labels_its_cells(label):
    markup = charts.data_table(label, ("Name", "Count"), [(label, 1234), ("b", 0.5)],
                               table_id="t-1")
    root = parse(markup)
    assert root.get("id") == "t-1" and root.find("caption").text == label
    assert [th.get("scope") for th in root.iter("th")] == ["col", "col", "row", "row"]
    assert [[c.text for c in tr] for tr in root.find("tbody")] == [[label, "1,234"], ["b", "0.5"]]


def test_an_empty_data_table_says_no_data():
    root = parse(charts.data_table("Nothing", ("Day", "Count"), []))
    cell = root.find("tbody/tr/td")
    assert cell.text == "No data" and cell.get("colspan") == "2"


@pytest.mark.parametrize(("value", "shown"), [(1234, "1,234"), (0, "0"), (2.5, "2.5"),
                                              (3.14159, "3.14"), (2.0, "2")])
def test_numbers(value, shown):
    assert charts.number(value) == shown
