//! Opcode dispatch: one pickle opcode per `Machine::step` call.

use super::machine::{Machine, Node, leaf};
use super::text::{
    escape_decode, latin1, long_from_le, parse_int_text, parse_key, raw_unicode_escape,
};
use super::{
    EMPTY_TUPLE_ID, FALSE_ID, HIGHEST_PROTOCOL, MAX_OBJECTS, NONE_ID, PyValue, R, TRUE_ID,
};

impl Machine<'_> {
    /// Execute one opcode; returns the root node at STOP.
    pub(super) fn step(&mut self) -> R<Option<usize>> {
        let [op] = self.arr().map_err(|_| "missing STOP opcode")?;
        match op {
            0x80 => {
                let [p] = self.arr()?;
                if p > HIGHEST_PROTOCOL {
                    return Err(format!("unsupported protocol {p}"));
                }
                self.proto = p;
            }
            0x95 => {
                self.arr::<8>()?; // FRAME: only a read-ahead hint
            }
            b'.' => return self.pop().map(Some),
            b'(' => {
                if self.marks.len() >= MAX_OBJECTS {
                    return Err("too many marks".into());
                }
                self.marks.push(self.stack.len());
            }
            b'0' => {
                // CPython pops a MARK when no item is above it
                if self.stack.len() > self.fence() {
                    self.pop()?;
                } else {
                    self.pop_mark()?;
                }
            }
            b'1' => {
                self.pop_mark()?;
            }
            b'2' => self.push(self.top()?)?,
            b'N' => self.push(NONE_ID)?,
            0x88 => self.push(TRUE_ID)?,
            0x89 => self.push(FALSE_ID)?,
            b'I' => {
                let line = self.line()?;
                match line {
                    b"01" => self.push(TRUE_ID)?,
                    b"00" => self.push(FALSE_ID)?,
                    _ => self.push_new(leaf(parse_int_text(line)?))?,
                }
            }
            b'L' => {
                let line = self.line()?;
                let line = line.strip_suffix(b"L").unwrap_or(line);
                self.push_new(leaf(parse_int_text(line)?))?;
            }
            b'J' | b'K' | b'M' => {
                let v: i64 = match op {
                    b'J' => i32::from_le_bytes(self.arr()?).into(),
                    b'K' => self.arr::<1>()?[0].into(),
                    _ => u16::from_le_bytes(self.arr()?).into(),
                };
                self.push_new(leaf(PyValue::Int(v)))?;
            }
            0x8a => {
                let [n] = self.arr()?;
                let b = self.take(n.into())?;
                self.push_new(leaf(long_from_le(b)))?;
            }
            0x8b => {
                let n = i32::from_le_bytes(self.arr()?);
                let n = u64::try_from(n).map_err(|_| "negative LONG4 length")?;
                let b = self.take_len(n)?;
                self.push_new(leaf(long_from_le(b)))?;
            }
            b'F' => {
                let line = String::from_utf8_lossy(self.line()?);
                let f = line.trim().parse::<f64>().map_err(|_| "bad FLOAT text")?;
                self.push_new(leaf(PyValue::Float(f)))?;
            }
            b'G' => {
                let f = f64::from_be_bytes(self.arr()?);
                self.push_new(leaf(PyValue::Float(f)))?;
            }
            b'S' => {
                let line = self.line()?;
                let inner = match line {
                    [q @ (b'\'' | b'"'), inner @ .., last] if q == last => inner,
                    _ => return Err("STRING argument must be quoted".into()),
                };
                self.push_new(leaf(PyValue::Str(latin1(&escape_decode(inner)?))))?;
            }
            b'T' => {
                let n = i32::from_le_bytes(self.arr()?);
                let n = u64::try_from(n).map_err(|_| "negative BINSTRING length")?;
                let s = latin1(self.take_len(n)?);
                self.push_new(leaf(PyValue::Str(s)))?;
            }
            b'U' => {
                let [n] = self.arr()?;
                let s = latin1(self.take(n.into())?);
                self.push_new(leaf(PyValue::Str(s)))?;
            }
            b'V' => {
                let s = raw_unicode_escape(self.line()?)?;
                self.push_new(leaf(PyValue::Str(s)))?;
            }
            b'X' | 0x8c | 0x8d => {
                let n = match op {
                    b'X' => u32::from_le_bytes(self.arr()?).into(),
                    0x8c => self.arr::<1>()?[0].into(),
                    _ => u64::from_le_bytes(self.arr()?),
                };
                let s = String::from_utf8_lossy(self.take_len(n)?).into_owned();
                self.push_new(leaf(PyValue::Str(s)))?;
            }
            b'B' | b'C' | 0x8e | 0x96 => {
                let n = match op {
                    b'B' => u32::from_le_bytes(self.arr()?).into(),
                    b'C' => self.arr::<1>()?[0].into(),
                    _ => u64::from_le_bytes(self.arr()?),
                };
                let bytes = leaf(PyValue::Bytes(self.take_len(n)?.to_vec()));
                if op == 0x96 {
                    let b = self.new_node(bytes)?;
                    let args = self.new_node(Node::Tuple(vec![b]))?;
                    let class =
                        self.new_node(leaf(PyValue::Global("builtins.bytearray".into())))?;
                    self.push_object(class, args, None)?;
                } else {
                    self.push_new(bytes)?;
                }
            }
            b']' => self.push_new(Node::List(Vec::new()))?,
            b'}' => self.push_new(Node::Dict(Vec::new()))?,
            0x8f => self.push_new(Node::Set(Vec::new()))?,
            b')' => self.push(EMPTY_TUPLE_ID)?,
            b'a' => {
                let v = self.pop()?;
                self.append(vec![v])?;
            }
            b'e' => {
                let items = self.pop_mark()?;
                self.append(items)?;
            }
            b's' => {
                let v = self.pop()?;
                let k = self.pop()?;
                self.set_items(vec![k, v])?;
            }
            b'u' => {
                let items = self.pop_mark()?;
                self.set_items(items)?;
            }
            0x90 => {
                let items = self.pop_mark()?;
                match self.target()? {
                    Node::Set(v) => v.extend(items),
                    Node::Object(o) => o.list_items.extend(items),
                    _ => return Err("ADDITEMS to a non-set".into()),
                }
            }
            b'l' => {
                let items = self.pop_mark()?;
                self.push_new(Node::List(items))?;
            }
            b't' => {
                let items = self.pop_mark()?;
                self.push_new(Node::Tuple(items))?;
            }
            0x91 => {
                let items = self.pop_mark()?;
                self.push_new(Node::FrozenSet(items))?;
            }
            b'd' => {
                let items = self.pop_mark()?;
                if !items.len().is_multiple_of(2) {
                    return Err("odd number of items for DICT".into());
                }
                let pairs = items.chunks_exact(2).map(|p| (p[0], p[1])).collect();
                self.push_new(Node::Dict(pairs))?;
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.pop()?);
                }
                items.reverse();
                self.push_new(Node::Tuple(items))?;
            }
            b'g' | b'h' | b'j' | b'p' | b'q' | b'r' => {
                let key = match op {
                    b'g' | b'p' => parse_key(self.line()?)?,
                    b'h' | b'q' => self.arr::<1>()?[0].into(),
                    _ => u32::from_le_bytes(self.arr()?).into(),
                };
                if matches!(op, b'g' | b'h' | b'j') {
                    self.memo_get(key)?;
                } else {
                    self.memo_put(key)?;
                }
            }
            0x94 => self.memo_put(self.memo.len() as u64)?,
            b'c' => {
                let module = self.text_line()?;
                let name = self.text_line()?;
                self.push_global(&module, &name)?;
            }
            0x93 => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (module, name) = (self.leaf_str(module)?, self.leaf_str(name)?);
                self.push_global(&module, &name)?;
            }
            b'R' | 0x81 => {
                let args = self.pop()?;
                let callable = self.pop()?;
                self.push_object(callable, args, None)?;
            }
            0x92 => {
                let kwargs = self.pop()?;
                let args = self.pop()?;
                let cls = self.pop()?;
                self.push_object(cls, args, Some(kwargs))?;
            }
            b'i' => {
                let module = self.text_line()?;
                let name = self.text_line()?;
                let items = self.pop_mark()?;
                self.push_global(&module, &name)?;
                let cls = self.pop()?;
                let args = self.new_node(Node::Tuple(items))?;
                self.push_object(cls, args, None)?;
            }
            b'o' => {
                let mut items = self.pop_mark()?;
                if items.is_empty() {
                    return Err("OBJ without a class".into());
                }
                let cls = items.remove(0);
                let args = self.new_node(Node::Tuple(items))?;
                self.push_object(cls, args, None)?;
            }
            b'b' => {
                let state = self.pop()?;
                self.top()?;
                match self.target()? {
                    Node::Object(o) => o.state = Some(state),
                    _ => return Err("BUILD on a non-object".into()),
                }
            }
            0x82..=0x84 => return Err("extension registry opcodes (EXT1/2/4) unsupported".into()),
            b'P' | b'Q' => return Err("persistent ids unsupported".into()),
            0x97 | 0x98 => return Err("out-of-band buffers unsupported".into()),
            _ => return Err(format!("unknown opcode 0x{op:02x}")),
        }
        Ok(None)
    }
}
