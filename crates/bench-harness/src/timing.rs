//! Timing: repetitions, medians and percentiles, and the CPU time other processes used
//! while a measurement ran.

use std::time::Instant;

use serde_json::{json, Value};

/// CPU time used by other processes while a measurement ran, from `/proc/stat`
/// (all CPUs, busy time) minus this process's own time (`/proc/self/stat`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct LoadProbe {
    busy: f64,
    own: f64,
    start: Instant,
}

impl LoadProbe {
    fn jiffies_per_s() -> f64 {
        100.0
    }

    fn busy_s() -> f64 {
        let Ok(stat) = std::fs::read_to_string("/proc/stat") else {
            return 0.0;
        };
        let Some(line) = stat.lines().next() else {
            return 0.0;
        };
        let v: Vec<f64> = line
            .split_whitespace()
            .skip(1)
            .filter_map(|x| x.parse().ok())
            .collect();
        // user nice system idle iowait irq softirq steal ...: busy = all - idle - iowait
        let total: f64 = v.iter().take(8).sum();
        let idle = v.get(3).copied().unwrap_or(0.0) + v.get(4).copied().unwrap_or(0.0);
        (total - idle) / Self::jiffies_per_s()
    }

    fn own_s() -> f64 {
        let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
            return 0.0;
        };
        // Fields after the parenthesised command name; utime and stime are 14 and 15.
        let Some(rest) = stat.rfind(')').map(|p| &stat[p + 2..]) else {
            return 0.0;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        let get = |i: usize| f.get(i).and_then(|x| x.parse::<f64>().ok()).unwrap_or(0.0);
        (get(11) + get(12)) / Self::jiffies_per_s()
    }

    pub(crate) fn start() -> LoadProbe {
        LoadProbe {
            busy: Self::busy_s(),
            own: Self::own_s(),
            start: Instant::now(),
        }
    }

    /// `(foreign cores, own cores)` averaged over the elapsed time.
    pub(crate) fn stop(self) -> (f64, f64) {
        let wall = self.start.elapsed().as_secs_f64().max(1e-9);
        let own = (Self::own_s() - self.own).max(0.0);
        let busy = (Self::busy_s() - self.busy).max(0.0);
        (((busy - own) / wall).max(0.0), own / wall)
    }
}

/// Timings of one measurement: seconds per repetition plus load.
#[derive(Debug, Clone, Default)]
pub(crate) struct Timing {
    pub(crate) times: Vec<f64>,
    pub(crate) foreign: Vec<f64>,
    own: Vec<f64>,
}

pub(crate) fn median(v: &[f64]) -> f64 {
    percentile(v, 50.0)
}

/// Linear-interpolated percentile, as numpy's default.
pub(crate) fn percentile(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let pos = (s.len() - 1) as f64 * p / 100.0;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    s[lo] + (s[hi] - s[lo]) * (pos - lo as f64)
}

impl Timing {
    pub(crate) fn push(&mut self, seconds: f64, load: (f64, f64)) {
        self.times.push(seconds);
        self.foreign.push(load.0);
        self.own.push(load.1);
    }

    pub(crate) fn median(&self) -> f64 {
        median(&self.times)
    }

    pub(crate) fn time_json(&self) -> Value {
        let min = self.times.iter().copied().fold(f64::INFINITY, f64::min);
        let max = self.times.iter().copied().fold(0.0, f64::max);
        json!({"median": self.median(), "min": min, "max": max, "n": self.times.len()})
    }

    pub(crate) fn load_json(&self) -> Value {
        let fmax = self.foreign.iter().copied().fold(0.0, f64::max);
        json!({"foreign_cores_median": median(&self.foreign), "foreign_cores_max": fmax,
               "self_cores_median": median(&self.own)})
    }
}

/// Runs `setup` (untimed) then `f` (timed): `warmup` times unrecorded, then `reps`
/// times recorded (at least once). Returns the timings and the last result.
pub(crate) fn time_reps<T, R, E>(
    reps: usize,
    warmup: usize,
    mut setup: impl FnMut() -> Result<T, E>,
    mut f: impl FnMut(&mut T) -> Result<R, E>,
) -> Result<(Timing, R), E> {
    let mut last = None;
    for _ in 0..warmup {
        let mut s = setup()?;
        last = Some(f(&mut s)?);
    }
    let mut timing = Timing::default();
    let mut timed = |last: Option<R>| {
        let mut s = setup()?;
        drop(last);
        let probe = LoadProbe::start();
        let t0 = Instant::now();
        let r = f(&mut s)?;
        timing.push(t0.elapsed().as_secs_f64(), probe.stop());
        Ok(r)
    };
    let mut result = timed(last)?;
    for _ in 1..reps {
        result = timed(Some(result))?;
    }
    Ok((timing, result))
}
