//! Database and directory protocols: MySQL, PostgreSQL and Oracle today (TDS, LDAP,
//! Kerberos, RADIUS, SNMP and NTP to come).

pub mod mysql;
pub mod oracle;
pub mod postgresql;

use trawl_config::Settings;
use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry, _st: &Settings) {
    mysql::register(c, f);
    oracle::register(c, f);
    postgresql::register(c, f);
}
