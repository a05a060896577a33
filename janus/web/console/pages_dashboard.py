"""GET /console: the dashboard (a placeholder until the charts arrive)."""
from __future__ import annotations

from janus.web.console.render import render


def register(console) -> None:
    @console.page("/console")
    def console_dashboard(actor):
        return render("dashboard.html", title="Dashboard")
