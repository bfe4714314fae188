//! The commands the UI invokes: a few lines each over `gridmate-core`. Each returns the JSON shape
//! documented in `ui/src/api/types.ts`, or an `AppError`.

pub mod records;
pub mod session;
pub mod sync;

use std::sync::PoisonError;

use crate::error::AppError;
use crate::state::SharedStore;

/// Runs `f` with the store locked (a short, synchronous step).
pub fn with_store<T>(
    store: &SharedStore,
    f: impl FnOnce(&mut gridmate_core::Store) -> Result<T, AppError>,
) -> Result<T, AppError> {
    let mut s = store.lock().unwrap_or_else(PoisonError::into_inner);
    f(&mut s)
}
