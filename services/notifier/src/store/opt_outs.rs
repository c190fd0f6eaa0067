//! Addresses that receive no more mail.

use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use crate::domain::opt_out::normalise;
use crate::schema::opt_outs;

/// Returns whether `address` opted out.
pub fn contains(conn: &mut AnyConnection, address: &str) -> Result<bool, StoreError> {
    let found: i64 = opt_outs::table
        .find(normalise(address))
        .count()
        .get_result(conn)?;
    Ok(found > 0)
}

/// Records that `address` opted out through `source` (`link` or `npo`). Returns `false`
/// when it had opted out before, which changes nothing.
pub fn add(conn: &mut AnyConnection, address: &str, source: &str) -> Result<bool, StoreError> {
    if contains(conn, address)? {
        return Ok(false);
    }
    diesel::insert_into(opt_outs::table)
        .values((
            opt_outs::address.eq(normalise(address)),
            opt_outs::source.eq(source),
            opt_outs::opted_out_at.eq(service_kit::now().naive_utc()),
        ))
        .execute(conn)?;
    Ok(true)
}
