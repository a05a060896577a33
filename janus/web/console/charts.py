"""Inline SVG charts for the console, drawn on the server: no script, no CSS.

Every function returns markupsafe.Markup. Text goes in through Markup.format,
which escapes it; colours go in as SVG presentation attributes (the console's
CSP forbids style attributes, not these), and a colour that comes from data
is checked against ``^#[0-9a-f]{6}$`` first. Each chart is ``role="img"``
with a <title> and <desc> it is labelled by, and draws its own white
background, so the theme colours below keep their contrast whatever page it
sits on. The numbers themselves are for ``data_table`` (the text equivalent
the page puts next to every chart).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from markupsafe import Markup

# Theme, checked against BACKGROUND in the tests: text >= 4.5:1, marks >= 3:1.
BACKGROUND = "#ffffff"
TEXT = "#1a1a1a"
MUTED = "#595959"
BAR = "#1f5f99"
ALERT = "#a4262c"
FONT = 'font-family="system-ui, sans-serif" font-size="12"'

_HEX = re.compile(r"#[0-9a-f]{6}")
_ID = re.compile(r"[a-z][a-z0-9-]{0,40}")
LABEL_CHARS = 24


def hex_colour(value) -> str | None:
    """``value`` if it is a lower-case #rrggbb colour, else None."""
    return value if isinstance(value, str) and _HEX.fullmatch(value) else None


def _check(chart_id: str, colour: str) -> None:
    # Both come from our own code, never from data: a wrong one is a bug.
    if not _ID.fullmatch(chart_id):
        raise ValueError(f"chart id must match {_ID.pattern}: {chart_id!r}")
    if hex_colour(colour) is None:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")


def number(value) -> str:
    """1234 -> '1,234'; 0.5 -> '0.5'; floats to at most 2 decimals."""
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def percent(share: float) -> str:
    """0.1234 -> '12.3 %' (a share of 1)."""
    return f"{share * 100:.1f} %"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[:LABEL_CHARS - 1] + "…"


def _open(chart_id: str, width: int, height: int, title: str, desc: str) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{i}" role="img" '
        'width="{w}" height="{h}" viewBox="0 0 {w} {h}" aria-labelledby="{i}-title {i}-desc">'
        '<title id="{i}-title">{t}</title><desc id="{i}-desc">{d}</desc>'
        '<rect width="{w}" height="{h}" fill="{bg}"/>'
    ).format(i=chart_id, w=width, h=height, t=title, d=desc, bg=BACKGROUND)


def _no_data(chart_id: str, title: str) -> Markup:
    return (_open(chart_id, 320, 40, title, "No data.")
            + Markup('<text x="8" y="25" fill="{c}" {f}>No data</text></svg>')
            .format(c=MUTED, f=Markup(FONT)))


def _scale(values: Sequence[float], length: float) -> list[float]:
    top = max(values, default=0)
    return [round(v / top * length, 2) if top > 0 else 0.0 for v in values]


def bar_chart(items: Iterable[tuple[str, float]], *, chart_id: str, title: str,
              colour: str = BAR) -> Markup:
    """Horizontal bars, one per (label, value) in the order given, longest = the
    largest value. For categories: uploads per user, formats, colour types."""
    _check(chart_id, colour)
    items = [(str(label), value) for label, value in items]
    if not items:
        return _no_data(chart_id, title)
    row, label_w, bar_w, value_w = 22, 170, 300, 70
    width, height = label_w + bar_w + value_w, row * len(items) + 8
    top = max(v for _, v in items)
    desc = f"{len(items)} bars; the largest is {number(top)}. The table that follows lists them."
    parts = [_open(chart_id, width, height, title, desc),
             Markup('<g {f}>').format(f=Markup(FONT))]
    for n, ((label, value), length) in enumerate(zip(items, _scale([v for _, v in items], bar_w),
                                                     strict=True)):
        y = 4 + n * row
        parts.append(Markup(
            '<g><title>{label}: {v}</title>'
            '<text x="{lx}" y="{ty}" text-anchor="end" fill="{text}">{short}</text>'
            '<rect x="{bx}" y="{by}" width="{bw}" height="{bh}" fill="{colour}"/>'
            '<text x="{vx}" y="{ty}" fill="{text}">{v}</text></g>'
        ).format(label=label, short=_short(label), v=number(value), lx=label_w - 6, ty=y + 15,
                 text=TEXT, bx=label_w, by=y + 3, bw=length, bh=row - 6, colour=colour,
                 vx=label_w + length + 4))
    parts.append(Markup("</g></svg>"))
    return Markup("").join(parts)


