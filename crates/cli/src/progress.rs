//! A progress bar for long work, drawn on stderr only when stderr is a terminal (so
//! piped output and tests see nothing of it).

use indicatif::{ProgressBar, ProgressStyle};

/// Work shorter than this many steps gets no bar: it ends before a bar would help.
const MIN_STEPS_FOR_A_BAR: u64 = 256;

/// A progress bar over a known number of steps; hidden for short work and when stderr
/// is not a terminal.
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar over `total` steps labelled `what`.
    pub fn new(total: u64, what: &str) -> Self {
        let bar = if total < MIN_STEPS_FOR_A_BAR {
            ProgressBar::hidden()
        } else {
            ProgressBar::new(total)
        };
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:>10} [{elapsed_precise}] {wide_bar} {pos}/{len} (eta {eta})",
        ) {
            bar.set_style(style);
        }
        bar.set_message(what.to_string());
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
