//! rqtop and rqctl: a terminal console and a command line for Python RQ's Redis data.
//!
//! `rq` is the data layer (no terminal, no clap); `present` formats values for people;
//! `cli` is rqctl's front-end.

pub mod cli;
pub mod present;
pub mod rq;
