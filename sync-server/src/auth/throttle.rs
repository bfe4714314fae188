//! Failed-login slow-down. Consecutive failures are counted per client address, per (user name,
//! client address) and, for a device already registered to the user it signs in as, per device;
//! once a key reaches its threshold, attempts on that key are refused until an exponentially
//! growing window has passed: 1 s, 2 s, 4 s, ... capped at 15 min. There is deliberately no key
//! per user name alone: whoever knows a name could then keep its owner locked out from anywhere.
//! The rule that uses these keys (and lets a registered device through) is in `routes::login`.
//!
//! Invariants: pure in-memory state with time passed in (`now`), so it is testable without
//! sleeping; memory is bounded (see [`MAX_ENTRIES`]); the state is per process and intentionally
//! lost on restart (a restart costs an attacker nothing they could not get by waiting 15 min).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use gridmate_domain::Timestamp;
use uuid::Uuid;

/// Tunables. The per-address threshold is higher than the per-user one because a whole command
/// centre may share one NAT address, and one worker's typos must not lock out their colleagues.
#[derive(Debug, Clone)]
pub struct ThrottleConfig {
    /// Failures of one user name from one address (and of one registered device).
    pub user_threshold: u32,
    pub ip_threshold: u32,
    pub base_window: Duration,
    pub max_window: Duration,
    /// A failure streak with no new failure for this long is forgotten.
    pub forget_after: Duration,
}

impl Default for ThrottleConfig {
    fn default() -> Self {
        Self {
            user_threshold: 5,
            ip_threshold: 20,
            base_window: Duration::from_secs(1),
            max_window: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(24 * 60 * 60),
        }
    }
}

/// What a failure is counted against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ThrottleKey {
    /// A client address; IPv6 is bucketed by /64 because one host usually owns a whole /64.
    Ip(IpAddr),
    /// A normalized user name (known or not: unknown names are throttled the same way) tried
    /// from one client address (bucketed like [`ThrottleKey::Ip`]).
    UserAt(String, IpAddr),
    /// A device registered to the user it signs in as: the budget of wrong passwords it may try
    /// while its address or (user, address) key is blocked.
    Device(Uuid),
}

impl ThrottleKey {
    pub fn ip(addr: IpAddr) -> Self {
        Self::Ip(bucket(addr))
    }

    /// The (user, address) key; an unknown address (no connection info) is one shared bucket.
    pub fn user_at(name: &str, addr: Option<IpAddr>) -> Self {
        let addr = addr.map_or(IpAddr::from([0u8; 4]), bucket);
        Self::UserAt(name.to_owned(), addr)
    }

    fn threshold(&self, config: &ThrottleConfig) -> u32 {
        match self {
            Self::Ip(_) => config.ip_threshold,
            Self::UserAt(..) | Self::Device(_) => config.user_threshold,
        }
    }
}

fn bucket(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => {
            let mut seg = v6.segments();
            seg[4..].fill(0);
            IpAddr::from(seg)
        }
        v4 => v4,
    }
}

/// Upper bound on tracked keys; beyond it, keys that are not currently blocking are dropped first.
pub const MAX_ENTRIES: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Entry {
    failures: u32,
    last_failure: Timestamp,
    blocked_until: Option<Timestamp>,
}

/// The shared slow-down state of one server process.
#[derive(Debug, Default)]
pub struct LoginThrottle {
    config: ThrottleConfig,
    entries: Mutex<HashMap<ThrottleKey, Entry>>,
}

