//! Waiting for a state: what to wait for (`condition`) and when to look again (`ticker`).

pub mod condition;
pub mod ticker;
