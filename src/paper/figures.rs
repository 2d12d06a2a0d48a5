//! Figures with plotters, each written as PNG and SVG (1200×800, fonts sized to stay readable
//! at column width): lines with 95% bands over a numeric axis, grouped bars with interval
//! whiskers, scatter of two metrics with the Pareto front, and training curves.
//! Text uses DejaVu Sans embedded in the binary, so figures render on any machine.

use std::path::Path;
use std::sync::Once;

use anyhow::{anyhow, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::metrics::direction::Better;

/// Figure size in pixels.
pub const SIZE: (u32, u32) = (1200, 800);
const FONT: &str = "sans-serif";
/// Okabe–Ito colours, distinguishable with colour-vision deficiencies.
const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(213, 94, 0),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(120, 120, 120),
    RGBColor(0, 0, 0),
];

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

/// One line of a line chart: (x, mean, low, high) points.
#[derive(Debug, Clone)]
pub struct Line {
    /// Legend label.
    pub label: String,
    /// Points sorted by x; low/high NaN when there is no interval.
    pub points: Vec<(f64, f64, f64, f64)>,
    /// A fitted curve drawn dashed in the same colour (empty: none).
    pub fit: Vec<(f64, f64)>,
}

/// Texts around a chart.
#[derive(Debug, Clone)]
pub struct Labels {
    /// Title above the chart.
    pub title: String,
    /// x axis description.
    pub x: String,
    /// y axis description.
    pub y: String,
}

/// Writes `stem.png` and `stem.svg`, running the drawing code once per backend.
macro_rules! draw_both {
    ($stem:expr, |$root:ident| $body:block) => {{
        register_fonts();
        {
            let png = $stem.with_extension("png");
            let $root = BitMapBackend::new(&png, SIZE).into_drawing_area();
            (|| -> Result<()> { $body })()?;
        }
        {
            let svg = $stem.with_extension("svg");
            let $root = SVGBackend::new(&svg, SIZE).into_drawing_area();
            (|| -> Result<()> { $body })()?;
        }
        Ok(())
    }};
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A white canvas with the title and room for axis labels.
fn canvas<'a, DB: DrawingBackend + 'a>(
    root: &'a DrawingArea<DB, Shift>,
    title: &str,
    x: (f64, f64),
    y: (f64, f64),
) -> Result<Chart<'a, DB>> {
    root.fill(&WHITE).map_err(err)?;
    ChartBuilder::on(root)
        .caption(title, (FONT, 34))
        .margin(24)
        .x_label_area_size(80)
        .y_label_area_size(110)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)
        .map_err(err)
}

/// The legend box.
fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    position: SeriesLabelPosition,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK.mix(0.4))
        .label_font((FONT, 24))
        .draw()
        .map_err(err)
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing failed: {e:?}")
}

fn padded(lo: f64, hi: f64, top_room: f64) -> (f64, f64) {
    let (lo, hi) = if (hi - lo).abs() < 1e-12 {
        (lo - 0.5, hi + 0.5)
    } else {
        (lo, hi)
    };
    let span = hi - lo;
    (lo - 0.05 * span, hi + top_room * span)
}

fn finite_range(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((a, b)) => Some((a.min(v), b.max(v))),
        })
}

/// A line chart with 95% bands and optional vertical threshold markers.
pub fn line_chart(
    stem: &Path,
    labels: &Labels,
    lines: &[Line],
    log_x: bool,
    thresholds: &[(String, f64)],
) -> Result<()> {
    let tx = |x: f64| if log_x { x.log10() } else { x };
    let xs = lines.iter().flat_map(|l| l.points.iter().map(|p| tx(p.0)));
    let (x0, x1) = finite_range(xs).ok_or_else(|| anyhow!("no data to plot"))?;
    let ys = lines
        .iter()
        .flat_map(|l| l.points.iter().flat_map(|p| [p.1, p.2, p.3]));
    let (y0, y1) = finite_range(ys).ok_or_else(|| anyhow!("no data to plot"))?;
    // Integer x values (epochs, sizes) get integer ticks only.
    let integral = lines
        .iter()
        .flat_map(|l| l.points.iter())
        .all(|p| p.0.fract() == 0.0)
        && !log_x;
    let (x0, x1) = padded(x0, x1, 0.05);
    let room = 0.12 + 0.06 * lines.len().min(8) as f64;
    let (y0, y1) = padded(y0, y1, room);
    draw_both!(stem, |root| {
        let mut chart = canvas(&root, &labels.title, (x0, x1), (y0, y1))?;
        chart
            .configure_mesh()
            .x_desc(&labels.x)
            .y_desc(&labels.y)
            .label_style((FONT, 24))
            .axis_desc_style((FONT, 28))
            .x_label_formatter(&|v| {
                if log_x {
                    format_sig(10f64.powf(*v))
                } else if integral && v.fract().abs() > 1e-9 {
                    String::new()
                } else {
                    format_tick(*v)
                }
            })
            .y_label_formatter(&|v| format_tick(*v))
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (i, line) in lines.iter().enumerate() {
            draw_line(&mut chart, line, color(i), &tx)?;
        }
        // Labels stacked downwards, so markers close together stay readable.
        for (k, (label, x)) in thresholds.iter().enumerate() {
            let x = tx(*x);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, y0), (x, y1)],
                    BLACK.mix(0.6).stroke_width(2),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    label.clone(),
                    (x, y1 - (y1 - y0) * (0.04 + 0.05 * k as f64)),
                    (FONT, 22).into_font(),
                )))
                .map_err(err)?;
        }
        legend(&mut chart, SeriesLabelPosition::UpperLeft)?;
        root.present().map_err(err)?;
        Ok(())
    })
}

