//! The CLI's one error type: a message for the user, printed on one line, and the exit
//! code 2 (bad usage, bad input, or a failure the user has to fix).

use std::fmt;

/// The exit code of every failure: bad usage, bad input, unreachable services.
pub const FAILURE_EXIT_CODE: u8 = 2;

/// A failure to report to the user: one line on stderr, exit code 2.
#[derive(Debug)]
pub struct CliError {
    message: String,
}

impl CliError {
    /// An error with this message (newlines are folded into one line when printed).
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
        }
    }

    /// `context: cause`, where `cause` is any error's `Display`.
    pub fn with_cause(context: impl fmt::Display, cause: impl fmt::Display) -> Self {
        CliError::new(format!("{context}: {cause}"))
    }

    /// The message folded into a single line: line breaks and tabs become spaces,
    /// repeated spaces collapse.
    pub fn one_line(&self) -> String {
        one_line(&self.message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.one_line())
    }
}

/// Folds `text` into one line: every run of whitespace that contains a line break or a
/// tab becomes one space, and the ends are trimmed.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for ch in text.chars() {
        if ch == '\n' || ch == '\r' || ch == '\t' {
            pending_space = true;
            continue;
        }
        if pending_space {
            if !out.is_empty() && !out.ends_with(' ') && ch != ' ' {
                out.push(' ');
            }
            pending_space = false;
        }
        out.push(ch);
    }
    out.trim().to_string()
}

/// The result of a command.
pub type CliResult<T> = Result<T, CliError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_multi_line_messages() {
        assert_eq!(one_line("a\n\nb\tc\r\n d "), "a b c d");
        assert_eq!(one_line("plain"), "plain");
        assert_eq!(one_line("\nlead"), "lead");
    }
}
