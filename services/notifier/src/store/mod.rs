//! Diesel queries of the notifier, returning domain types.

pub mod contacts;
pub mod notifications;
pub mod opt_outs;