/// One line: its 95% band, the line with its points, and its fitted curve dashed.
fn draw_line<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    line: &Line,
    c: RGBColor,
    tx: &dyn Fn(f64) -> f64,
) -> Result<()> {
    let with_band = || line.points.iter().filter(|p| p.2.is_finite());
    let band: Vec<(f64, f64)> = with_band()
        .map(|p| (tx(p.0), p.3))
        .chain(with_band().rev().map(|p| (tx(p.0), p.2)))
        .collect();
    if band.len() >= 4 {
        chart
            .draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))
            .map_err(err)?;
    }
    let pts: Vec<(f64, f64)> = line.points.iter().map(|p| (tx(p.0), p.1)).collect();
    chart
        .draw_series(LineSeries::new(pts.clone(), c.stroke_width(4)))
        .map_err(err)?
        .label(line.label.clone())
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(4)));
    chart
        .draw_series(pts.iter().map(|&p| Circle::new(p, 6, c.filled())))
        .map_err(err)?;
    if line.fit.len() >= 2 {
        let fit: Vec<(f64, f64)> = line.fit.iter().map(|p| (tx(p.0), p.1)).collect();
        chart
            .draw_series(DashedLineSeries::new(fit, 10, 6, c.stroke_width(2)))
            .map_err(err)?;
    }
    Ok(())
}

/// A bar's (mean, low, high).
pub type Bar = (f64, f64, f64);

/// Grouped bars: categories along x, one colour per series, whiskers for the 95% interval.
/// `values[c][s]` is (mean, low, high) of category c and series s.
pub fn bar_chart(
    stem: &Path,
    labels: &Labels,
    categories: &[String],
    series: &[String],
    values: &[Vec<Option<Bar>>],
) -> Result<()> {
    let all = values
        .iter()
        .flatten()
        .flatten()
        .flat_map(|v| [v.0, v.1, v.2]);
    let (lo, hi) = finite_range(all.chain([0.0])).ok_or_else(|| anyhow!("no data to plot"))?;
    let room = 0.12 + 0.06 * series.len().min(8) as f64;
    let (y0, y1) = padded(lo, hi, room);
    let y0 = if lo >= 0.0 { 0.0 } else { y0 };
    let k = categories.len() as f64;
    let width = 0.8 / series.len().max(1) as f64;
    draw_both!(stem, |root| {
        let mut chart = canvas(&root, &labels.title, (-0.5, k - 0.5), (y0, y1))?;
        chart
            .configure_mesh()
            .x_desc(&labels.x)
            .y_desc(&labels.y)
            .label_style((FONT, 24))
            .axis_desc_style((FONT, 28))
            .x_labels(categories.len() * 2 + 1)
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < categories.len() {
                    categories[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|v| format_tick(*v))
            .disable_x_mesh()
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for (s, name) in series.iter().enumerate() {
            let c = color(s);
            let bars = values.iter().enumerate().filter_map(|(ci, row)| {
                let (mean, _, _) = row.get(s).copied().flatten()?;
                let left = ci as f64 - 0.4 + s as f64 * width;
                Some(Rectangle::new(
                    [(left, 0f64.max(y0)), (left + width * 0.92, mean)],
                    c.filled(),
                ))
            });
            chart
                .draw_series(bars)
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 7), (x + 14, y + 7)], c.filled()));
            for (ci, row) in values.iter().enumerate() {
                if let Some((_, low, high)) = row.get(s).copied().flatten() {
                    if low.is_finite() && high.is_finite() {
                        let x = ci as f64 - 0.4 + s as f64 * width + width * 0.46;
                        let whisker = vec![(x, low), (x, high)];
                        chart
                            .draw_series(std::iter::once(PathElement::new(
                                whisker,
                                BLACK.stroke_width(2),
                            )))
                            .map_err(err)?;
                    }
                }
            }
        }
        if series.len() > 1 || !series.first().is_some_and(|s| s.is_empty()) {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.9))
                .border_style(BLACK.mix(0.4))
                .label_font((FONT, 24))
                .draw()
                .map_err(err)?;
        }
        root.present().map_err(err)?;
        Ok(())
    })
}