impl LoginThrottle {
    pub fn new(config: ThrottleConfig) -> Self {
        Self {
            config,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds)` if any key is blocked at `now`: the client should retry after that many
    /// seconds (rounded up, at least 1).
    pub fn check(&self, keys: &[ThrottleKey], now: Timestamp) -> Result<(), u64> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let wait_ms = keys
            .iter()
            .filter_map(|k| entries.get(k)?.blocked_until)
            .map(|until| until.millis() - now.millis())
            .filter(|ms| *ms > 0)
            .max();
        match wait_ms {
            Some(ms) => Err(u64::try_from(ms).unwrap_or(u64::MAX).div_ceil(1000).max(1)),
            None => Ok(()),
        }
    }

    /// Counts one failed attempt against every key.
    pub fn record_failure(&self, keys: &[ThrottleKey], now: Timestamp) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= MAX_ENTRIES {
            self.prune(&mut entries, now);
        }
        let forget_ms = duration_ms(self.config.forget_after);
        for key in keys {
            let threshold = key.threshold(&self.config);
            let e = entries.entry(key.clone()).or_insert(Entry {
                failures: 0,
                last_failure: now,
                blocked_until: None,
            });
            if now.millis() - e.last_failure.millis() > forget_ms {
                e.failures = 0;
            }
            e.failures = e.failures.saturating_add(1);
            e.last_failure = now;
            if e.failures >= threshold {
                e.blocked_until = Some(now.plus_millis(self.window_ms(e.failures - threshold)));
            }
        }
    }

    /// Forgets the failures of every key (after a successful login: the caller passes the keys
    /// that belong to the user, never the address key, which an insider could otherwise reset
    /// between guesses at other accounts with a login of their own).
    pub fn record_success(&self, keys: &[ThrottleKey]) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        for key in keys {
            entries.remove(key);
        }
    }

    /// The window after the `n`-th failure beyond the threshold: base * 2^n, capped.
    fn window_ms(&self, n: u32) -> i64 {
        let base = duration_ms(self.config.base_window);
        let max = duration_ms(self.config.max_window);
        // 2^30 s is far beyond any sane cap, so stop doubling there instead of overflowing.
        if n >= 30 {
            max
        } else {
            base.saturating_mul(1i64 << n).min(max)
        }
    }

    fn prune(&self, entries: &mut HashMap<ThrottleKey, Entry>, now: Timestamp) {
        let forget_ms = duration_ms(self.config.forget_after);
        entries.retain(|_, e| now.millis() - e.last_failure.millis() <= forget_ms);
        if entries.len() >= MAX_ENTRIES {
            entries.retain(|_, e| e.blocked_until.is_some_and(|u| u > now));
        }
        if entries.len() >= MAX_ENTRIES {
            // Still full of active blocks: under a flood of this size, dropping state is better
            // than unbounded memory; the per-user thresholds rebuild quickly.
            entries.clear();
        }
    }
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::net::Ipv6Addr;

    fn t(ms: i64) -> Timestamp {
        Timestamp::from_millis(ms).unwrap()
    }

    fn user() -> Vec<ThrottleKey> {
        vec![ThrottleKey::user_at("wang.wei", None)]
    }

    #[test]
    fn five_failures_then_exponential_windows() {
        let th = LoginThrottle::new(ThrottleConfig::default());
        let keys = user();
        let mut now = 1_000_000;
        for _ in 0..4 {
            th.record_failure(&keys, t(now));
            assert_eq!(th.check(&keys, t(now)), Ok(()));
        }
        // 5th failure: blocked for 1 s, then 2 s, 4 s, 8 s ...
        for expected in [1u64, 2, 4, 8, 16] {
            th.record_failure(&keys, t(now));
            assert_eq!(th.check(&keys, t(now)), Err(expected));
            now += i64::try_from(expected).unwrap() * 1000 - 1;
            assert_eq!(
                th.check(&keys, t(now)),
                Err(1),
                "still blocked 1 ms before the end"
            );
            now += 1;
            assert_eq!(th.check(&keys, t(now)), Ok(()));
        }
    }

    #[test]
    fn window_is_capped_at_fifteen_minutes() {
        let th = LoginThrottle::new(ThrottleConfig::default());
        let keys = user();
        let mut now = 0;
        for _ in 0..40 {
            th.record_failure(&keys, t(now));
            now += 15 * 60 * 1000;
        }
        th.record_failure(&keys, t(now));
        assert_eq!(th.check(&keys, t(now)), Err(15 * 60));
    }

    #[test]
    fn success_resets_and_keys_are_independent() {
        let th = LoginThrottle::new(ThrottleConfig::default());
        let keys = user();
        for _ in 0..5 {
            th.record_failure(&keys, t(0));
        }
        assert!(th.check(&keys, t(0)).is_err());
        assert!(
            th.check(&[ThrottleKey::user_at("li.na", None)], t(0))
                .is_ok()
        );
        let elsewhere = ThrottleKey::user_at("wang.wei", Some("10.0.0.9".parse().unwrap()));
        assert!(
            th.check(&[elsewhere], t(0)).is_ok(),
            "the same name from another address"
        );
        th.record_success(&keys);
        assert!(th.check(&keys, t(0)).is_ok());
        th.record_failure(&keys, t(0));
        assert!(
            th.check(&keys, t(0)).is_ok(),
            "the count restarted from zero"
        );
    }

    #[test]
    fn address_threshold_is_separate() {
        let th = LoginThrottle::new(ThrottleConfig::default());
        let ip = ThrottleKey::ip("10.0.0.7".parse().unwrap());
        for i in 0..19 {
            th.record_failure(
                &[ThrottleKey::user_at(&format!("u{i}"), None), ip.clone()],
                t(0),
            );
        }
        assert!(th.check(std::slice::from_ref(&ip), t(0)).is_ok());
        th.record_failure(&[ThrottleKey::user_at("u19", None), ip.clone()], t(0));
        assert_eq!(
            th.check(&[ThrottleKey::user_at("fresh", None), ip], t(0)),
            Err(1)
        );
    }

    #[test]
    fn ipv6_is_bucketed_by_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(ThrottleKey::ip(a), ThrottleKey::ip(b));
        assert_ne!(ThrottleKey::ip(a), ThrottleKey::ip(c));
        let mapped = IpAddr::V6(Ipv6Addr::from([0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0007]));
        assert_eq!(
            ThrottleKey::ip(mapped),
            ThrottleKey::ip("10.0.0.7".parse().unwrap())
        );
    }

    #[test]
    fn old_streaks_are_forgotten() {
        let th = LoginThrottle::new(ThrottleConfig::default());
        let keys = user();
        for _ in 0..4 {
            th.record_failure(&keys, t(0));
        }
        let day = 24 * 60 * 60 * 1000;
        th.record_failure(&keys, t(day + 1));
        assert!(th.check(&keys, t(day + 1)).is_ok());
    }
}
