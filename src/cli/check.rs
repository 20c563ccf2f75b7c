//! `rqctl check`: thresholds over the overview, judged as a monitoring plugin reports.

pub mod evaluate;
pub mod thresholds;
