"""Server-rendered digitalisation dashboard: inline SVG bar charts, each followed by its data table.

The page runs under the site's Content Security Policy (no inline scripts or
styles): bar lengths are SVG geometry attributes, and colours come from
``static/dashboard.css`` through classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from madoguchi.i18n import SUPPORTED_LOCALES, translate
from madoguchi.inventory.dashboard import Dashboard
from madoguchi.inventory.kpi import Rate, RateTarget
from madoguchi.inventory.labels import (
    LEGAL_BASIS_LABELS,
    ONLINE_STATUS_LABELS,
    SEAL_STATUS_LABELS,
    format_fiscal_year,
    label_of,
)
from madoguchi.web.pages import _environment

# SVG geometry in user units; the SVG scales to the page width through its viewBox.
CHART_WIDTH = 640
LABEL_WIDTH = 230
BAR_START = 240
BAR_AREA = 320
ROW_HEIGHT = 30
BAR_HEIGHT = 18
TOP_MARGIN = 8


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its length as a share of the bar area, and the value shown."""

    label: str
    fraction: float
    display: str
    y: int
    width: float


@dataclass(frozen=True)
class Marker:
    """A vertical reference line across the chart, e.g. a target rate."""

    label: str
    x: float
    anchor: str  # text-anchor of the label: "end" puts it left of the line, "start" right

    @property
    def label_x(self) -> float:
        """x of the label, 3 units off the line so that neighbouring labels do not overlap."""
        return self.x - 3 if self.anchor == "end" else self.x + 3


@dataclass(frozen=True)
class BarChart:
    """A horizontal bar chart with its accessible name."""

    chart_id: str
    title: str
    summary: str
    bars: list[Bar]
    markers: list[Marker] = field(default_factory=list)

    @property
    def height(self) -> int:
        """Height of the SVG in user units."""
        return TOP_MARGIN * 2 + ROW_HEIGHT * max(len(self.bars), 1) + (16 if self.markers else 0)

    @property
    def bar_start(self) -> int:
        """x of the start of every bar."""
        return BAR_START

    @property
    def label_end(self) -> int:
        """x where the right-aligned bar labels end."""
        return LABEL_WIDTH

    @property
    def bar_area(self) -> int:
        """Length of a bar at 100%."""
        return BAR_AREA

    @property
    def width(self) -> int:
        """Width of the SVG in user units."""
        return CHART_WIDTH

    @property
    def bar_height(self) -> int:
        """Height of one bar."""
        return BAR_HEIGHT


def format_percent(rate: Rate | None) -> str:
    """Format a rate as a percentage with one decimal, or an em dash when it is undefined."""
    if rate is None or rate.rate is None:
        return "—"
    return f"{rate.rate * 100:.1f}%"


def format_count(value: int | None) -> str:
    """Format a count with thousands separators, or an em dash when there is none."""
    return "—" if value is None else f"{value:,}"


def _bars(items: list[tuple[str, float, str]]) -> list[Bar]:
    bars = []
    for index, (label, fraction, display) in enumerate(items):
        clamped = min(max(fraction, 0.0), 1.0)
        bars.append(
            Bar(
                label=label,
                fraction=clamped,
                display=display,
                y=TOP_MARGIN + index * ROW_HEIGHT,
                width=round(clamped * BAR_AREA, 1),
            )
        )
    return bars


def rate_chart(
    chart_id: str,
    title: str,
    items: list[tuple[str, Rate]],
    targets: Sequence[tuple[str, int]] = (),
) -> BarChart:
    """Build a chart of rates on a 0–100% scale, with optional target lines.

    ``targets`` are (label, percent) pairs. The line shows the percent and the
    chart's accessible name includes the full label.
    """
    bars = _bars([(label, rate.rate or 0.0, format_percent(rate)) for label, rate in items])
    summary = f"{title}: " + "; ".join(f"{label} {format_percent(rate)}" for label, rate in items)
    if targets:
        summary += " / " + "; ".join(label for label, _percent in targets)
    # Target lines sit close together (90% and 100%), so their labels alternate sides.
    markers = [
        Marker(
            label=f"{percent}%",
            x=round(BAR_START + BAR_AREA * percent / 100, 1),
            anchor="end" if index % 2 == 0 else "start",
        )
        for index, (_label, percent) in enumerate(targets)
    ]
    return BarChart(chart_id, title, summary, bars, markers)


