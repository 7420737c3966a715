//! Captures the `tracing` events the code under test emits, per case, so the runners
//! can compare them with the `warnings` and `logs` LangChain recorded.
//!
//! A trial's thread gets its own sink on first use ([`current`]) and a scoped `tracing`
//! dispatcher that hands every event to it; threads that work for the trial (a tokio
//! runtime's workers and blocking threads) [`attach`] the same sink, e.g. from
//! `tokio::runtime::Builder::on_thread_start`, and threads started with the trial's
//! dispatcher in effect (the async store's search thread) inherit it.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use tracing::dispatcher::DefaultGuard;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Dispatch, Event, Level, Metadata, Subscriber};

/// One captured event: its level, target, message and other fields (as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Captured {
    /// The event's level.
    pub level: Level,
    /// The event's target (by default the emitting module's path).
    pub target: String,
    /// The formatted message.
    pub message: String,
    /// The other fields, by name (strings without quotes, other values as `Debug`).
    pub fields: BTreeMap<String, String>,
}

impl Captured {
    /// Python's name of the level (`WARNING`, `INFO`, ...).
    pub fn python_level(&self) -> &'static str {
        match self.level {
            Level::ERROR => "ERROR",
            Level::WARN => "WARNING",
            Level::INFO => "INFO",
            Level::DEBUG | Level::TRACE => "DEBUG",
        }
    }
}

/// Where a trial's events go; cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Sink(Arc<Mutex<Vec<Captured>>>);

impl Sink {
    /// Takes every event captured so far, leaving the sink empty.
    pub fn take(&self) -> Vec<Captured> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn push(&self, event: Captured) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(event);
    }
}

thread_local! {
    static SINK: RefCell<Option<(Sink, DefaultGuard)>> = const { RefCell::new(None) };
}

/// The sink of this thread, created (with this thread's dispatcher to it) on first use.
pub fn current() -> Sink {
    SINK.with(|s| {
        let mut slot = s.borrow_mut();
        if let Some((sink, _)) = slot.as_ref() {
            return sink.clone();
        }
        let sink = Sink::default();
        *slot = Some((sink.clone(), scoped(&sink)));
        sink
    })
}

/// Sends this thread's events to `sink` (a helper thread working for a trial).
pub fn attach(sink: Sink) {
    SINK.with(|s| {
        let guard = scoped(&sink);
        *s.borrow_mut() = Some((sink, guard));
    });
}

/// Makes a dispatcher to `sink` this thread's default until the guard drops.
fn scoped(sink: &Sink) -> DefaultGuard {
    tracing::dispatcher::set_default(&Dispatch::new(CaptureSubscriber(sink.clone())))
}

/// Every event to its sink; spans are ignored.
struct CaptureSubscriber(Sink);

impl Subscriber for CaptureSubscriber {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let sink = &self.0;
        let mut visitor = FieldVisitor::default();
        event.record(&mut visitor);
        sink.push(Captured {
            level: *event.metadata().level(),
            target: event.metadata().target().to_string(),
            message: visitor.message,
            fields: visitor.fields,
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[derive(Default)]
struct FieldVisitor {
    message: String,
    fields: BTreeMap<String, String>,
}

impl Visit for FieldVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields
                .insert(field.name().to_string(), value.to_string());
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let text = format!("{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.insert(field.name().to_string(), text);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_go_to_the_emitting_threads_sink() {
        let sink = current();
        sink.take();
        tracing::warn!(category = "UserWarning", "hello {}", 42);
        let helper = sink.clone();
        std::thread::spawn(move || {
            attach(helper);
            tracing::warn!(logger = "py.logger", "from a helper");
        })
        .join()
        .ok();
        std::thread::spawn(|| tracing::warn!("lost: no sink here"))
            .join()
            .ok();
        let got = sink.take();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].message, "hello 42");
        assert_eq!(got[0].fields["category"], "UserWarning");
        assert_eq!(got[0].python_level(), "WARNING");
        assert_eq!(got[1].fields["logger"], "py.logger");
        assert!(sink.take().is_empty());
    }
}
