//! Progress bars for long work, drawn on stderr only when stderr is a terminal and the
//! command prints no JSON (so piped output, scripts and tests see nothing of them).

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether a command may draw progress at all: not when it prints JSON, and not when
/// stderr is not a terminal.
pub fn wanted(json: bool) -> bool {
    !json && std::io::stderr().is_terminal()
}

/// How often a bar is redrawn while no step completes (so long single steps, such as
/// splitting one large file, still show the time running).
const TICK: Duration = Duration::from_millis(200);

/// What a bar counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Items (files, chunks), shown as `pos/len`.
    Items,
    /// Bytes, shown as `1.2 MiB/8.0 MiB`.
    Bytes,
}

/// A progress bar over a known number of steps, or a hidden one.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `total` steps of `unit` labelled `what`; drawn only when `show`.
    pub fn new(total: u64, unit: Unit, what: &str, show: bool) -> Self {
        if !show {
            return Progress {
                bar: ProgressBar::hidden(),
            };
        }
        let bar = ProgressBar::new(total);
        let counts = match unit {
            Unit::Items => "{pos}/{len}",
            Unit::Bytes => "{binary_bytes}/{binary_total_bytes}",
        };
        let template =
            format!("{{msg:>10}} [{{elapsed_precise}}] {{wide_bar}} {counts} (eta {{eta}})");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
        bar.enable_steady_tick(TICK);
        Progress { bar }
    }

    /// Records `steps` more steps done.
    pub fn advance(&self, steps: u64) {
        self.bar.inc(steps);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    /// A bar left by an early return (an error) is removed too, so the error line
    /// that follows starts on a clean line.
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}
