// TEMPORARY STUB until the real walker lands.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue { None, Bool(bool), Int(i64), BigInt(String), Float(f64), Str(String), Bytes(Vec<u8>), List(Vec<PyValue>), Tuple(Vec<PyValue>), Dict(Vec<(PyValue, PyValue)>), Set(Vec<PyValue>), FrozenSet(Vec<PyValue>), Global(String), Object { class: String, args: Vec<PyValue>, state: Option<Box<PyValue>> }, Recursive }
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickleError { pub offset: usize, pub reason: String }
impl std::fmt::Display for PickleError { fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { write!(f, "pickle: {} at byte {}", self.reason, self.offset) } }
pub fn decode(_b: &[u8]) -> Result<PyValue, PickleError> { Err(PickleError { offset: 0, reason: "stub".into() }) }
impl PyValue { pub fn repr(&self) -> String { format!("{self:?}") } pub fn as_str(&self) -> Option<&str> { if let PyValue::Str(s) = self { Some(s) } else { None } } }
