//! The security suite. Each test starts `liaison serve all` as its own process on the
//! embedded default and talks HTTP to it as the callers of `platform::Who`.

#[path = "../support/mod.rs"]
mod support;

mod fixtures;
mod hostile;
mod limits;
mod matrix;
mod openapi;
mod personal_data;
mod platform;
mod ratelimit;
mod tokens;
