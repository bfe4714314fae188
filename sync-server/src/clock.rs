//! Time as a dependency. Everything in the server that depends on "now" (token expiry, login
//! slow-down windows, last-seen stamps) asks a [`Clock`], so tests can move time without sleeping.
//!
//! Invariant: `now()` is UTC milliseconds ([`Timestamp`]) and never panics.

use std::sync::atomic::{AtomicI64, Ordering};

use gridmate_domain::Timestamp;

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> Timestamp;
}

/// The real wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to; for tests and simulations.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(start: Timestamp) -> Self {
        Self(AtomicI64::new(start.millis()))
    }

    /// Moves the clock forward by `ms` milliseconds.
    pub fn advance_millis(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }

    pub fn set(&self, t: Timestamp) {
        self.0.store(t.millis(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        // The stored value always came from a valid Timestamp plus non-negative steps, so the
        // fallback only guards against absurd advances in tests.
        let ms = self.0.load(Ordering::SeqCst);
        Timestamp::from_millis(ms).unwrap_or_else(Timestamp::now)
    }
}