def count_chart(chart_id: str, title: str, items: list[tuple[str, int]]) -> BarChart:
    """Build a chart of counts scaled to the largest count."""
    largest = max((count for _label, count in items), default=0)
    bars = _bars(
        [(label, count / largest if largest else 0.0, format_count(count)) for label, count in items]
    )
    summary = f"{title}: " + "; ".join(f"{label} {format_count(count)}" for label, count in items)
    return BarChart(chart_id, title, summary, bars)


def _target_label(target: RateTarget, locale: str) -> str:
    if locale == "ja":
        return target.label_ja
    return translate(
        "dashboard.target_label", locale, percent=target.percent, deadline=target.deadline.isoformat()
    )


def _fiscal_year_label(fiscal_year: int, locale: str) -> str:
    if locale == "ja":
        return f"{format_fiscal_year(fiscal_year)}末"
    return translate("dashboard.fiscal_year_end", locale, year=fiscal_year)


def build_charts(dashboard: Dashboard, locale: str) -> dict[str, BarChart]:
    """Build every chart of the page in ``locale``; charts without data are left out."""

    def d(key: str, **params: object) -> str:
        return translate(f"dashboard.{key}", locale, **params)

    charts: dict[str, BarChart] = {}
    targets = [(_target_label(status.target, locale), status.target.percent) for status in dashboard.targets]
    if dashboard.fiscal_years:
        charts["fiscal_years"] = rate_chart(
            "chart-fiscal-years",
            d("chart.fiscal_years"),
            [(_fiscal_year_label(p.fiscal_year, locale), p.online_ordinance) for p in dashboard.fiscal_years],
            targets,
        )
    latest = dashboard.latest
    if latest is not None:
        charts["seal"] = rate_chart(
            "chart-seal",
            d("chart.seal"),
            [
                (d("seal.overall"), latest.seal.overall),
                (d("seal.within_prefecture_power"), latest.seal.within_prefecture_power),
                (d("seal.awaiting_law_change"), latest.seal.awaiting_law_change),
            ],
        )
        charts["legal_basis"] = rate_chart(
            "chart-legal-basis",
            d("chart.legal_basis"),
            [(legal_basis_label(row.group, locale), row.online_rate) for row in latest.by_legal_basis],
        )
        charts["departments"] = rate_chart(
            "chart-departments",
            d("chart.departments"),
            [(row.group, row.online_rate) for row in latest.by_department],
        )
    charts["live"] = count_chart(
        "chart-live",
        d("chart.live"),
        [(p.title.get(locale) or p.procedure_id, p.applications) for p in dashboard.live_procedures],
    )
    return charts


def legal_basis_label(code: str, locale: str) -> str:
    """Return the label of a legal basis code in ``locale``."""
    label = label_of(LEGAL_BASIS_LABELS, code)
    return label.ja if locale == "ja" else label.en


def _code_label(labels: Any, code: str, locale: str) -> str:
    label = label_of(labels, code)
    return label.ja if locale == "ja" else label.en


def render_dashboard(dashboard: Dashboard, locale: str) -> str:
    """Render the dashboard page in ``locale``."""

    def t(key: str, **params: object) -> str:
        return translate(f"pages.{key}", locale, **params)

    def d(key: str, **params: object) -> str:
        return translate(f"dashboard.{key}", locale, **params)

    other = next(code for code in SUPPORTED_LOCALES if code != locale)
    return _environment().get_template("dashboard.html").render(
        locale=locale,
        other_locale=other,
        path="/dashboard",
        t=t,
        d=d,
        dashboard=dashboard,
        charts=build_charts(dashboard, locale),
        percent=format_percent,
        count=format_count,
        target_label=lambda target: _target_label(target, locale),
        fiscal_year_label=lambda year: _fiscal_year_label(year, locale),
        legal_basis_label=lambda code: legal_basis_label(code, locale),
        online_status_label=lambda code: _code_label(ONLINE_STATUS_LABELS, code, locale),
        seal_status_label=lambda code: _code_label(SEAL_STATUS_LABELS, code, locale),
    )
