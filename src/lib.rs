//! rqtop and rqctl: a terminal console and a command line for Python RQ's Redis data.
//!
//! `rq` is the data layer (no terminal, no clap); `present` formats values for people;
//! `cli` is rqctl's front-end and holds all argument parsing; `tui` is rqtop's console;
//! `demo` runs a private Redis with a moving RQ workload for `rqtop --demo`.

pub mod cli;
pub mod config;
pub mod demo;
pub mod present;
pub mod rq;
pub mod tui;
