//! Drawing a [`Figure`] with plotters: SVG text, or an RGB bitmap encoded as PNG.
//!
//! Layout, top to bottom: a title and a subtitle, the chart (log10 axes for QPS,
//! sizes and latencies, a linear one for recall), and a legend of one entry per curve in as many columns as
//! fit. Each curve is one polyline with a marker per point (the marker's shape tells
//! the thread count), and each point is labelled with its knob, placed clear of the
//! other labels, the markers and the curves where there is room.

use std::path::Path;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::element::{Drawable, PointCollection};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{BackendCoord, DrawingErrorKind};

use super::error::PlotError;
use super::figure::{Figure, Scale};
use super::fonts::{self, FAMILY};
use super::layout::{
    log_axis, place_labels, recall_axis, si_label, thin_ticks, Axis, LabelRequest, Obstacles, Rect,
};
use super::typeset::Typeset;

/// An f64 axis whose grid lines and labels are exactly the ticks given (plotters'
/// `with_key_points` on an f64 range leaves the mesh without a label formatter).
struct TickedAxis {
    inner: RangedCoordf64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl TickedAxis {
    fn new(axis: &Axis) -> Self {
        TickedAxis {
            inner: (axis.lo..axis.hi).into(),
            bold: axis.ticks.clone(),
            light: axis.light.clone(),
        }
    }
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
}

/// The picture formats, chosen by the output file's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Scalable vector graphics (`.svg`).
    Svg,
    /// Portable network graphics, 8-bit RGB (`.png`).
    Png,
}

impl Format {
    /// The format named by `path`'s extension (`.svg` or `.png`, any case).
    pub fn from_path(path: &Path) -> Result<Format, PlotError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("svg") => Ok(Format::Svg),
            Some("png") => Ok(Format::Png),
            _ => Err(PlotError::OutputFormat {
                path: path.to_path_buf(),
            }),
        }
    }
}

/// Colours of the curves: matplotlib's "tab10", one per curve (repeating after ten).
const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// Marker shapes, one per thread count (in increasing order of threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Marker {
    Circle,
    Triangle,
    Square,
    Cross,
}

const MARKERS: [Marker; 4] = [
    Marker::Circle,
    Marker::Triangle,
    Marker::Square,
    Marker::Cross,
];

/// Text sizes in plotters' units (the pixel height of a line; SVG writes `size / 1.24`
/// as its font-size).
const TITLE_SIZE: f64 = 26.0;
const SUBTITLE_SIZE: f64 = 17.0;
const AXIS_DESC_SIZE: f64 = 19.0;
const TICK_SIZE: f64 = 17.0;
const LEGEND_SIZE: f64 = 17.0;
const POINT_LABEL_SIZE: f64 = 15.0;

/// Height of one legend row, and the width of its line sample, in pixels.
const LEGEND_ROW: u32 = 22;
const LEGEND_SAMPLE: i32 = 28;

/// Space around the plotting area inside the chart area, in pixels.
struct Margins {
    left: u32,
    right: u32,
    top: u32,
    bottom: u32,
    /// Below the plot: tick labels and the x axis title.
    x_labels: u32,
    /// Left of the plot: tick labels and the (rotated) y axis title.
    y_labels: u32,
}

const MARGIN: Margins = Margins {
    left: 12,
    right: 36,
    top: 6,
    bottom: 4,
    x_labels: 56,
    y_labels: 78,
};

/// The smallest chart area (pixels) that leaves room for the axes and some data.
const MIN_CHART: (u32, u32) = (300, 200);

/// What drawing had to give up for lack of room.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drawn {
    /// Point labels written as the bare knob value (`16` for `nprobe=16`).
    pub labels_shortened: usize,
    /// Point labels left out: no spot near their point was clear of the others.
    pub labels_left_out: usize,
}

/// Draws `figure` into `path` as `format`, `size` pixels (width, height), titled
/// `title`.
pub fn render(
    figure: &Figure,
    format: Format,
    path: &Path,
    size: (u32, u32),
    title: &str,
) -> Result<Drawn, PlotError> {
    fonts::register()?;
    let drawn;
    let bytes = match format {
        Format::Svg => {
            let mut svg = String::new();
            {
                let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
                drawn = draw(&root, figure, title)?;
                root.present().map_err(draw_error)?;
            }
            svg.into_bytes()
        }
        Format::Png => {
            let (w, h) = size;
            let mut rgb = vec![0u8; w as usize * h as usize * 3];
            {
                let bitmap = BitMapBackend::with_buffer(&mut rgb, size);
                let root = Typeset::new(bitmap, fonts::face()?).into_drawing_area();
                drawn = draw(&root, figure, title)?;
                root.present().map_err(draw_error)?;
            }
            encode_png(&rgb, size)?
        }
    };
    std::fs::write(path, bytes).map_err(|source| PlotError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(drawn)
}

/// 8-bit RGB pixels as a PNG file.
fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, PlotError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(rgb)?;
        writer.finish()?;
    }
    Ok(out)
}

