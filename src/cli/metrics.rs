//! Prometheus exposition of the overview: `rqctl metrics` (once) and `--listen` (a server).

pub mod exposition;
pub mod server;
