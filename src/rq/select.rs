//! One selector language for rqctl and rqtop (see `parse` for the grammar): parsed once
//! here, matched against jobs as a scan reads them.

mod matcher;
mod parse;

pub use matcher::glob;
pub use parse::{
    Cmp, FIELDS, Field, Selector, SelectorError, Term, Test, TextOp, TextValue, TimeField, parse,
};
