//! Tests of the kit against real components: relays and consumers on SQLite files,
//! RabbitMQ queues, and verification keys from PEM files and a JWKS server.

mod events;
mod keys;
