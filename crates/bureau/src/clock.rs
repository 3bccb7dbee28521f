//! The bureau's clock. Only the bureau reads the time; tests and the demo set it.

use std::sync::Mutex;
use time::{Date, OffsetDateTime};

/// A source of the current time (UTC).
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> OffsetDateTime;

    /// Today's date (UTC).
    fn today(&self) -> Date {
        self.now().date()
    }
}

/// The system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that says what it is told: for tests, benchmarks, and the demo's simulated months.
#[derive(Debug)]
pub struct ManualClock(Mutex<OffsetDateTime>);

impl ManualClock {
    /// A clock stopped at `at`.
    pub fn new(at: OffsetDateTime) -> ManualClock {
        ManualClock(Mutex::new(at))
    }

    /// Sets the time.
    pub fn set(&self, at: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Unix seconds of the last second of `day` (UTC): the cut-off for "as of `day`".
pub fn end_of_day(day: Date) -> i64 {
    day.next_day().map_or(i64::MAX, |d| d.midnight().assume_utc().unix_timestamp() - 1)
}