def column_chart(items: Iterable[tuple[str, float]], *, chart_id: str, title: str,
                 colour: str = BAR) -> Markup:
    """Vertical columns in the order given, for a series such as counts per day.
    Only the first, middle and last labels are written under the axis; every
    column carries its label and value in a <title> (and the table has all)."""
    _check(chart_id, colour)
    items = [(str(label), value) for label, value in items]
    if not items:
        return _no_data(chart_id, title)
    left, plot_h, foot = 48, 160, 40
    step = max(3, min(24, 600 // len(items)))
    width, height = left + step * len(items) + 12, plot_h + foot + 8
    values = [v for _, v in items]
    top = max(values)
    desc = (f"{len(items)} columns from {items[0][0]} to {items[-1][0]}; the largest is "
            f"{number(top)}. The table that follows lists them.")
    base = 8 + plot_h
    parts = [_open(chart_id, width, height, title, desc), Markup('<g {f}>').format(f=Markup(FONT)),
             Markup('<line x1="{x}" y1="{b}" x2="{x2}" y2="{b}" stroke="{m}"/>'
                    '<text x="{tx}" y="16" text-anchor="end" fill="{t}">{top}</text>'
                    '<text x="{tx}" y="{b}" text-anchor="end" fill="{t}">0</text>')
             .format(x=left, x2=width - 8, b=base, m=MUTED, tx=left - 6, t=TEXT, top=number(top))]
    for n, ((label, value), length) in enumerate(zip(items, _scale(values, plot_h), strict=True)):
        parts.append(Markup(
            '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{c}"><title>{label}: {v}</title>'
            '</rect>'
        ).format(x=left + n * step, y=round(base - length, 2), w=max(1, step - 1), h=length,
                 c=colour, label=label, v=number(value)))
    for n in sorted({0, len(items) // 2, len(items) - 1}):
        anchor = "start" if n == 0 else "end" if n == len(items) - 1 else "middle"
        parts.append(Markup('<text x="{x}" y="{y}" text-anchor="{a}" fill="{t}">{label}</text>')
                     .format(x=left + n * step + step // 2, y=base + 18, a=anchor, t=TEXT,
                             label=_short(items[n][0])))
    parts.append(Markup("</g></svg>"))
    return Markup("").join(parts)


def histogram(bins: Sequence[float], *, chart_id: str, title: str, colour: str = BAR) -> Markup:
    """The luminance histogram of an analysis: N bins (256 from janus.imaging),
    dark to light, each a share of the visible pixels, drawn as one filled
    outline scaled to the fullest bin, over a black-to-white ramp."""
    _check(chart_id, colour)
    bins = [float(b) for b in bins]
    if not bins or not any(bins):
        return _no_data(chart_id, title)
    left, plot_w, plot_h = 48, 512, 150
    width, height = left + plot_w + 12, plot_h + 64
    step, base = plot_w / len(bins), 8 + plot_h
    heights = _scale(bins, plot_h)
    points = [f"M{left},{base}"]
    for n, h in enumerate(heights):
        x0, x1, y = round(left + n * step, 2), round(left + (n + 1) * step, 2), round(base - h, 2)
        points.append(f"L{x0},{y}L{x1},{y}")
    points.append(f"L{left + plot_w},{base}Z")
    fullest = max(range(len(bins)), key=bins.__getitem__)
    desc = (f"{len(bins)} bins from black to white; the fullest is bin {fullest} with "
            f"{percent(bins[fullest])} of the pixels. The table that follows groups them.")
    ramp = f"{chart_id}-ramp"
    return Markup(
        '{head}<defs><linearGradient id="{ramp}"><stop offset="0" stop-color="#000000"/>'
        '<stop offset="1" stop-color="#ffffff"/></linearGradient></defs><g {f}>'
        '<path d="{d}" fill="{c}"/>'
        '<line x1="{l}" y1="{b}" x2="{r}" y2="{b}" stroke="{m}"/>'
        '<rect x="{l}" y="{rampy}" width="{pw}" height="10" fill="url(#{ramp})" stroke="{m}"/>'
        '<text x="{tx}" y="16" text-anchor="end" fill="{t}">{top}</text>'
        '<text x="{tx}" y="{b}" text-anchor="end" fill="{t}">0</text>'
        '<text x="{l}" y="{labely}" fill="{t}">0 (black)</text>'
        '<text x="{r}" y="{labely}" text-anchor="end" fill="{t}">{last} (white)</text>'
        '</g></svg>'
    ).format(head=_open(chart_id, width, height, title, desc), ramp=ramp, f=Markup(FONT),
             d=" ".join(points), c=colour, l=left, r=left + plot_w, b=base, m=MUTED,
             rampy=base + 4, pw=plot_w, tx=left - 6, t=TEXT, top=percent(bins[fullest]),
             labely=base + 30, last=len(bins) - 1)


def histogram_ranges(bins: Sequence[float], groups: int = 8) -> list[tuple[str, float]]:
    """The histogram's text equivalent: the shares summed over ``groups`` equal
    ranges of bins, e.g. ('0–31', 0.25)."""
    size = max(1, -(-len(bins) // groups))
    return [(f"{start}–{min(start + size, len(bins)) - 1}", round(sum(bins[start:start + size]), 6))
            for start in range(0, len(bins), size)]


def palette(colours: Iterable[Mapping], *, chart_id: str, title: str) -> Markup:
    """Swatches of an analysis' dominant colours (dicts with ``hex`` and
    ``share``): a strip with each colour's share of the width, then one
    swatch per colour with its hex code and share. A colour that is not
    #rrggbb is drawn as an empty outlined swatch, labelled "invalid"."""
    _check(chart_id, BAR)
    colours = list(colours)
    if not colours:
        return _no_data(chart_id, title)
    strip_w, cell = 480, 96
    width = max(strip_w, cell * len(colours)) + 16
    height = 24 + 16 + 64 + 44
    desc = (f"{len(colours)} colours, largest share first. The table that follows lists "
            "their hex codes and shares.")
    parts = [_open(chart_id, width, height, title, desc), Markup('<g {f}>').format(f=Markup(FONT))]
    x = 8.0
    for colour in colours:
        fill, share = hex_colour(colour.get("hex")), float(colour.get("share") or 0)
        w = round(max(0.0, min(share, 1.0)) * strip_w, 2)
        parts.append(Markup('<rect x="{x}" y="8" width="{w}" height="24" fill="{c}"/>')
                     .format(x=round(x, 2), w=w, c=fill or "none"))
        x += w
    parts.append(Markup('<rect x="8" y="8" width="{w}" height="24" fill="none" stroke="{m}"/>')
                 .format(w=strip_w, m=MUTED))
    for n, colour in enumerate(colours):
        fill, share = hex_colour(colour.get("hex")), float(colour.get("share") or 0)
        x = 8 + n * cell
        parts.append(Markup(
            '<g><title>{name}: {p}</title>'
            '<rect x="{x}" y="48" width="64" height="64" fill="{c}" stroke="{m}"/>'
            '<text x="{x}" y="128" fill="{t}">{name}</text>'
            '<text x="{x}" y="144" fill="{t}">{p}</text></g>'
        ).format(name=fill or "invalid", p=percent(share), x=x, c=fill or "none", m=MUTED,
                 t=TEXT))
    parts.append(Markup("</g></svg>"))
    return Markup("").join(parts)


def data_table(caption: str, headers: Sequence[str], rows: Iterable[Sequence],
               *, table_id: str | None = None) -> Markup:
    """A chart's text equivalent: <table> with a caption, column headers and
    the first cell of each row as its header. Numbers are formatted with
    ``number``; anything else is escaped as text."""
    def cell(value) -> str:
        return number(value) if isinstance(value, int | float) and not isinstance(value, bool) \
            else str(value)

    body = Markup("").join(
        Markup("<tr><th scope=\"row\">{}</th>{}</tr>").format(
            cell(row[0]), Markup("").join(Markup("<td>{}</td>").format(cell(v)) for v in row[1:]))
        for row in rows)
    if not body:
        body = Markup('<tr><td colspan="{}">No data</td></tr>').format(len(headers))
    head = Markup("").join(Markup('<th scope="col">{}</th>').format(h) for h in headers)
    ident = Markup(' id="{}"').format(table_id) if table_id else Markup("")
    return Markup('<table class="chart-data"{}><caption>{}</caption><thead><tr>{}</tr></thead>'
                  "<tbody>{}</tbody></table>").format(ident, caption, head, body)
