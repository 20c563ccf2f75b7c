//! Non-executing decoder for Python pickles (protocols 0-5) into a [`PyValue`]
//! tree, plus CPython 3.11 style `repr()` rendering (in `pickle/repr.rs`).
//!
//! Nothing is imported or called: GLOBAL/REDUCE/NEWOBJ/... only record names
//! and arguments. Payloads come from Redis and may be hostile, so every length
//! is checked against the remaining input before allocating, parse-time object
//! counts are capped, and materialising is bounded by depth, node and byte
//! budgets (shared references are copied, so a "billion laughs" pickle fails).
//!
//! Representation choices:
//! - py2 `str` (STRING/BINSTRING/SHORT_BINSTRING) becomes `Str`, one code point
//!   per byte (what `pickle.loads(..., encoding="latin1")` gives).
//! - `bytearray` becomes `Object { class: "builtins.bytearray", args: [Bytes] }`
//!   so that its repr is `bytearray(b'..')`.
//! - Items that APPEND(S)/SETITEM(S)/ADDITEMS add to an object (list/dict
//!   subclasses such as OrderedDict) are appended to its `args` as one
//!   List/Dict, NEWOBJ_EX keyword arguments as one Dict: args then read like
//!   a constructor call, e.g. `defaultdict(<class 'list'>, {...})`.
//! - Ints longer than CPython's 4300-digit `str()` limit are kept as hex text
//!   ("0x..." / "-0x...") in `BigInt`: decimal conversion is quadratic.
//! - Lone surrogates and invalid UTF-8 become U+FFFD. Dict keys and set items
//!   are not deduplicated.

use std::collections::HashMap;
use std::fmt;

use machine::{Machine, Node};
use materialise::Mat;

mod machine;
mod materialise;
mod opcodes;
mod repr;
#[cfg(test)]
mod tests;
mod text;

/// Values materialised per decode; each copy of a shared reference counts.
const NODE_BUDGET: usize = 1_000_000;
/// Arena, stack, mark and memo entries allowed while parsing (memory bound).
const MAX_OBJECTS: usize = 2_000_000;
/// Nesting limit when materialising and rendering.
const MAX_DEPTH: usize = 200;
/// Minimum budget for str/bytes payload copied out while materialising.
const MIN_BYTE_BUDGET: usize = 64 << 20;
/// Largest LONG1/LONG4 magnitude rendered in decimal (stays under 4300 digits).
const MAX_DECIMAL_LONG_BYTES: usize = 1785;
const HIGHEST_PROTOCOL: u8 = 5;

/// A decoded Python value. Containers hold values by value (shared references
/// in the pickle are cloned, within the node budget).
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    None,
    Bool(bool),
    Int(i64),
    /// Decimal text of an int that does not fit i64 (hex beyond 4300 digits).
    BigInt(String),
    Float(f64),
    Str(String),
    /// `bytes` (`bytearray` is an `Object` of class `builtins.bytearray`).
    Bytes(Vec<u8>),
    List(Vec<PyValue>),
    Tuple(Vec<PyValue>),
    /// Insertion order kept.
    Dict(Vec<(PyValue, PyValue)>),
    Set(Vec<PyValue>),
    FrozenSet(Vec<PyValue>),
    /// A class or function reference (GLOBAL / STACK_GLOBAL), "module.qualname"
    Global(String),
    /// An object built by REDUCE / NEWOBJ / NEWOBJ_EX / INST / OBJ, optionally with BUILD state
    Object {
        class: String,
        args: Vec<PyValue>,
        state: Option<Box<PyValue>>,
    },
    /// A reference cycle that was cut while materialising (repr: "[...]" / "{...}" / "...")
    Recursive,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickleError {
    pub offset: usize,
    pub reason: String,
}

impl fmt::Display for PickleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pickle: {} at byte {}", self.reason, self.offset)
    }
}

impl std::error::Error for PickleError {}

impl PyValue {
    /// Python repr() of the value, e.g. "('a', 1, None)", "{'k': [1, 2.5]}",
    /// "datetime.datetime(2026, 11, 23, 19, 35, 51, 40728)".
    pub fn repr(&self) -> String {
        let mut out = String::new();
        repr::write(self, &mut out, 0, repr::Enclosing::Other);
        out
    }

    /// The text if the value is a `Str` (callers fall back to [`PyValue::repr`]).
    pub fn as_str(&self) -> Option<&str> {
        match self {
            PyValue::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// Decode one pickle (stops at the first STOP; trailing bytes are ignored, as Python does).
pub fn decode(bytes: &[u8]) -> Result<PyValue, PickleError> {
    let mut m = Machine {
        data: bytes,
        pos: 0,
        arena: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        proto: 0,
    };
    // Immutable shared nodes: NONE_ID, TRUE_ID, FALSE_ID, EMPTY_TUPLE_ID.
    for v in [PyValue::None, PyValue::Bool(true), PyValue::Bool(false)] {
        m.arena.push(Node::Leaf(Box::new(v)));
    }
    m.arena.push(Node::Tuple(Vec::new()));
    loop {
        let start = m.pos;
        let err = |reason| PickleError {
            offset: start,
            reason,
        };
        if let Some(root) = m.step().map_err(err)? {
            let mut st = Mat {
                nodes: 0,
                bytes: 0,
                byte_budget: MIN_BYTE_BUDGET.max(bytes.len().saturating_mul(2)),
                on_path: vec![false; m.arena.len()],
            };
            return m.mat(root, 0, &mut st).map_err(err);
        }
    }
}

const NONE_ID: usize = 0;
const TRUE_ID: usize = 1;
const FALSE_ID: usize = 2;
const EMPTY_TUPLE_ID: usize = 3;

type R<T> = Result<T, String>;
