//! The pallet's logic, one file per feature.

pub mod contributions;
pub mod encryption;
#[cfg(any(test, feature = "try-runtime", feature = "runtime-benchmarks"))]
pub mod invariants;
pub mod models;
pub mod roles;
pub mod versions;
