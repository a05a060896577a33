"""GET /console: the dashboard, the figures of GET /analytics/summary
(janus.summary, four aggregations whatever the window) drawn as inline SVG
charts, each followed by its data as a table."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from markupsafe import Markup

from janus.errors import ValidationError
from janus.schemas.summary import SummaryQuery
from janus.summary import summarise
from janus.web.console import charts
from janus.web.console.inputs import given, read
from janus.web.console.render import render

TOP_UPLOADERS = 15  # the chart and its table; the rest are counted in a note
COUNT_NAMES = {"users": "Users", "admins": "Admins", "images": "Images", "logs": "Audit rows",
               "analytics": "Analytics rows", "security": "Security events"}


@dataclasses.dataclass(frozen=True)
class Figure:
    id: str
    title: str
    svg: Markup
    table: Markup
    note: str = ""
    collapsed: bool = False  # a long table: behind a <details> the reader opens


def every_day(rows: list[dict], first: date, last: date) -> list[tuple[str, int]]:
    """(day, count) for every day from ``first`` to ``last``: the summary lists
    only days that had rows, a chart over time needs the empty ones too."""
    counts = {row["day"]: row["count"] for row in rows}
    span = (last - first).days + 1
    days = [(first + timedelta(days=n)).isoformat() for n in range(max(span, 0))]
    return [(day, counts.get(day, 0)) for day in days]


def _per_day(chart_id: str, title: str, rows: list[dict], first: date, last: date,
             colour: str) -> Figure:
    series = every_day(rows, first, last)
    return Figure(chart_id, title,
                  charts.column_chart(series, chart_id=chart_id, title=title, colour=colour),
                  charts.data_table(title, ("Day", "Count"), [(d, n) for d, n in series if n]),
                  "The table lists the days with at least one.", collapsed=True)


def _bars(chart_id: str, title: str, heading: str, items: list[tuple[str, int]],
          note: str = "") -> Figure:
    return Figure(chart_id, title, charts.bar_chart(items, chart_id=chart_id, title=title),
                  charts.data_table(title, (heading, "Count"), items), note)


def figures(summary: dict) -> list[Figure]:
    # The window ends now: since + days (both UTC, as the summary's days are).
    first = summary["since"].date()
    today = (summary["since"] + timedelta(days=summary["days"])).date()
    uploads = summary["uploads_per_user"]
    more = len(uploads) - TOP_UPLOADERS
    return [
        _per_day("actions-per-day", "Audit actions per day", summary["actions_per_day"],
                 first, today, charts.BAR),
        _per_day("failed-logins-per-day", "Failed sign-ins per day",
                 summary["failed_logins_per_day"], first, today, charts.ALERT),
        _bars("uploads-per-user", "Uploads per user", "User",
              [(u["username"], u["count"]) for u in uploads[:TOP_UPLOADERS]],
              f"{more} more users uploaded fewer images." if more > 0 else ""),
        _bars("images-by-format", "Images by format", "Format",
              [(f["format"], f["count"]) for f in summary["images_by_format"]]),
        _bars("images-by-colour-type", "Images by colour type", "Colour type",
              [(c["color_type"], c["count"]) for c in summary["images_by_color_type"]]),
        _bars("top-actions", "Most frequent audit actions", "Action",
              [(a["action"], a["count"]) for a in summary["top_actions"]]),
    ]


def register(console) -> None:
    @console.page("/console")
    def console_dashboard(actor):
        form = given(SummaryQuery)
        try:
            days = read(SummaryQuery, form).days
        except ValidationError:
            return render("dashboard.html", status=422, title="Dashboard", days=form["days"],
                          error="Days must be a whole number from 1 to 366.", summary=None,
                          counts=[], figures=[])
        summary = summarise(days)
        counts = [(COUNT_NAMES.get(name, name), c["total"], c["in_window"])
                  for name, c in summary["counts"].items()]
        return render("dashboard.html", title="Dashboard", days=days, error=None,
                      summary=summary, counts=counts,
                      figures=figures(summary))

