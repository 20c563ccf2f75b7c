//! One selector language for rqctl and rqtop (see `parse` for the grammar): parsed once
//! here, matched against jobs as a scan reads them.

mod collect;
mod matcher;
mod parse;

pub use collect::Matches;
pub use matcher::glob;
pub use parse::{
    Cmp, FIELDS, Field, Selector, SelectorError, Term, Test, TextOp, TextValue, TimeField, parse,
};
