//! The data layer: RQ's Redis model, read and written exactly as RQ does. It knows nothing
//! of terminals or command lines and never prints.

mod alert_reads;
mod client;
pub mod decode;
mod error;
pub mod failures;
mod job_detail;
mod job_states;
mod jobs;
pub mod keys;
pub mod model;
pub mod mutate;
mod overview;
mod password;
pub mod pickle;
mod rate_limits;
mod reply;
mod results;
mod schedules;
pub mod select;
pub mod sentinel;
pub mod watch;

pub use alert_reads::SuspendedSince;
pub use client::{ConnectOptions, RqClient, redact_url};
pub use error::{Error, Result};
pub use job_states::JobState;
pub use jobs::MAX_PAGE;
pub use model::*;
pub use overview::{Detail, NEEDED_EVENT_FLAGS, ReadAhead, events_sufficient};
pub use password::Password;