/// A plotters failure as our error.
fn draw_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> PlotError {
    PlotError::Draw(e.to_string())
}

/// Black text of `size` in the embedded font.
fn font(size: f64) -> TextStyle<'static> {
    TextStyle::from((FAMILY, size).into_font()).color(&BLACK)
}

/// The largest text size up to `size` (down to 60% of it) at which `text` fits in
/// `width` pixels.
fn fitting_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    size: f64,
    width: u32,
) -> Result<f64, PlotError> {
    let mut s = size;
    while s > 0.6 * size {
        let (w, _) = area
            .estimate_text_size(text, &font(s))
            .map_err(draw_error)?;
        if w <= width {
            break;
        }
        s -= 1.0;
    }
    Ok(s)
}

/// A straight line drawn as one backend line (an SVG `<line>`, not a `<polyline>`,
/// so that the curves are the picture's only polylines).
struct Leader {
    ends: [(i32, i32); 2],
    style: ShapeStyle,
}

impl<'a> PointCollection<'a, (i32, i32)> for &'a Leader {
    type Point = &'a (i32, i32);
    type IntoIter = &'a [(i32, i32); 2];

    fn point_iter(self) -> Self::IntoIter {
        &self.ends
    }
}

impl<DB: DrawingBackend> Drawable<DB> for Leader {
    fn draw<I: Iterator<Item = BackendCoord>>(
        &self,
        mut points: I,
        backend: &mut DB,
        _: (u32, u32),
    ) -> Result<(), DrawingErrorKind<DB::ErrorType>> {
        if let (Some(a), Some(b)) = (points.next(), points.next()) {
            backend.draw_line(a, b, &self.style)?;
        }
        Ok(())
    }
}

/// Draws one marker centred on `at` (a data point, or a legend sample's middle).
fn draw_marker<DB: DrawingBackend, CT: CoordTranslate>(
    area: &DrawingArea<DB, CT>,
    at: CT::From,
    marker: Marker,
    color: RGBColor,
) -> Result<(), PlotError> {
    let fill = color.filled();
    let done = match marker {
        Marker::Circle => area.draw(&(EmptyElement::at(at) + Circle::new((0, 0), 4, fill))),
        Marker::Triangle => {
            area.draw(&(EmptyElement::at(at) + TriangleMarker::new((0, 0), 6, fill)))
        }
        Marker::Square => {
            area.draw(&(EmptyElement::at(at) + Rectangle::new([(-4, -4), (4, 4)], fill)))
        }
        Marker::Cross => {
            area.draw(&(EmptyElement::at(at) + Cross::new((0, 0), 5, color.stroke_width(2))))
        }
    };
    done.map_err(draw_error)
}

/// Half the size of a marker's box, for keeping labels off it.
const MARKER_HALF: f64 = 6.0;

/// One legend entry's colour, marker and text.
struct Entry {
    color: RGBColor,
    marker: Marker,
    label: String,
}

