//! Server-side SVG charts: a horizontal bar chart (with an optional threshold line) and a trend
//! line. Each is `<svg role="img" aria-labelledby=..>` with its `<title>`; the page shows the same
//! numbers as a table beside it, so no one needs the picture. Sizes are SVG attributes (the
//! dashboard's Content-Security-Policy allows no inline styles).

use maud::{Markup, html};

/// One bar: its label, its value, and the value as the page shows it.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub shown: String,
}

/// A line across a chart at `value` (the 10% reach target, ...), labelled `label`.
pub struct Threshold {
    pub value: f64,
    pub label: String,
}

const WIDTH: f64 = 640.0;
const LABEL_WIDTH: f64 = 200.0;
const VALUE_WIDTH: f64 = 70.0;
const ROW: f64 = 28.0;

/// Horizontal bars from 0 to `max` (at least the largest value and the threshold).
pub fn bar_chart(id: &str, title: &str, bars: &[Bar], max: f64, threshold: Option<&Threshold>) -> Markup {
    // Room above the bars for the threshold's label (drawn larger on a phone).
    let top = if threshold.is_some() { 28.0 } else { 4.0 };
    let height = top + ROW * bars.len().max(1) as f64 + 4.0;
    let max = bars.iter().map(|b| b.value).chain(threshold.map(|t| t.value)).fold(max, f64::max).max(f64::MIN_POSITIVE);
    let plot = WIDTH - LABEL_WIDTH - VALUE_WIDTH;
    let x = |v: f64| LABEL_WIDTH + plot * (v.max(0.0) / max);
    let title_id = format!("{id}-title");
    html! {
        svg id=(id) class="chart" viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-labelledby=(title_id)
            xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            @for (i, bar) in bars.iter().enumerate() {
                @let y = top + ROW * i as f64;
                text x=(LABEL_WIDTH - 6.0) y=(y + ROW * 0.62) text-anchor="end" class="chart-label" { (clip(&bar.label)) }
                rect x=(LABEL_WIDTH) y=(y + 4.0) width=(fmt(x(bar.value) - LABEL_WIDTH)) height=(ROW - 8.0) class="chart-bar" {}
                text x=(fmt(x(bar.value) + 4.0)) y=(y + ROW * 0.62) class="chart-value" { (bar.shown) }
            }
            @if let Some(t) = threshold {
                line x1=(fmt(x(t.value))) x2=(fmt(x(t.value))) y1=(top - 4.0) y2=(height) class="chart-threshold" {}
                text x=(fmt(x(t.value))) y="20" text-anchor="middle" class="chart-threshold-label" { (t.label) }
            }
        }
    }
}

/// A line through `points` (label, value in 0..=`max`), with an optional threshold line.
pub fn trend_chart(id: &str, title: &str, points: &[(String, f64)], max: f64, threshold: Option<&Threshold>) -> Markup {
    let (height, left, right, top, bottom) = (240.0, 48.0, 40.0, 16.0, 36.0);
    let max = points.iter().map(|p| p.1).chain(threshold.map(|t| t.value)).fold(max, f64::max).max(f64::MIN_POSITIVE);
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let step = if points.len() > 1 { plot_w / (points.len() - 1) as f64 } else { 0.0 };
    let x = |i: usize| left + step * i as f64;
    let y = |v: f64| top + plot_h * (1.0 - v.clamp(0.0, max) / max);
    let line: Vec<String> = points.iter().enumerate().map(|(i, p)| format!("{},{}", fmt(x(i)), fmt(y(p.1)))).collect();
    // At most six labels along the axis (every month of a year would collide on a phone).
    let every = points.len().div_ceil(6).max(1);
    let title_id = format!("{id}-title");
    html! {
        svg id=(id) class="chart" viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-labelledby=(title_id)
            xmlns="http://www.w3.org/2000/svg" {
            title id=(title_id) { (title) }
            line x1=(left) x2=(left) y1=(top) y2=(top + plot_h) class="chart-axis" {}
            line x1=(left) x2=(WIDTH - right) y1=(top + plot_h) y2=(top + plot_h) class="chart-axis" {}
            text x=(left - 6.0) y=(top + 4.0) text-anchor="end" class="chart-label" { (fmt(max)) }
            text x=(left - 6.0) y=(top + plot_h) text-anchor="end" class="chart-label" { "0" }
            @if let Some(t) = threshold {
                line x1=(left) x2=(WIDTH - right) y1=(fmt(y(t.value))) y2=(fmt(y(t.value))) class="chart-threshold" {}
                text x=(WIDTH - right) y=(fmt(y(t.value) - 4.0)) text-anchor="end" class="chart-threshold-label" { (t.label) }
            }
            polyline points=(line.join(" ")) class="chart-line" {}
            @for (i, p) in points.iter().enumerate() {
                circle cx=(fmt(x(i))) cy=(fmt(y(p.1))) r="3" class="chart-point" {}
                @if i % every == 0 || i + 1 == points.len() {
                    text x=(fmt(x(i))) y=(height - 14.0) text-anchor="middle" class="chart-label" { (p.0) }
                }
            }
        }
    }
}

