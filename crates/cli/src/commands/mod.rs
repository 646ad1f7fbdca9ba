//! The subcommands.

pub mod capture;
pub mod sample;
pub mod setup;
