"""Dashboard pages for leads and admins: filters in, figure JSON and CSV out.

The page carries each figure as a JSON data block that static/js/charts.js draws with the
plotly.js that ships inside the installed plotly package, served by the app itself, so the
Content-Security-Policy needs no inline script and no other host. It does need inline styles on
these pages alone: plotly.js writes its stylesheet (hover labels, the plot layers' stacking)
into a <style> element when it loads, and without it the charts stack wrongly.
"""

from __future__ import annotations

import io
import logging
from datetime import date, timedelta
from pathlib import Path

import plotly
import plotly.io
from flask import Blueprint, Response, abort, render_template, request, send_file
from markupsafe import Markup

from analytics import charts, queries
from analytics.dashboards import DASHBOARDS, Dashboard
from analytics.queries import Filters
from kudos.models import utcnow
from kudos.security import CONTENT_SECURITY_POLICY, role_required

log = logging.getLogger(__name__)

bp = Blueprint("analytics", __name__)

LEAD_ROLES = ("lead", "admin")
DEFAULT_DAYS = 365
MAX_DAYS = 366 * 5
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
CHART_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class FilterError(ValueError):
    pass


@bp.after_request
def allow_chart_styles(response):
    """Let plotly.js add its stylesheet on the dashboards (scripts stay 'self' only)."""
    if request.endpoint == "analytics.dashboard":
        response.headers["Content-Security-Policy"] = CHART_POLICY
    return response


def _date(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise FilterError(f"The {name} date “{raw[:20]}” is not a date like 2026-03-31.") from None


def parse_filters(board: Dashboard) -> Filters:
    """Read the range and category from the query string, refusing what makes no sense."""
    today = utcnow().date()
    end = _date("end", today)
    start = _date("start", end - timedelta(days=DEFAULT_DAYS - 1))
    if end < start:
        raise FilterError(
            f"The range ends ({end.isoformat()}) before it starts ({start.isoformat()})."
        )
    if (end - start).days > MAX_DAYS:
        raise FilterError("Choose a range of at most five years.")
    category = request.args.get("category", "").strip() or None
    if category is not None:
        choices = queries.categories()[board.category_kind]
        if category not in choices:
            what = {"support": "support category", "tags": "tag"}.get(
                board.category_kind, "category"
            )
            raise FilterError(f"There is no {what} “{category[:40]}”.")
    return Filters(start, end, category)


def figure_json(figure) -> Markup:
    """A figure as JSON that is safe inside a <script type="application/json"> block."""
    text = plotly.io.to_json(charts.figure_data(figure), validate=False)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - JSON with <, > and & escaped, in a data block


def _board(name: str) -> Dashboard:
    board = DASHBOARDS.get(name)
    if board is None:
        abort(404, f"There is no dashboard “{name[:40]}”; see the list on /analytics.")
    return board


@bp.route("/analytics")
@role_required(*LEAD_ROLES)
def index():
    return render_template("analytics/index.html", dashboards=DASHBOARDS.values())


@bp.route("/analytics/<name>")
@role_required(*LEAD_ROLES)
def dashboard(name: str):
    board = _board(name)
    try:
        filters = parse_filters(board)
    except FilterError as error:
        return render_template(
            "analytics/dashboard.html",
            board=board,
            panels=[],
            error=str(error),
            args=request.args,
            choices=queries.categories()[board.category_kind],
        ), 400
    panels = []
    for panel in board.panels:
        result = panel.build(filters)
        panels.append(
            {
                "panel": panel,
                "result": result,
                "figure": figure_json(result.figure) if result.figure is not None else None,
            }
        )
    return render_template(
        "analytics/dashboard.html",
        board=board,
        panels=panels,
        filters=filters,
        error=None,
        args=request.args,
        choices=queries.categories()[board.category_kind],
    )


@bp.route("/analytics/<name>/<panel_slug>.csv")
@role_required(*LEAD_ROLES)
def export(name: str, panel_slug: str):
    board = _board(name)
    panel = board.panel(panel_slug)
    if panel is None:
        abort(404, f"The {board.title} dashboard has no chart “{panel_slug[:40]}”.")
    try:
        filters = parse_filters(board)
    except FilterError as error:
        abort(400, str(error))
    buffer = io.StringIO()
    panel.build(filters).frame.to_csv(buffer, index=False)
    filename = f"kudos-{board.slug}-{panel.slug}-{filters.start}-{filters.end}.csv"
    return Response(
        buffer.getvalue(),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@bp.route("/static/vendor/plotly.min.js")
def plotly_js():
    """plotly.js from the installed plotly package, so it always matches the Python side."""
    if not PLOTLY_JS.is_file():
        log.error("plotly.min.js is missing from the plotly package at %s", PLOTLY_JS)
        abort(404, "plotly.min.js is not installed.")
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86_400, conditional=True)
