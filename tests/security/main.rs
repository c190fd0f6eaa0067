//! The security suite. Each test starts `liaison serve all` as its own process on the
//! embedded default and talks HTTP to it as the callers of `platform::Who`.

#[path = "../support/mod.rs"]
mod support;

mod personal_data;
// Each test module uses a different part of the harness.
#[allow(dead_code)]
mod platform;
