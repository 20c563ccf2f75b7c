//! Parse-time state: the node arena, stack, marks, memo and input cursor.

use std::collections::HashMap;

use super::{MAX_OBJECTS, PyValue, R};

/// Parse-time value. Stack and memo hold arena indices, so mutating a node
/// (APPENDS, SETITEMS, BUILD) is seen by every later GET of it.
pub(super) enum Node {
    Leaf(Box<PyValue>),
    List(Vec<usize>),
    Tuple(Vec<usize>),
    Dict(Vec<(usize, usize)>),
    Set(Vec<usize>),
    FrozenSet(Vec<usize>),
    Object(Box<Obj>),
}

pub(super) struct Obj {
    pub(super) callable: usize,
    /// Index of the args node (not a copy: GET + REDUCE loops stay linear).
    pub(super) args: usize,
    pub(super) kwargs: Option<usize>,
    pub(super) state: Option<usize>,
    pub(super) list_items: Vec<usize>,
    pub(super) dict_items: Vec<(usize, usize)>,
}

pub(super) struct Machine<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
    pub(super) arena: Vec<Node>,
    pub(super) stack: Vec<usize>,
    pub(super) marks: Vec<usize>,
    pub(super) memo: HashMap<u64, usize>,
    /// Last PROTO seen (0 when absent): py2 name mapping applies below 3.
    pub(super) proto: u8,
}

pub(super) fn leaf(v: PyValue) -> Node {
    Node::Leaf(Box::new(v))
}

impl<'a> Machine<'a> {
    pub(super) fn take(&mut self, n: usize) -> R<&'a [u8]> {
        let end = self.pos.checked_add(n).ok_or("length overflow")?;
        let s = self.data.get(self.pos..end).ok_or("truncated input")?;
        self.pos = end;
        Ok(s)
    }

    pub(super) fn arr<const N: usize>(&mut self) -> R<[u8; N]> {
        self.take(N)?
            .try_into()
            .map_err(|_| "truncated input".to_string())
    }

    pub(super) fn take_len(&mut self, n: u64) -> R<&'a [u8]> {
        self.take(usize::try_from(n).map_err(|_| "length too large")?)
    }

    /// Text argument of a protocol 0 opcode, without its newline.
    pub(super) fn line(&mut self) -> R<&'a [u8]> {
        let rest = self.data.get(self.pos..).unwrap_or_default();
        let n = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("truncated input: missing newline")?;
        self.pos += n + 1;
        Ok(&rest[..n])
    }

    pub(super) fn text_line(&mut self) -> R<String> {
        Ok(String::from_utf8_lossy(self.line()?).into_owned())
    }

    pub(super) fn new_node(&mut self, n: Node) -> R<usize> {
        if self.arena.len() >= MAX_OBJECTS {
            return Err("too many objects".into());
        }
        self.arena.push(n);
        Ok(self.arena.len() - 1)
    }

    pub(super) fn push(&mut self, id: usize) -> R<()> {
        if self.stack.len() >= MAX_OBJECTS {
            return Err("stack too deep".into());
        }
        self.stack.push(id);
        Ok(())
    }

    pub(super) fn push_new(&mut self, n: Node) -> R<()> {
        let id = self.new_node(n)?;
        self.push(id)
    }

    /// Items above the innermost MARK are the only poppable ones (as in CPython).
    pub(super) fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    pub(super) fn pop(&mut self) -> R<usize> {
        if self.stack.len() <= self.fence() {
            return Err("stack underflow".into());
        }
        self.stack.pop().ok_or_else(|| "stack underflow".into())
    }

    pub(super) fn top(&self) -> R<usize> {
        match self.stack.last() {
            Some(&id) if self.stack.len() > self.fence() => Ok(id),
            _ => Err("stack underflow".into()),
        }
    }

    pub(super) fn pop_mark(&mut self) -> R<Vec<usize>> {
        let m = self.marks.pop().ok_or("MARK missing")?;
        // marks never exceed the stack length: pops stop at the fence
        Ok(self.stack.split_off(m.min(self.stack.len())))
    }

    /// The container below the popped items (APPEND/SETITEM/ADDITEMS/BUILD target).
    pub(super) fn target(&mut self) -> R<&mut Node> {
        let id = *self.stack.last().ok_or("stack underflow")?;
        self.arena.get_mut(id).ok_or_else(|| "bad node".into())
    }

    pub(super) fn memo_get(&mut self, key: u64) -> R<()> {
        let id = *self
            .memo
            .get(&key)
            .ok_or_else(|| format!("memo key {key} not found"))?;
        self.push(id)
    }

    pub(super) fn memo_put(&mut self, key: u64) -> R<()> {
        if self.memo.len() >= MAX_OBJECTS {
            return Err("memo too large".into());
        }
        let id = self.top()?;
        self.memo.insert(key, id);
        Ok(())
    }

    pub(super) fn leaf_str(&self, id: usize) -> R<String> {
        match self.arena.get(id) {
            Some(Node::Leaf(v)) => match &**v {
                PyValue::Str(s) => Ok(s.clone()),
                _ => Err("STACK_GLOBAL needs str operands".into()),
            },
            _ => Err("STACK_GLOBAL needs str operands".into()),
        }
    }

    pub(super) fn push_global(&mut self, module: &str, name: &str) -> R<()> {
        // Python 2 spellings, mapped like Unpickler(fix_imports=True) for protocol < 3
        // (py3 itself writes "__builtin__ long" for int, "__builtin__ xrange" for range)
        let (module, name) = match (module, name) {
            _ if self.proto >= 3 => (module, name),
            ("__builtin__", "xrange") => ("builtins", "range"),
            ("__builtin__", "long") => ("builtins", "int"),
            ("__builtin__", "unicode" | "basestring") => ("builtins", "str"),
            ("__builtin__", "unichr") => ("builtins", "chr"),
            ("__builtin__", "reduce") => ("functools", "reduce"),
            ("__builtin__", "intern") => ("sys", "intern"),
            ("exceptions", "StandardError") => ("builtins", "Exception"),
            ("__builtin__" | "exceptions", _) => ("builtins", name),
            ("copy_reg", _) => ("copyreg", name),
            ("UserDict" | "UserList" | "UserString", _) => ("collections", name),
            ("Queue", _) => ("queue", name),
            _ => (module, name),
        };
        self.push_new(leaf(PyValue::Global(format!("{module}.{name}"))))
    }

    pub(super) fn push_object(
        &mut self,
        callable: usize,
        args: usize,
        kwargs: Option<usize>,
    ) -> R<()> {
        self.push_new(Node::Object(Box::new(Obj {
            callable,
            args,
            kwargs,
            state: None,
            list_items: Vec::new(),
            dict_items: Vec::new(),
        })))
    }

    pub(super) fn append(&mut self, items: Vec<usize>) -> R<()> {
        match self.target()? {
            Node::List(v) => v.extend(items),
            Node::Object(o) => o.list_items.extend(items),
            _ => return Err("APPEND to a non-list".into()),
        }
        Ok(())
    }

    pub(super) fn set_items(&mut self, items: Vec<usize>) -> R<()> {
        if !items.len().is_multiple_of(2) {
            return Err("odd number of items for SETITEMS".into());
        }
        let pairs = items.chunks_exact(2).map(|p| (p[0], p[1]));
        match self.target()? {
            Node::Dict(v) => v.extend(pairs),
            Node::Object(o) => o.dict_items.extend(pairs),
            _ => return Err("SETITEM on a non-dict".into()),
        }
        Ok(())
    }
}
