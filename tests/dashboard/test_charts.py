"""Chart geometry: bars scale to the largest value, labels fit, empty charts say so."""

from __future__ import annotations

from dashboard.charts import WIDTH, column_chart, row_chart


def test_columns_scale_to_the_peak_and_stay_inside_the_chart() -> None:
    chart = column_chart(
        "online",
        "Time online",
        "d",
        [("00", 0), ("01", 30), ("02", 15)],
        unit="min",
        label_every=2,
    )
    heights = [b.height for b in chart.bars]
    assert heights[0] == 0 and heights[1] == 2 * heights[2] and chart.has_data
    for bar in chart.bars:
        assert bar.x >= 0 and bar.x + bar.width <= WIDTH and 0 <= bar.y <= chart.height
    assert [b.show_label for b in chart.bars] == [True, False, True]
    assert not column_chart("x", "t", "d", [("00", 0)], unit="min").has_data


def test_rows_keep_both_ends_of_long_site_names() -> None:
    long = "a-very-long-subdomain.of-some-site.example"
    sites = row_chart(
        "sites", "Top sites", "d", [(long, 10), ("b.example", 5)], unit="min", keep_end=True
    )
    assert sites.bars[0].short_label == "a-very-…site.example"
    assert sites.bars[1].short_label == "b.example"
    assert sites.bars[0].width == 2 * sites.bars[1].width
    kinds = row_chart(
        "blocked", "Blocked", "d", [("Proxies and VPNs (filter bypass)", 1)], unit="attempts"
    )
    assert kinds.bars[0].short_label.endswith("…") and len(kinds.bars[0].short_label) == 20
    assert row_chart("r", "t", "d", [], unit="x").bars == ()
