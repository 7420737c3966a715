//! Axis ranges, tick positions and the placement of point labels, in plain numbers
//! (nothing here draws).

/// An axis: the plotted range and where its labelled (bold) and unlabelled (light)
/// grid lines go, in the axis's own units (log10 QPS for the QPS axis).
#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    /// Lowest plotted value.
    pub lo: f64,
    /// Highest plotted value.
    pub hi: f64,
    /// Labelled ticks.
    pub ticks: Vec<f64>,
    /// Unlabelled grid lines.
    pub light: Vec<f64>,
}

/// Narrowest QPS range shown, in decades: a single point still gets two labelled ticks.
const MIN_DECADES: f64 = 0.6;

/// The QPS axis over `[min, max]` queries per second, on log10 scale: padded by a tenth
/// of the span plus 0.15 decade (room for the labels of the outer points), at least
/// [`MIN_DECADES`] wide. Ticks are at the powers of ten in range, or at 1, 2 and 5 times
/// them, or at every integer multiple, whichever first gives at least three.
pub fn log_axis(min: f64, max: f64) -> Axis {
    let (l0, l1) = (min.log10(), max.log10());
    let pad = 0.1 * (l1 - l0) + 0.15;
    let (mut lo, mut hi) = (l0 - pad, l1 + pad);
    if hi - lo < MIN_DECADES {
        let mid = (lo + hi) / 2.0;
        lo = mid - MIN_DECADES / 2.0;
        hi = mid + MIN_DECADES / 2.0;
    }
    let mut all: Vec<(u32, f64)> = Vec::new();
    let (e0, e1) = (lo.floor() as i32, hi.ceil() as i32);
    for e in e0..=e1 {
        for m in 1..=9u32 {
            let v = (f64::from(m)).log10() + f64::from(e);
            // Only values an f64 holds (no 0 or infinity at the ends of a huge range).
            if v >= lo && v <= hi && 10f64.powf(v).is_normal() {
                all.push((m, v));
            }
        }
    }
    let pick = |ms: &[u32]| -> Vec<f64> {
        all.iter()
            .filter(|(m, _)| ms.contains(m))
            .map(|&(_, v)| v)
            .collect()
    };
    let mut ticks = pick(&[1]);
    if ticks.len() < 3 {
        ticks = pick(&[1, 2, 5]);
    }
    if ticks.len() < 3 {
        ticks = pick(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }
    let light = all
        .iter()
        .map(|&(_, v)| v)
        .filter(|v| !ticks.contains(v))
        .collect();
    Axis {
        lo,
        hi,
        ticks,
        light,
    }
}

/// Narrowest recall range shown.
const MIN_RECALL_SPAN: f64 = 0.1;

/// The recall axis over `[min, max]`: padded by 8% of the span below and above (room
/// for the markers and labels at the ends), at least [`MIN_RECALL_SPAN`] wide, never
/// below 0; ticks every 0.1, 0.05, 0.02 or 0.01 depending on the span, none above 1
/// (no recall is). Returns the axis and the decimals its labels need.
pub fn recall_axis(min: f64, max: f64) -> (Axis, usize) {
    let span = max - min;
    let (mut lo, mut hi) = ((min - 0.08 * span).max(0.0), max + 0.08 * span);
    if hi - lo < MIN_RECALL_SPAN {
        lo = ((min + max) / 2.0 - MIN_RECALL_SPAN / 2.0).max(0.0);
        hi = lo + MIN_RECALL_SPAN;
    }
    let (step, decimals) = match hi - lo {
        s if s > 0.5 => (0.1, 1),
        s if s > 0.2 => (0.05, 2),
        s if s > 0.08 => (0.02, 2),
        _ => (0.01, 2),
    };
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi.min(1.0) / step + 1e-9).floor() as i64;
    let ticks = (first..=last).map(|i| i as f64 * step).collect();
    (
        Axis {
            lo,
            hi,
            ticks,
            light: Vec::new(),
        },
        decimals,
    )
}

/// Smallest gap in pixels between two neighbouring tick labels.
const TICK_GAP: f64 = 8.0;

