//! Types and rules of the notifier: templates, notification states, opt-out tokens and
//! settings.

pub mod notification;
pub mod opt_out;
pub mod settings;
pub mod templates;