/// Draws the whole picture on `root`: title, chart, curves, point labels, legend.
fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    figure: &Figure,
    title: &str,
) -> Result<Drawn, PlotError> {
    root.fill(&WHITE).map_err(draw_error)?;
    let (w, h) = root.dim_in_pixel();

    // A colour per curve, a marker shape per thread count.
    let mut threads: Vec<u64> = figure.curves.iter().map(|c| c.threads).collect();
    threads.sort_unstable();
    threads.dedup();
    let entries: Vec<Entry> = figure
        .curves
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let ti = threads.iter().position(|&t| t == s.threads).unwrap_or(0);
            Entry {
                color: PALETTE[i % PALETTE.len()],
                marker: MARKERS[ti % MARKERS.len()],
                label: s.label.clone(),
            }
        })
        .collect();

    // Legend geometry: as many columns as the widest entry allows, filled top to bottom.
    let legend_font = font(LEGEND_SIZE);
    let mut widest = 0u32;
    for e in &entries {
        let (tw, _) = root
            .estimate_text_size(&e.label, &legend_font)
            .map_err(draw_error)?;
        widest = widest.max(tw);
    }
    let entry_w = LEGEND_SAMPLE as u32 + 10 + widest + 28;
    let usable_w = w.saturating_sub(40);
    let cols = (usable_w / entry_w.max(1)).clamp(1, entries.len().max(1) as u32);
    let rows = (entries.len() as u32).div_ceil(cols);
    // Columns are filled top to bottom: the last ones may stay empty.
    let cols = (entries.len() as u32).div_ceil(rows.max(1));
    let legend_h = rows * LEGEND_ROW + 20;
    let title_h = 58u32;
    let chart_h = h.saturating_sub(title_h + legend_h);
    if chart_h < MIN_CHART.1 || w < MIN_CHART.0 {
        return Err(PlotError::TooSmall {
            size: (w, h),
            curves: entries.len(),
        });
    }

    // Title and subtitle, shrunk to fit the width.
    let center_top = Pos::new(HPos::Center, VPos::Top);
    let text_w = w.saturating_sub(24);
    let size = fitting_size(root, title, TITLE_SIZE, text_w)?;
    root.draw(&Text::new(
        title.to_string(),
        ((w / 2) as i32, 10),
        font(size).pos(center_top),
    ))
    .map_err(draw_error)?;
    let subtitle = figure.subtitle.clone();
    let size = fitting_size(root, &subtitle, SUBTITLE_SIZE, text_w)?;
    root.draw(&Text::new(
        subtitle,
        ((w / 2) as i32, 40),
        font(size)
            .color(&RGBColor(0x44, 0x44, 0x44))
            .pos(center_top),
    ))
    .map_err(draw_error)?;

    let (top, legend_area) = root.split_vertically(h - legend_h);
    let (_, chart_area) = top.split_vertically(title_h);

    // Axes: data coordinates are log10 of the value on a log axis.
    let coord = |scale: Scale, v: f64| match scale {
        Scale::Log => v.log10(),
        Scale::Recall => v,
    };
    let (xs, ys) = (figure.x.scale, figure.y.scale);
    let all = figure.curves.iter().flat_map(|c| c.points.iter());
    let (x0, x1, y0, y1) = all.fold(
        (
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ),
        |(a, b, c, d), p| (a.min(p.x), b.max(p.x), c.min(p.y), d.max(p.y)),
    );
    let axis = |scale: Scale, lo: f64, hi: f64| match scale {
        Scale::Log => (log_axis(lo, hi), 0),
        Scale::Recall => recall_axis(lo, hi),
    };
    let ((mut xa, x_decimals), (mut ya, y_decimals)) = (axis(xs, x0, x1), axis(ys, y0, y1));
    // The plotting area: the chart area less its margins and label areas.
    let (plot_w, plot_h) = (
        chart_area
            .dim_in_pixel()
            .0
            .saturating_sub(MARGIN.left + MARGIN.right + MARGIN.y_labels),
        chart_area
            .dim_in_pixel()
            .1
            .saturating_sub(MARGIN.top + MARGIN.bottom + MARGIN.x_labels),
    );
    let tick = |scale: Scale, decimals: usize, c: f64| match scale {
        Scale::Log => si_label(10f64.powf(c)),
        Scale::Recall => format!("{c:.decimals$}"),
    };
    let x_fmt = |x: &f64| tick(xs, x_decimals, *x);
    let y_fmt = |y: &f64| tick(ys, y_decimals, *y);
    // Tick labels thinned until neighbours do not touch.
    let tick_font = font(TICK_SIZE);
    for (axis, scale, decimals, length, along_x) in [
        (&mut xa, xs, x_decimals, plot_w, true),
        (&mut ya, ys, y_decimals, plot_h, false),
    ] {
        let span = axis.hi - axis.lo;
        let mut positions = Vec::with_capacity(axis.ticks.len());
        let mut extents = Vec::with_capacity(axis.ticks.len());
        for &t in &axis.ticks {
            let (tw, th) = root
                .estimate_text_size(&tick(scale, decimals, t), &tick_font)
                .map_err(draw_error)?;
            positions.push((t - axis.lo) / span * f64::from(length));
            extents.push(f64::from(if along_x { tw } else { th }));
        }
        axis.keep_ticks(&thin_ticks(&positions, &extents));
        // Light grid lines closer than 4 px apart would only grey the plot out.
        if axis.light.len() as f64 > f64::from(length) / 4.0 {
            axis.light.clear();
        }
    }
    let mut cc = ChartBuilder::on(&chart_area)
        .margin_left(MARGIN.left)
        .margin_right(MARGIN.right)
        .margin_top(MARGIN.top)
        .margin_bottom(MARGIN.bottom)
        .x_label_area_size(MARGIN.x_labels)
        .y_label_area_size(MARGIN.y_labels)
        .build_cartesian_2d(TickedAxis::new(&xa), TickedAxis::new(&ya))
        .map_err(draw_error)?;
    // Axis titles: in full where they fit along their axis, else the short form.
    let fits = |text: &str, room: u32| -> Result<bool, PlotError> {
        let (tw, _) = root
            .estimate_text_size(text, &font(AXIS_DESC_SIZE))
            .map_err(draw_error)?;
        Ok(tw <= room)
    };
    let title_of = |spec: &super::figure::AxisSpec, room: u32| -> Result<String, PlotError> {
        Ok(if fits(&spec.title, room)? {
            spec.title.clone()
        } else {
            spec.short_title.clone()
        })
    };
    let x_desc = title_of(&figure.x, plot_w)?;
    let y_desc = title_of(&figure.y, plot_h)?;
    cc.configure_mesh()
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(font(TICK_SIZE))
        .axis_desc_style(font(AXIS_DESC_SIZE))
        .bold_line_style(RGBColor(0xd0, 0xd0, 0xd0))
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
        .axis_style(RGBColor(0x55, 0x55, 0x55))
        .draw()
        .map_err(draw_error)?;

    // Curves, markers, and what the point labels must avoid.
    let mut obstacles = Obstacles::default();
    let mut labels = Vec::new();
    let label_font = font(POINT_LABEL_SIZE);
    for (s, e) in figure.curves.iter().zip(&entries) {
        let coords: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|p| (coord(xs, p.x), coord(ys, p.y)))
            .collect();
        cc.draw_series(LineSeries::new(
            coords.iter().copied(),
            e.color.stroke_width(2),
        ))
        .map_err(draw_error)?;
        let pixels: Vec<(f64, f64)> = coords
            .iter()
            .map(|c| {
                let (x, y) = cc.backend_coord(c);
                (f64::from(x), f64::from(y))
            })
            .collect();
        for (&c, &(x, y)) in coords.iter().zip(&pixels) {
            draw_marker(cc.plotting_area(), c, e.marker, e.color)?;
            obstacles.boxes.push(Rect {
                x0: x - MARKER_HALF,
                y0: y - MARKER_HALF,
                x1: x + MARKER_HALF,
                y1: y + MARKER_HALF,
            });
        }
        obstacles
            .segments
            .extend(pixels.windows(2).map(|p| (p[0], p[1])));
        for (p, &(x, y)) in s.points.iter().zip(&pixels) {
            if p.labels.is_empty() {
                continue;
            }
            let texts = p.labels.clone();
            let mut sizes = Vec::with_capacity(texts.len());
            for t in &texts {
                let (tw, _) = root
                    .estimate_text_size(t, &label_font)
                    .map_err(draw_error)?;
                sizes.push((f64::from(tw) + 2.0, POINT_LABEL_SIZE));
            }
            labels.push((texts, e.color, LabelRequest { at: (x, y), sizes }));
        }
    }

    // Point labels, placed after every curve is known.
    let (xr, yr) = cc.plotting_area().get_pixel_range();
    let bounds = Rect {
        x0: f64::from(xr.start),
        y0: f64::from(yr.start),
        x1: f64::from(xr.end),
        y1: f64::from(yr.end),
    };
    let requests: Vec<LabelRequest> = labels.iter().map(|l| l.2.clone()).collect();
    let placements = place_labels(&requests, &obstacles, bounds);
    let mut drawn = Drawn::default();
    for ((texts, color, req), placement) in labels.into_iter().zip(placements) {
        let Some(p) = placement else {
            drawn.labels_left_out += 1;
            continue;
        };
        if p.variant > 0 {
            drawn.labels_shortened += 1;
        }
        if let Some((ex, ey)) = p.leader {
            let px = |v: f64| v.round() as i32;
            root.draw(&Leader {
                ends: [(px(req.at.0), px(req.at.1)), (px(ex), px(ey))],
                style: color.mix(0.6).stroke_width(1),
            })
            .map_err(draw_error)?;
        }
        root.draw(&Text::new(
            texts[p.variant].clone(),
            (p.rect.x0.round() as i32 + 1, p.rect.y0.round() as i32),
            label_font.color(&color),
        ))
        .map_err(draw_error)?;
    }

    // Legend.
    let left_mid = Pos::new(HPos::Left, VPos::Center);
    let (lw, _) = legend_area.dim_in_pixel();
    let total_w = cols * entry_w;
    let x0 = (lw.saturating_sub(total_w) / 2) as i32;
    for (i, e) in entries.iter().enumerate() {
        let (col, row) = (i as u32 / rows, i as u32 % rows);
        let x = x0 + (col * entry_w) as i32;
        let y = 4 + (row * LEGEND_ROW + LEGEND_ROW / 2) as i32;
        legend_area
            .draw(&Rectangle::new(
                [(x, y - 1), (x + LEGEND_SAMPLE, y + 1)],
                e.color.filled(),
            ))
            .map_err(draw_error)?;
        draw_marker(&legend_area, (x + LEGEND_SAMPLE / 2, y), e.marker, e.color)?;
        legend_area
            .draw(&Text::new(
                e.label.clone(),
                (x + LEGEND_SAMPLE + 10, y),
                legend_font.clone().pos(left_mid),
            ))
            .map_err(draw_error)?;
    }
    Ok(drawn)
}
