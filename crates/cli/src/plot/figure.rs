//! What the renderer draws: two titled axes and labelled curves, whatever they measure
//! (recall against QPS, latency against dataset size).

use super::records::Chart;

/// How an axis maps its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// log10, ticks at 1-2-5 multiples of powers of ten, SI-style labels (`10k`).
    Log,
    /// Linear over a recall (a fraction): ticks up to 1, padded a little.
    Recall,
}

/// One axis: its scale and its title (with a short form for small pictures).
#[derive(Debug, Clone, PartialEq)]
pub struct AxisSpec {
    /// The mapping.
    pub scale: Scale,
    /// The title, with its unit.
    pub title: String,
    /// A shorter title, used when the full one is longer than the axis.
    pub short_title: String,
}

/// One measured point and its labels, in order of preference (none: unlabelled).
#[derive(Debug, Clone, PartialEq)]
pub struct FigPoint {
    /// Value on the x axis.
    pub x: f64,
    /// Value on the y axis.
    pub y: f64,
    /// The label (`nprobe=16`), then shorter forms (`16`) for crowded spots.
    pub labels: Vec<String>,
}

/// One curve of the figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// The legend text.
    pub label: String,
    /// Threads it ran on (the marker shape tells them apart).
    pub threads: u64,
    /// The points, in drawing order.
    pub points: Vec<FigPoint>,
}

/// A figure ready to draw.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The title unless `--title` gives one.
    pub title: String,
    /// The line under the title: what was measured and how to read it.
    pub subtitle: String,
    /// The horizontal axis.
    pub x: AxisSpec,
    /// The vertical axis.
    pub y: AxisSpec,
    /// The curves, in legend order.
    pub curves: Vec<Curve>,
}

impl From<&Chart> for Figure {
    /// Recall against QPS: QPS on a log x axis, recall on y, points labelled by knob.
    fn from(chart: &Chart) -> Figure {
        let mut subtitle = chart.mode.describe().to_string();
        match chart.queries_per_batch {
            Some((lo, hi)) if lo == hi => subtitle.push_str(&format!(" ({lo} queries per batch)")),
            Some((lo, hi)) => subtitle.push_str(&format!(" ({lo} to {hi} queries per batch)")),
            None => {}
        }
        let mut knobs: Vec<&str> = chart
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.knob))
            .collect();
        knobs.sort_unstable();
        knobs.dedup();
        subtitle.push_str(&format!(
            ", k = {}; points labelled by {}; up and to the right is better",
            chart.k,
            knobs.join(" / ")
        ));
        Figure {
            title: format!("{} vs QPS: {}", chart.recall_key, chart.dataset),
            subtitle,
            x: AxisSpec {
                scale: Scale::Log,
                title: "queries per second (QPS, log scale)".into(),
                short_title: "QPS (log scale)".into(),
            },
            y: AxisSpec {
                scale: Scale::Recall,
                title: format!(
                    "{} (fraction of the true {} nearest neighbours found)",
                    chart.recall_key, chart.k
                ),
                short_title: chart.recall_key.clone(),
            },
            curves: chart
                .series
                .iter()
                .map(|s| Curve {
                    label: s.label(),
                    threads: s.threads,
                    points: s
                        .points
                        .iter()
                        .map(|p| FigPoint {
                            x: p.qps,
                            y: p.recall,
                            labels: vec![p.label(), p.short_label()],
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}
