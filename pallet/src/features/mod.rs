//! The pallet's logic, one file per feature.

pub mod contributions;
pub mod models;
pub mod roles;
pub mod versions;
