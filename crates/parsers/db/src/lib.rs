//! Database, directory and network service protocols: MySQL, PostgreSQL, Oracle, NTP,
//! TDS, RADIUS, SNMP, LDAP and Kerberos today.

pub mod krb5;
pub mod ldap;
pub mod mysql;
pub mod ntp;
pub mod oracle;
pub mod postgresql;
pub mod radius;
pub mod snmp;
pub mod tds;

use trawl_fields::FieldRegistry;
use trawl_session::parsers::Classifiers;

/// Registers this crate's classifiers and fields.
pub fn register(c: &mut Classifiers, f: &mut FieldRegistry) {
    krb5::register(c, f);
    ldap::register(c, f);
    mysql::register(c, f);
    ntp::register(c, f);
    oracle::register(c, f);
    postgresql::register(c, f);
    radius::register(c, f);
    snmp::register(c, f);
    tds::register(c, f);
}