/// Points that no other point beats on both metrics.
pub fn pareto_front(points: &[(f64, f64)], bx: Better, by: Better) -> Vec<usize> {
    let better = |a: f64, b: f64, d: Better| if d == Better::Higher { a >= b } else { a <= b };
    let strictly = |a: f64, b: f64, d: Better| if d == Better::Higher { a > b } else { a < b };
    let mut front: Vec<usize> = (0..points.len())
        .filter(|&i| {
            let (x, y) = points[i];
            !points.iter().any(|&(ox, oy)| {
                better(ox, x, bx)
                    && better(oy, y, by)
                    && (strictly(ox, x, bx) || strictly(oy, y, by))
            })
        })
        .collect();
    front.sort_by(|&a, &b| points[a].0.total_cmp(&points[b].0));
    front
}

/// Scatter of two metrics, one labelled point per group, with the Pareto front drawn.
pub fn scatter_chart(
    stem: &Path,
    labels: &Labels,
    points: &[(String, f64, f64)],
    better: (Option<Better>, Option<Better>),
    log_y: bool,
) -> Result<()> {
    let ty = |y: f64| if log_y { y.log10() } else { y };
    let xy: Vec<(f64, f64)> = points.iter().map(|p| (p.1, p.2)).collect();
    let (x0, x1) =
        finite_range(xy.iter().map(|p| p.0)).ok_or_else(|| anyhow!("no data to plot"))?;
    let (y0, y1) =
        finite_range(xy.iter().map(|p| ty(p.1))).ok_or_else(|| anyhow!("no data to plot"))?;
    let (x0, x1) = padded(x0, x1, 0.25);
    let (y0, y1) = padded(y0, y1, 0.1);
    // The Pareto front needs both directions; without them, only the points are drawn.
    let front = match better {
        (Some(bx), Some(by)) => pareto_front(&xy, bx, by),
        _ => Vec::new(),
    };
    // Point labels, front first, skipping any that would overlap one already placed.
    let mut order: Vec<usize> = front.clone();
    order.extend((0..points.len()).filter(|i| !front.contains(i)));
    let mut placed: Vec<(f64, f64)> = Vec::new();
    let mut shown = vec![false; points.len()];
    for &i in &order {
        let (px, py) = ((xy[i].0 - x0) / (x1 - x0), (ty(xy[i].1) - y0) / (y1 - y0));
        if placed
            .iter()
            .all(|&(qx, qy)| (px - qx).abs() > 0.12 || (py - qy).abs() > 0.035)
        {
            placed.push((px, py));
            shown[i] = true;
        }
    }
    draw_both!(stem, |root| {
        let mut chart = canvas(&root, &labels.title, (x0, x1), (y0, y1))?;
        chart
            .configure_mesh()
            .x_desc(&labels.x)
            .y_desc(if log_y {
                format!("{} (log scale)", labels.y)
            } else {
                labels.y.clone()
            })
            .label_style((FONT, 24))
            .axis_desc_style((FONT, 28))
            .x_label_formatter(&|v| format_tick(*v))
            .y_label_formatter(&|v| {
                if log_y {
                    format_sig(10f64.powf(*v))
                } else {
                    format_tick(*v)
                }
            })
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        let line: Vec<(f64, f64)> = front.iter().map(|&i| (xy[i].0, ty(xy[i].1))).collect();
        chart
            .draw_series(LineSeries::new(line, color(3).stroke_width(3)))
            .map_err(err)?
            .label("Pareto front")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], color(3).stroke_width(3)));
        for (i, (name, x, y)) in points.iter().enumerate() {
            let c = if front.contains(&i) {
                color(3)
            } else {
                color(0)
            };
            let at = (*x, ty(*y));
            chart
                .draw_series(std::iter::once(Circle::new(at, 7, c.filled())))
                .map_err(err)?;
            if shown[i] {
                let text = Text::new(
                    name.clone(),
                    (at.0 + (x1 - x0) * 0.01, at.1),
                    (FONT, 20).into_font(),
                );
                chart.draw_series(std::iter::once(text)).map_err(err)?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)?;
        root.present().map_err(err)?;
        Ok(())
    })
}

/// Tick labels: compact, without float noise.
pub fn format_tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !(1e-3..1e5).contains(&a) {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    }
}

/// Two significant digits, for log-scale ticks (316.2278 → 320).
pub fn format_sig(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format_tick(v);
    }
    let digits = v.abs().log10().floor() as i32;
    let scale = 10f64.powi(digits - 1);
    format_tick((v / scale).round() * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pareto_front_keeps_non_dominated_points() {
        // Lower x better, higher y better.
        let pts = [(1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (4.0, 4.0)];
        assert_eq!(
            pareto_front(&pts, Better::Lower, Better::Higher),
            vec![0, 1, 3]
        );
    }

    #[test]
    fn ticks_are_compact() {
        assert_eq!(format_tick(0.30000000000000004), "0.3");
        assert_eq!(format_tick(1234.5), "1234.5");
        assert_eq!(format_tick(1e-6), "1.0e-6");
        assert_eq!(format_sig(316.2278), "320");
        assert_eq!(format_sig(0.31623), "0.32");
    }
}
