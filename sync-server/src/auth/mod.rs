//! Authentication: bearer tokens ([`token`]), password hashing ([`password`]), the failed-login
//! slow-down ([`throttle`]) and the [`AuthContext`] extractor that every protected route takes.
//!
//! Invariant: a request handler that takes an [`AuthContext`] only runs for a known, unexpired
//! token of an enabled user on a non-revoked device.

pub mod extractor;
pub mod hash_pool;
pub mod password;
pub mod throttle;
pub mod token;

pub use extractor::{AuthContext, ClientIp};
pub use throttle::{LoginThrottle, ThrottleConfig, ThrottleKey};
