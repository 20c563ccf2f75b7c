//! Copying arena nodes out into a [`PyValue`] tree, within the budgets.

use super::machine::{Machine, Node};
use super::text::to_latin1;
use super::{MAX_DEPTH, NODE_BUDGET, PyValue, R};

pub(super) struct Mat {
    pub(super) nodes: usize,
    pub(super) bytes: usize,
    pub(super) byte_budget: usize,
    pub(super) on_path: Vec<bool>,
}

impl Machine<'_> {
    /// Copy node `id` out of the arena into a value tree.
    pub(super) fn mat(&self, id: usize, depth: usize, st: &mut Mat) -> R<PyValue> {
        st.nodes += 1;
        if st.nodes > NODE_BUDGET {
            return Err("too many objects to materialise (node budget)".into());
        }
        if depth > MAX_DEPTH {
            return Err("nesting too deep".into());
        }
        let node = self.arena.get(id).ok_or("bad node")?;
        if let Node::Leaf(v) = node {
            let len = match &**v {
                PyValue::Str(s) | PyValue::BigInt(s) | PyValue::Global(s) => s.len(),
                PyValue::Bytes(b) => b.len(),
                _ => 0,
            };
            st.bytes = st.bytes.saturating_add(len);
            if st.bytes > st.byte_budget {
                return Err("too much data to materialise (byte budget)".into());
            }
            return Ok((**v).clone());
        }
        match st.on_path.get_mut(id) {
            Some(seen) if *seen => return Ok(PyValue::Recursive),
            Some(seen) => *seen = true,
            None => return Err("bad node".into()),
        }
        let result = self.mat_container(node, depth + 1, st);
        if let Some(seen) = st.on_path.get_mut(id) {
            *seen = false;
        }
        result
    }

    fn mat_all(&self, ids: &[usize], depth: usize, st: &mut Mat) -> R<Vec<PyValue>> {
        ids.iter().map(|&i| self.mat(i, depth, st)).collect()
    }

    fn mat_pairs(&self, ids: &[(usize, usize)], d: usize, st: &mut Mat) -> R<PyValue> {
        let pairs = ids
            .iter()
            .map(|&(k, v)| Ok((self.mat(k, d, st)?, self.mat(v, d, st)?)))
            .collect::<R<_>>()?;
        Ok(PyValue::Dict(pairs))
    }

    fn mat_container(&self, node: &Node, d: usize, st: &mut Mat) -> R<PyValue> {
        Ok(match node {
            Node::Leaf(v) => (**v).clone(),
            Node::List(ids) => PyValue::List(self.mat_all(ids, d, st)?),
            Node::Tuple(ids) => PyValue::Tuple(self.mat_all(ids, d, st)?),
            Node::Set(ids) => PyValue::Set(self.mat_all(ids, d, st)?),
            Node::FrozenSet(ids) => PyValue::FrozenSet(self.mat_all(ids, d, st)?),
            Node::Dict(pairs) => self.mat_pairs(pairs, d, st)?,
            Node::Object(o) => {
                let class = match self.mat(o.callable, d, st)? {
                    PyValue::Global(g) => g,
                    // getattr(cls, 'name') is how classmethods such as ZoneInfo._unpickle are pickled
                    PyValue::Object { class, args, .. } => match args.as_slice() {
                        [PyValue::Global(g), PyValue::Str(a)] if class == "builtins.getattr" => {
                            format!("{g}.{a}")
                        }
                        _ => class,
                    },
                    _ => "?".to_string(),
                };
                let mut args = match self.mat(o.args, d, st)? {
                    PyValue::Tuple(v) | PyValue::List(v) => v,
                    other => vec![other],
                };
                if let Some(k) = o.kwargs {
                    match self.mat(k, d, st)? {
                        PyValue::Dict(kw) if kw.is_empty() => {}
                        kw => args.push(kw),
                    }
                }
                if !o.list_items.is_empty() {
                    args.push(PyValue::List(self.mat_all(&o.list_items, d, st)?));
                }
                if !o.dict_items.is_empty() {
                    args.push(self.mat_pairs(&o.dict_items, d, st)?);
                }
                let state = match o.state {
                    Some(s) => Some(Box::new(self.mat(s, d, st)?)),
                    None => None,
                };
                normalise(class, args, state)
            }
        })
    }
}

/// Turn the pickle-level spelling of some builtins into the values they build.
fn normalise(class: String, mut args: Vec<PyValue>, state: Option<Box<PyValue>>) -> PyValue {
    use PyValue as V;
    let plain = state.is_none();
    match class.as_str() {
        // protocol < 4 sets: set([items])
        "builtins.set" | "builtins.frozenset" if plain && args.len() <= 1 => {
            let items = match args.pop() {
                None => Vec::new(),
                Some(V::List(v) | V::Tuple(v) | V::Set(v) | V::FrozenSet(v)) => v,
                Some(other) => vec![other],
            };
            return match class.as_str() {
                "builtins.set" => V::Set(items),
                _ => V::FrozenSet(items),
            };
        }
        // protocol < 3 bytes: bytes() and _codecs.encode('...', 'latin1')
        "builtins.bytes" if plain && args.is_empty() => return V::Bytes(Vec::new()),
        "_codecs.encode" if plain => {
            if let [V::Str(s), V::Str(enc)] = args.as_slice()
                && matches!(enc.as_str(), "latin1" | "latin-1" | "iso-8859-1")
                && let Some(b) = to_latin1(s)
            {
                return V::Bytes(b);
            }
        }
        // protocol 0/1 instances: _reconstructor(cls, base, base_state) + BUILD
        "copyreg._reconstructor" => {
            if let [V::Global(cls), V::Global(base), extra] = args.as_slice() {
                let args = match (base.as_str(), extra) {
                    ("builtins.object", _) | (_, V::None) => Vec::new(),
                    _ => vec![extra.clone()],
                };
                return V::Object {
                    class: cls.clone(),
                    args,
                    state,
                };
            }
        }
        "copyreg.__newobj__" => {
            if let Some(V::Global(cls)) = args.first() {
                let class = cls.clone();
                args.remove(0);
                return V::Object { class, args, state };
            }
        }
        "copyreg.__newobj_ex__" => {
            if let [V::Global(cls), V::Tuple(a), kw] = args.as_slice() {
                let mut a = a.clone();
                if !matches!(kw, V::Dict(d) if d.is_empty()) {
                    a.push(kw.clone());
                }
                return V::Object {
                    class: cls.clone(),
                    args: a,
                    state,
                };
            }
        }
        _ => {}
    }
    V::Object { class, args, state }
}
