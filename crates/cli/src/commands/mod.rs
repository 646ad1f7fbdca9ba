//! The subcommands.

pub mod capture;
pub mod db;
pub mod pcap;
pub mod sample;
pub mod serve;
pub mod sessions;
pub mod setup;
pub mod user;