/// A coordinate with at most one decimal.
fn fmt(v: f64) -> String {
    let s = format!("{:.1}", v);
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// A label short enough for the chart's label column (the table beside it has it whole).
fn clip(label: &str) -> String {
    const MAX: usize = 20;
    if label.chars().count() <= MAX {
        return label.to_string();
    }
    let mut s: String = label.chars().take(MAX - 1).collect();
    s.push('…');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<Bar> {
        vec![
            Bar { label: "Lincoln <Elementary>".into(), value: 20.0, shown: "20%".into() },
            Bar { label: "Roosevelt".into(), value: 5.0, shown: "5%".into() },
        ]
    }

    #[test]
    fn a_bar_chart_is_an_accessible_image_with_bars_to_scale_and_a_threshold() {
        let t = Threshold { value: 10.0, label: "10%".into() };
        let svg = bar_chart("reach", "Reach & more", &bars(), 0.0, Some(&t)).into_string();
        assert!(
            svg.starts_with(
                r#"<svg id="reach" class="chart" viewBox="0 0 640 88" role="img" aria-labelledby="reach-title""#
            ),
            "{svg}"
        );
        assert!(svg.contains(r#"<title id="reach-title">Reach &amp; more</title>"#), "{svg}");
        // Escaped labels; the largest value spans the plot (370 wide), the other a quarter of it.
        assert!(svg.contains("Lincoln &lt;Elementary&gt;"), "{svg}");
        assert!(svg.contains(r#"width="370""#) && svg.contains(r#"width="92.5""#), "{svg}");
        // The threshold at 10 of 20: half way.
        assert!(svg.contains(r#"<line x1="385" x2="385""#), "{svg}");
        assert_eq!(svg.matches("<rect").count(), 2);
    }

    #[test]
    fn a_trend_chart_draws_one_point_per_label_and_handles_nothing() {
        let points = vec![("2026-09".to_string(), 2.0), ("2026-10".to_string(), 8.0), ("2026-11".to_string(), 12.0)];
        let svg = trend_chart("trend", "Trend", &points, 10.0, None).into_string();
        assert_eq!(svg.matches("<circle").count(), 3);
        // The top is the largest value (12): 2 and 8 of 12 over a plot 188 high from y = 16; the
        // points 276 apart across a plot 552 wide.
        assert!(svg.contains(r#"points="48,172.7 324,78.7 600,16""#), "{svg}");
        assert!(svg.contains(">2026-09<") && svg.contains(">2026-10<") && svg.contains(">2026-11<"));
        // A year of months: every second labelled, and the last.
        let year: Vec<_> = (1..=12).map(|m| (format!("2026-{m:02}"), f64::from(m))).collect();
        let svg = trend_chart("year", "Year", &year, 10.0, None).into_string();
        assert_eq!(svg.matches("<circle").count(), 12);
        assert!(svg.contains(">2026-01<") && !svg.contains(">2026-02<") && svg.contains(">2026-03<"), "{svg}");
        assert!(svg.contains(">2026-11<") && svg.contains(">2026-12<"), "{svg}");
        let empty = trend_chart("t", "T", &[], 0.0, None).into_string();
        assert!(empty.contains(r#"points="""#) && !empty.contains("NaN"), "{empty}");
        let no_bars = bar_chart("b", "B", &[], 0.0, None).into_string();
        assert!(!no_bars.contains("NaN") && !no_bars.contains("inf"), "{no_bars}");
    }
}
