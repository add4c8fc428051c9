//! Capturing the `tracing` events the code under test emits, so a test can assert that a
//! warning was (or was not) logged.

use std::fmt::{Debug, Write as _};
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// The events emitted on this thread while the guard of [`CapturedEvents::start`] lives.
/// Use it in a current-thread test (`#[tokio::test]`'s default), where every future the test
/// awaits runs on the test's own thread.
#[derive(Clone, Default)]
pub struct CapturedEvents {
    events: Arc<Mutex<Vec<(Level, String)>>>,
}

impl CapturedEvents {
    /// Starts capturing on this thread until the returned guard is dropped.
    pub fn start() -> (CapturedEvents, tracing::subscriber::DefaultGuard) {
        let captured = CapturedEvents::default();
        let guard = tracing::subscriber::set_default(captured.clone());
        (captured, guard)
    }

    /// The text (`field=value` pairs, the message first) of each event at `level` or more
    /// severe.
    pub fn at_least(&self, level: Level) -> Vec<String> {
        let events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        events
            .iter()
            .filter(|(l, _)| *l <= level)
            .map(|(_, text)| text.clone())
            .collect()
    }

    /// The warnings and errors so far.
    pub fn warnings(&self) -> Vec<String> {
        self.at_least(Level::WARN)
    }
}

struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        let _ = write!(self.0, "{}={value:?}", field.name());
    }
}

impl Subscriber for CapturedEvents {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut text = Text(String::new());
        event.record(&mut text);
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        events.push((*event.metadata().level(), text.0));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}