/// Which ticks keep their labels so that no two labels touch: labels `extents` pixels
/// long (along the axis) centred at `positions` (increasing). Keeps every tick when
/// they fit, else every second, fourth, ... (always the first). Returns the indices
/// kept.
pub fn thin_ticks(positions: &[f64], extents: &[f64]) -> Vec<usize> {
    let mut step = 1;
    loop {
        let kept: Vec<usize> = (0..positions.len()).step_by(step).collect();
        let clear = kept.windows(2).all(|w| {
            let (a, b) = (w[0], w[1]);
            (positions[b] - positions[a]).abs() >= (extents[a] + extents[b]) / 2.0 + TICK_GAP
        });
        if clear || kept.len() <= 1 {
            return kept;
        }
        step *= 2;
    }
}

impl Axis {
    /// Keeps the labels of the ticks at `kept` (indices into `ticks`); the others
    /// become unlabelled grid lines.
    pub fn keep_ticks(&mut self, kept: &[usize]) {
        let ticks = std::mem::take(&mut self.ticks);
        for (i, t) in ticks.into_iter().enumerate() {
            if kept.contains(&i) {
                self.ticks.push(t);
            } else {
                self.light.push(t);
            }
        }
    }
}

/// A value of a log axis as a tick label: 3 significant digits, with `k` for
/// thousands and `M` for millions (0.002, 0.5, 500, 2k, 10k, 1.5M), and in
/// scientific notation outside 0.001 to 1000M (1e12, 2e-5).
pub fn si_label(value: f64) -> String {
    if value > 0.0 && !(1e-3..1e9).contains(&value) {
        let s = format!("{value:.2e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        return format!("{mantissa}e{exponent}");
    }
    let (v, suffix) = if value >= 1e6 {
        (value / 1e6, "M")
    } else if value >= 1e3 {
        (value / 1e3, "k")
    } else {
        (value, "")
    };
    let digits = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else if v >= 1.0 || v <= 0.0 {
        2
    } else {
        (-v.log10().floor()) as usize + 2
    };
    let s = format!("{v:.digits$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    format!("{s}{suffix}")
}

/// An axis-aligned rectangle in pixels: `x0 <= x < x1`, `y0 <= y < y1`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left.
    pub x0: f64,
    /// Top.
    pub y0: f64,
    /// Right.
    pub x1: f64,
    /// Bottom.
    pub y1: f64,
}

impl Rect {
    /// Whether the two rectangles share any area.
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x0 < o.x1 && o.x0 < self.x1 && self.y0 < o.y1 && o.y0 < self.y1
    }

    /// Whether `self` lies entirely inside `o`.
    pub fn inside(&self, o: &Rect) -> bool {
        self.x0 >= o.x0 && self.x1 <= o.x1 && self.y0 >= o.y0 && self.y1 <= o.y1
    }

    /// Whether the segment from `a` to `b` passes through the rectangle.
    pub fn crosses(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        // Liang-Barsky clipping: the segment meets the rectangle iff some parameter
        // interval survives all four edges.
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let mut t0: f64 = 0.0;
        let mut t1: f64 = 1.0;
        for (p, q) in [
            (-dx, a.0 - self.x0),
            (dx, self.x1 - a.0),
            (-dy, a.1 - self.y0),
            (dy, self.y1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        t0 <= t1
    }
}

/// What the labels must stay clear of.
#[derive(Debug, Clone, Default)]
pub struct Obstacles {
    /// Data markers (and anything else solid).
    pub boxes: Vec<Rect>,
    /// Curve segments.
    pub segments: Vec<((f64, f64), (f64, f64))>,
}

/// Distances in pixels from a point to its label's nearest corner or edge: the first
/// two are "next to the point", the others further out, joined to it by a leader line.
const RINGS: [f64; 4] = [6.0, 12.0, 24.0, 40.0];

/// Rings from this index on get a leader line.
const FIRST_LEADER_RING: usize = 2;

/// A label to place: the point it belongs to and the size (width, height) of each of
/// its texts, in order of preference (say `nprobe=16`, then `16`).
#[derive(Debug, Clone, PartialEq)]
pub struct LabelRequest {
    /// The point, in pixels.
    pub at: (f64, f64),
    /// Width and height of each variant of the text.
    pub sizes: Vec<(f64, f64)>,
}

/// Where a label went.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placement {
    /// Which of the request's texts fits there.
    pub variant: usize,
    /// The label's rectangle.
    pub rect: Rect,
    /// The end of a leader line on the label's edge, when the label is not next to
    /// its point.
    pub leader: Option<(f64, f64)>,
}

/// The candidate rectangles of a `w` x `h` label around `(px, py)` at distance `r`:
/// the four diagonals, then right, left, above and below.
fn spots((px, py): (f64, f64), (w, h): (f64, f64), r: f64) -> [Rect; 8] {
    let at = |x: f64, y: f64| Rect {
        x0: x,
        y0: y,
        x1: x + w,
        y1: y + h,
    };
    [
        at(px + r, py - r - h),
        at(px + r, py + r),
        at(px - r - w, py - r - h),
        at(px - r - w, py + r),
        at(px + r + 2.0, py - h / 2.0),
        at(px - r - 2.0 - w, py - h / 2.0),
        at(px - w / 2.0, py - r - h),
        at(px - w / 2.0, py + r),
    ]
}

/// The point of `r` nearest to `p`.
fn nearest_on(r: &Rect, (x, y): (f64, f64)) -> (f64, f64) {
    (x.clamp(r.x0, r.x1), y.clamp(r.y0, r.y1))
}

/// Places the labels one after another, each clear of the labels already placed, of
/// every marker and of `bounds`' outside: first next to its point with its first
/// text, then next to it with a shorter text, then further out with a leader line
/// (first text, then shorter). Among the clear spots of the first tier that has one,
/// the spot crossing the fewest curve segments wins (then the earlier spot). A label
/// with no clear spot is left out (`None`): labels never overlap.
pub fn place_labels(
    requests: &[LabelRequest],
    obstacles: &Obstacles,
    bounds: Rect,
) -> Vec<Option<Placement>> {
    let mut placed: Vec<Rect> = Vec::with_capacity(requests.len());
    let mut segments = obstacles.segments.clone();
    let mut out = Vec::with_capacity(requests.len());
    for req in requests {
        let near = 0..FIRST_LEADER_RING;
        let far = FIRST_LEADER_RING..RINGS.len();
        let variants = 0..req.sizes.len();
        let tiers = variants
            .clone()
            .map(|v| (v, near.clone()))
            .chain(variants.map(|v| (v, far.clone())));
        let mut chosen = None;
        for (variant, rings) in tiers {
            let mut best: Option<(usize, Placement)> = None;
            for ring in rings {
                for rect in spots(req.at, req.sizes[variant], RINGS[ring]) {
                    let clear = rect.inside(&bounds)
                        && !placed.iter().any(|p| p.overlaps(&rect))
                        && !obstacles.boxes.iter().any(|b| b.overlaps(&rect));
                    if !clear {
                        continue;
                    }
                    let crossings = segments
                        .iter()
                        .filter(|(a, b)| rect.crosses(*a, *b))
                        .count();
                    if best.as_ref().is_none_or(|(c, _)| crossings < *c) {
                        let leader = (ring >= FIRST_LEADER_RING).then(|| nearest_on(&rect, req.at));
                        best = Some((
                            crossings,
                            Placement {
                                variant,
                                rect,
                                leader,
                            },
                        ));
                    }
                }
            }
            if let Some((_, p)) = best {
                chosen = Some(p);
                break;
            }
        }
        if let Some(p) = chosen {
            placed.push(p.rect);
            if let Some(end) = p.leader {
                segments.push((req.at, end));
            }
        }
        out.push(chosen);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_covers_the_data_with_decade_ticks() {
        let a = log_axis(701.7, 50592.7);
        assert!(a.lo < 701.7f64.log10() && a.hi > 50592.7f64.log10());
        let labels: Vec<String> = a.ticks.iter().map(|t| si_label(10f64.powf(*t))).collect();
        assert_eq!(labels, ["1k", "10k", "100k"]);
        assert!(a.light.iter().all(|l| !a.ticks.contains(l)));
        assert_eq!(a.light.len(), 6 + 8 + 8); // 400..900, 2k..9k, 20k..90k

        let narrow = log_axis(2000.0, 9000.0);
        let labels: Vec<String> = narrow
            .ticks
            .iter()
            .map(|t| si_label(10f64.powf(*t)))
            .collect();
        assert_eq!(labels, ["2k", "5k", "10k"]);

        let wide = log_axis(10.0, 2e6);
        let labels: Vec<String> = wide
            .ticks
            .iter()
            .map(|t| si_label(10f64.powf(*t)))
            .collect();
        assert_eq!(labels, ["10", "100", "1k", "10k", "100k", "1M"]);

        let huge = log_axis(2e-300, 1e300);
        assert!(huge.ticks.iter().all(|t| 10f64.powf(*t).is_normal()));
        let one = log_axis(1234.0, 1234.0);
        assert!((one.hi - one.lo - MIN_DECADES).abs() < 1e-9);
        assert!(one.ticks.len() >= 3, "{one:?}");
    }

    #[test]
    fn recall_axis_steps_and_headroom() {
        let (a, d) = recall_axis(0.3599, 0.9949);
        assert_eq!(d, 1);
        assert!(a.lo < 0.3599 && a.hi > 0.9949 && a.lo >= 0.0);
        assert_eq!(a.ticks.len(), 7); // 0.4 ... 1.0
        assert!((a.ticks[0] - 0.4).abs() < 1e-9 && (a.ticks[6] - 1.0).abs() < 1e-9);
        let (narrow, d) = recall_axis(0.97, 0.99);
        assert_eq!(d, 2);
        assert!(narrow.ticks.len() >= 3);
        let (zero, _) = recall_axis(0.0, 0.0);
        assert_eq!(zero.lo, 0.0);
        assert!((zero.hi - MIN_RECALL_SPAN).abs() < 1e-12 && zero.ticks.len() >= 3);
        // All points at recall 1: the axis straddles 1, with no tick above it.
        let (one, _) = recall_axis(1.0, 1.0);
        assert!(one.lo < 1.0 && one.hi > 1.0, "{one:?}");
        assert!(one.ticks.len() >= 3 && one.ticks.iter().all(|&t| t <= 1.0 + 1e-12));
        assert!((one.ticks.last().unwrap() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn si_labels_are_short() {
        assert_eq!(si_label(500.0), "500");
        assert_eq!(si_label(999.99999), "1000");
        assert_eq!(si_label(2000.0), "2k");
        assert_eq!(si_label(1500.0), "1.5k");
        assert_eq!(si_label(1.5e6), "1.5M");
        assert_eq!(si_label(0.5), "0.5");
        assert_eq!(si_label(0.002), "0.002");
        assert_eq!(si_label(0.0163), "0.0163");
        assert_eq!(si_label(1e5), "100k");
        assert_eq!(si_label(1e300), "1e300");
        assert_eq!(si_label(2.5e-5), "2.5e-5");
        assert_eq!(si_label(5e9), "5e9");
    }

    #[test]
    fn tick_labels_are_thinned_until_they_do_not_touch() {
        // Nine 40 px labels 30 px apart: every second one is 60 px apart, which fits.
        let positions: Vec<f64> = (0..9).map(|i| f64::from(i) * 30.0).collect();
        let extents = vec![40.0; 9];
        assert_eq!(thin_ticks(&positions, &extents), [0, 2, 4, 6, 8]);
        assert_eq!(
            thin_ticks(&positions, &[10.0; 9]),
            (0..9).collect::<Vec<_>>()
        );
        assert_eq!(thin_ticks(&[0.0, 1.0], &[100.0, 100.0]), [0]);
        let mut axis = Axis {
            lo: 0.0,
            hi: 1.0,
            ticks: vec![0.1, 0.2, 0.3],
            light: vec![],
        };
        axis.keep_ticks(&[0, 2]);
        assert_eq!((axis.ticks, axis.light), (vec![0.1, 0.3], vec![0.2]));
    }

    #[test]
    fn segments_crossing_rectangles() {
        let r = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 10.0,
            y1: 10.0,
        };
        assert!(r.crosses((-5.0, 5.0), (15.0, 5.0)));
        assert!(r.crosses((5.0, 5.0), (6.0, 6.0)));
        assert!(!r.crosses((-5.0, -5.0), (-1.0, 20.0)));
        assert!(!r.crosses((11.0, 0.0), (20.0, 10.0)));
    }

    fn marker(x: f64, y: f64) -> Rect {
        Rect {
            x0: x - 4.0,
            y0: y - 4.0,
            x1: x + 4.0,
            y1: y + 4.0,
        }
    }

    #[test]
    fn crowded_labels_do_not_overlap() {
        // Two curves with equal recall 20 px apart, as 1 and 2 threads of one index.
        let mut requests = Vec::new();
        for (x, y) in [(100.0, 100.0), (200.0, 150.0), (300.0, 200.0)] {
            for dx in [0.0, 20.0] {
                requests.push(LabelRequest {
                    at: (x + dx, y),
                    sizes: vec![(60.0, 12.0), (20.0, 12.0)],
                });
            }
        }
        let bounds = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 400.0,
            y1: 300.0,
        };
        let obstacles = Obstacles {
            boxes: requests.iter().map(|r| marker(r.at.0, r.at.1)).collect(),
            segments: Vec::new(),
        };
        let placed = place_labels(&requests, &obstacles, bounds);
        assert_eq!(placed.len(), requests.len());
        let rects: Vec<Rect> = placed
            .iter()
            .map(|p| p.expect("room for all").rect)
            .collect();
        for (i, a) in rects.iter().enumerate() {
            assert!(a.inside(&bounds));
            assert!(obstacles.boxes.iter().all(|b| !b.overlaps(a)), "{a:?}");
            for b in &rects[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
        }
        assert!(placed
            .iter()
            .all(|p| p.is_some_and(|p| p.variant == 0 && p.leader.is_none())));
    }

    #[test]
    fn labels_that_cannot_fit_are_left_out_or_shortened() {
        // A 30 x 30 plot around one point: the 100 px text never fits, the 10 px one does.
        let bounds = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 40.0,
            y1: 40.0,
        };
        let obstacles = Obstacles {
            boxes: vec![marker(20.0, 20.0)],
            segments: Vec::new(),
        };
        let req = |sizes: Vec<(f64, f64)>| LabelRequest {
            at: (20.0, 20.0),
            sizes,
        };
        let placed = place_labels(
            &[
                req(vec![(100.0, 10.0), (10.0, 10.0)]),
                req(vec![(100.0, 10.0)]),
            ],
            &obstacles,
            bounds,
        );
        assert_eq!(placed[0].map(|p| p.variant), Some(1));
        assert_eq!(placed[1], None);
    }

    #[test]
    fn far_labels_get_a_leader_line() {
        // Markers all around the point push its label out to a leader ring.
        let mut boxes = vec![marker(100.0, 100.0)];
        for (dx, dy) in [
            (-16.0, -16.0),
            (16.0, -16.0),
            (-16.0, 16.0),
            (16.0, 16.0),
            (0.0, -16.0),
            (0.0, 16.0),
            (-30.0, 0.0),
            (30.0, 0.0),
        ] {
            boxes.push(Rect {
                x0: 100.0 + dx - 12.0,
                y0: 100.0 + dy - 12.0,
                x1: 100.0 + dx + 12.0,
                y1: 100.0 + dy + 12.0,
            });
        }
        let bounds = Rect {
            x0: 0.0,
            y0: 0.0,
            x1: 300.0,
            y1: 300.0,
        };
        let obstacles = Obstacles {
            boxes,
            segments: Vec::new(),
        };
        let placed = place_labels(
            &[LabelRequest {
                at: (100.0, 100.0),
                sizes: vec![(30.0, 10.0)],
            }],
            &obstacles,
            bounds,
        );
        let p = placed[0].expect("placed further out");
        assert!(p.leader.is_some());
        assert!(obstacles.boxes.iter().all(|b| !b.overlaps(&p.rect)));
    }
}
