//! `--where SEL` and `--signature ID`, shared by jobs, requeue, delete and cancel.

use clap::Args;

use crate::rq::select::{self, Selector};

#[derive(Debug, Args, Clone, Default)]
pub struct SelectArgs {
    /// Only jobs matching this selector, e.g. 'exc~ConnectionError ended<1h' (terms are
    /// ANDed; fields: id queue func worker status sig origin exc age ended meta.KEY; see
    /// the README for the grammar).
    #[arg(long = "where", value_name = "SEL", value_parser = parse_selector)]
    pub selector: Option<Selector>,
    /// Only jobs of this failure signature (as `rqctl failures` lists them).
    #[arg(long, value_name = "ID", value_parser = parse_signature)]
    pub signature: Option<String>,
}

impl SelectArgs {
    /// True when a selection was asked for.
    #[must_use]
    pub fn any(&self) -> bool {
        self.selector.is_some() || self.signature.is_some()
    }

    /// `--where` and `--signature` as one selector.
    #[must_use]
    pub fn combined(&self) -> Selector {
        let mut sel = self.selector.clone().unwrap_or_default();
        if let Some(id) = &self.signature {
            // A signature id is hex: it reads back as a plain `sig=` term.
            if let Ok(extra) = select::parse(&format!("sig={id}")) {
                sel.terms.extend(extra.terms);
            }
        }
        sel
    }
}

fn parse_selector(s: &str) -> Result<Selector, String> {
    select::parse(s).map_err(|e| e.to_string())
}

fn parse_signature(s: &str) -> Result<String, String> {
    let id = s.trim().to_ascii_lowercase();
    if id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(id)
    } else {
        Err(format!(
            "'{}' is not a signature id (8 hex digits, as `rqctl failures` lists them)",
            s.escape_debug()
        ))
    }
}
