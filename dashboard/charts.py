"""Server-drawn SVG bar charts: geometry here, markup in ``templates/_chart.html``.

Charts need no script and no external file; each has a title, a description and a data table.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Bar", "Chart", "column_chart", "row_chart"]

WIDTH = 320
_ROW = 22
_LABEL_WIDTH = 120


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    show_label: bool = True
    keep_end: bool = False

    @property
    def short_label(self) -> str:
        """The label cut to fit beside a bar; site names keep both ends (and so the domain)."""
        if len(self.label) <= 20:
            return self.label
        if self.keep_end:
            return self.label[:7] + "…" + self.label[-12:]
        return self.label[:19] + "…"


@dataclass(frozen=True, slots=True)
class Chart:
    key: str
    title: str
    description: str
    unit: str
    kind: str  # "columns" (a time series) or "rows" (a ranking)
    bars: tuple[Bar, ...]
    width: int
    height: int
    css: str = ""

    @property
    def has_data(self) -> bool:
        return any(b.value for b in self.bars)


def column_chart(
    key: str,
    title: str,
    description: str,
    items: list[tuple[str, int]],
    *,
    unit: str,
    label_every: int = 1,
    css: str = "",
) -> Chart:
    """Vertical bars over time (hours of a day, days of a week)."""
    height, top, bottom = 150, 12, 20
    peak = max((v for _, v in items), default=0) or 1
    slot = WIDTH / max(len(items), 1)
    bars = []
    for i, (label, value) in enumerate(items):
        h = (height - top - bottom) * value / peak
        bars.append(
            Bar(
                label,
                value,
                x=round(i * slot + slot * 0.15, 2),
                y=round(height - bottom - h, 2),
                width=round(slot * 0.7, 2),
                height=round(h, 2),
                show_label=i % label_every == 0,
            )
        )
    return Chart(key, title, description, unit, "columns", tuple(bars), WIDTH, height, css)


def row_chart(
    key: str,
    title: str,
    description: str,
    items: list[tuple[str, int]],
    *,
    unit: str,
    css: str = "",
    keep_end: bool = False,
) -> Chart:
    """Horizontal bars, largest first (top sites, blocked categories)."""
    peak = max((v for _, v in items), default=0) or 1
    room = WIDTH - _LABEL_WIDTH - 40
    bars = tuple(
        Bar(
            label,
            value,
            x=_LABEL_WIDTH,
            y=i * _ROW + 4,
            width=round(max(room * value / peak, 1.0), 2),
            height=_ROW - 8,
            keep_end=keep_end,
        )
        for i, (label, value) in enumerate(items)
    )
    height = max(len(items), 1) * _ROW + 4
    return Chart(key, title, description, unit, "rows", bars, WIDTH, height, css)
