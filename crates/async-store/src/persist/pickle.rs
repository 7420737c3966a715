//! A safe reader for the pickles LangChain's `save_local` writes (`index.pkl`): a small
//! pickle stack machine that only builds data. Globals stay inert names and `REDUCE`
//! calls nothing, so a hostile file can at worst be refused, never run code.
//!
//! Supports protocols 2 to 5 and the opcodes Python emits for builtin values and
//! `NEWOBJ`/`BUILD` objects (see `specs/langchain-pickle.md` §3); anything else is an
//! error. Sizes are checked against the input before anything is allocated.
//!
//! A pickle can make its mutable containers refer to themselves (`l.append(l)`, an
//! object whose state is itself), which reference counting alone never frees. So the
//! reader records every container it creates (an [`Arena`] of weak references) and
//! empties them all when the decoded [`Pickle`] is dropped, or when decoding fails.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

/// A decoded pickle value. Containers are shared (`Rc<RefCell<..>>`) because the memo
/// and the stack refer to the same objects, which later opcodes fill in place.
#[derive(Debug, Clone)]
pub(crate) enum PickleValue {
    None,
    Bool(bool),
    Int(i64),
    /// An integer beyond i64 (its value is not needed by any caller).
    BigInt,
    Float(f64),
    Str(Rc<str>),
    /// A bytes object (its content is not needed by any caller).
    Bytes,
    Tuple(Rc<[PickleValue]>),
    List(Rc<RefCell<Vec<PickleValue>>>),
    Dict(Rc<RefCell<Vec<(PickleValue, PickleValue)>>>),
    Set(Rc<RefCell<Vec<PickleValue>>>),
    /// A class or function named by the file (never imported or called).
    Global(Rc<(String, String)>),
    /// An object built by `NEWOBJ` or `REDUCE`, with the state `BUILD` gave it.
    Object(Rc<RefCell<PickleObject>>),
}

/// An inert object: what it was made from and its state.
#[derive(Debug)]
pub(crate) struct PickleObject {
    /// `(module, name)` of its class or callable, when that was a global.
    pub(crate) class: Option<(String, String)>,
    pub(crate) state: Option<PickleValue>,
}

type Items = Rc<RefCell<Vec<PickleValue>>>;
type Pairs = Rc<RefCell<Vec<(PickleValue, PickleValue)>>>;

/// A mutable container the reader created, held weakly.
enum Container {
    Items(Weak<RefCell<Vec<PickleValue>>>),
    Pairs(Weak<RefCell<Vec<(PickleValue, PickleValue)>>>),
    Object(Weak<RefCell<PickleObject>>),
}

/// Every mutable container (list, set, dict, object) one decoding created. Dropping it
/// empties them all, which breaks any cycle among them.
#[derive(Default)]
struct Arena {
    containers: Vec<Container>,
}

impl Arena {
    fn items(&mut self, items: Vec<PickleValue>) -> Items {
        let rc = Rc::new(RefCell::new(items));
        self.containers.push(Container::Items(Rc::downgrade(&rc)));
        rc
    }

    fn pairs(&mut self) -> Pairs {
        let rc = Pairs::default();
        self.containers.push(Container::Pairs(Rc::downgrade(&rc)));
        rc
    }

    fn object(&mut self, object: PickleObject) -> Rc<RefCell<PickleObject>> {
        let rc = Rc::new(RefCell::new(object));
        self.containers.push(Container::Object(Rc::downgrade(&rc)));
        rc
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        // Move every container's contents out first and drop them only at the end:
        // by then each container is empty, so no value still refers to another.
        let mut detached: Vec<PickleValue> = Vec::new();
        for container in self.containers.drain(..) {
            match container {
                Container::Items(w) => {
                    if let Some(rc) = w.upgrade() {
                        detached.append(&mut rc.borrow_mut());
                    }
                }
                Container::Pairs(w) => {
                    if let Some(rc) = w.upgrade() {
                        for (k, v) in rc.borrow_mut().drain(..) {
                            detached.push(k);
                            detached.push(v);
                        }
                    }
                }
                Container::Object(w) => {
                    if let Some(rc) = w.upgrade() {
                        detached.extend(rc.borrow_mut().state.take());
                    }
                }
            }
        }
    }
}

/// A decoded pickle: its value, and what the decoding created. Dropping it empties
/// every list, set, dict and object state of the pickle (so clones of values taken
/// from [`Pickle::root`] must not be read after it is dropped).
pub(crate) struct Pickle {
    // Declared first, so dropped first: it empties the containers the fields below
    // still refer to.
    _arena: Arena,
    root: PickleValue,
    _rest: (Vec<Slot>, Vec<Option<PickleValue>>),
}

impl Pickle {
    /// The pickled value (what STOP returned).
    pub(crate) fn root(&self) -> &PickleValue {
        &self.root
    }
}

/// Stack entries: values and MARKs.
enum Slot {
    Mark,
    Value(PickleValue),
}

/// Decodes one pickle. Errors are plain messages; the caller names the file.
pub(crate) fn parse(bytes: &[u8]) -> Result<Pickle, String> {
    let mut machine = Machine {
        arena: Arena::default(),
        input: bytes,
        pos: 0,
        stack: Vec::new(),
        memo: Vec::new(),
    };
    let root = machine.run()?;
    let Machine {
        arena, stack, memo, ..
    } = machine;
    Ok(Pickle {
        _arena: arena,
        root,
        _rest: (stack, memo),
    })
}

struct Machine<'a> {
    // Declared first, so dropped first (on an error): it empties the containers the
    // stack and the memo still refer to.
    arena: Arena,
    input: &'a [u8],
    pos: usize,
    stack: Vec<Slot>,
    memo: Vec<Option<PickleValue>>,
}

/// Most memo slots a file may address (Python writes one per object).
const MAX_MEMO: usize = 1 << 26;

impl Machine<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.input.len())
            .ok_or_else(|| format!("truncated pickle: {n} bytes needed at offset {}", self.pos))?;
        let out = &self.input[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    fn le<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }

    fn len_u32(&mut self) -> Result<usize, String> {
        Ok(u32::from_le_bytes(self.le()?) as usize)
    }

    fn len_u64(&mut self) -> Result<usize, String> {
        usize::try_from(u64::from_le_bytes(self.le()?)).map_err(|_| "length out of range".into())
    }

    fn string(&mut self, n: usize) -> Result<PickleValue, String> {
        let raw = self.take(n)?;
        let s = std::str::from_utf8(raw).map_err(|e| format!("invalid UTF-8 string: {e}"))?;
        Ok(PickleValue::Str(Rc::from(s)))
    }

    fn line(&mut self) -> Result<String, String> {
        let rest = &self.input[self.pos..];
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or("truncated pickle: unterminated GLOBAL")?;
        let s = std::str::from_utf8(&rest[..end])
            .map_err(|e| e.to_string())?
            .to_string();
        self.pos += end + 1;
        Ok(s)
    }

    fn push(&mut self, v: PickleValue) {
        self.stack.push(Slot::Value(v));
    }

    fn pop(&mut self) -> Result<PickleValue, String> {
        match self.stack.pop() {
            Some(Slot::Value(v)) => Ok(v),
            Some(Slot::Mark) => Err("unexpected MARK on the stack".into()),
            None => Err("stack underflow".into()),
        }
    }

    fn top(&self) -> Result<&PickleValue, String> {
        match self.stack.last() {
            Some(Slot::Value(v)) => Ok(v),
            _ => Err("no value on the stack".into()),
        }
    }

    /// Pops everything down to the last MARK (removed too), in stack order.
    fn pop_mark(&mut self) -> Result<Vec<PickleValue>, String> {
        let at = self
            .stack
            .iter()
            .rposition(|s| matches!(s, Slot::Mark))
            .ok_or("no MARK on the stack")?;
        let items = self.stack.split_off(at + 1);
        self.stack.pop();
        Ok(items
            .into_iter()
            .filter_map(|s| match s {
                Slot::Value(v) => Some(v),
                Slot::Mark => None,
            })
            .collect())
    }

    fn memo_put(&mut self, index: usize) -> Result<(), String> {
        if index >= MAX_MEMO {
            return Err(format!("memo index {index} too large"));
        }
        let v = self.top()?.clone();
        if self.memo.len() <= index {
            self.memo.resize(index + 1, None);
        }
        self.memo[index] = Some(v);
        Ok(())
    }

    fn memo_get(&mut self, index: usize) -> Result<(), String> {
        let v = self
            .memo
            .get(index)
            .and_then(Clone::clone)
            .ok_or_else(|| format!("memo slot {index} is empty"))?;
        self.push(v);
        Ok(())
    }

    fn set_items(&mut self, pairs: Vec<PickleValue>) -> Result<(), String> {
        if pairs.len() % 2 != 0 {
            return Err("odd number of items for a dict".into());
        }
        let PickleValue::Dict(d) = self.top()? else {
            return Err("SETITEM(S) on something that is not a dict".into());
        };
        let mut d = d.borrow_mut();
        let mut it = pairs.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            d.push((k, v));
        }
        Ok(())
    }

    fn extend(&mut self, items: Vec<PickleValue>) -> Result<(), String> {
        match self.top()? {
            PickleValue::List(l) | PickleValue::Set(l) => {
                l.borrow_mut().extend(items);
                Ok(())
            }
            _ => Err("APPEND(S)/ADDITEMS on something that is not a list or set".into()),
        }
    }

    fn object(&mut self, callable: PickleValue) -> PickleValue {
        let class = match callable {
            PickleValue::Global(g) => Some((g.0.clone(), g.1.clone())),
            _ => None,
        };
        PickleValue::Object(self.arena.object(PickleObject { class, state: None }))
    }

    fn run(&mut self) -> Result<PickleValue, String> {
        loop {
            let op = self.u8()?;
            match op {
                0x80 => {
                    let proto = self.u8()?;
                    if !(2..=5).contains(&proto) {
                        return Err(format!(
                            "pickle protocol {proto} is not supported (2 to 5 are)"
                        ));
                    }
                }
                0x95 => {
                    self.take(8)?;
                }
                b'.' => return self.pop(),
                b'(' => self.stack.push(Slot::Mark),
                0x94 => {
                    let n = self.memo.len();
                    self.memo_put(n)?;
                }
                b'q' => {
                    let i = self.u8()? as usize;
                    self.memo_put(i)?;
                }
                b'r' => {
                    let i = self.len_u32()?;
                    self.memo_put(i)?;
                }
                b'h' => {
                    let i = self.u8()? as usize;
                    self.memo_get(i)?;
                }
                b'j' => {
                    let i = self.len_u32()?;
                    self.memo_get(i)?;
                }
                0x8c => {
                    let n = self.u8()? as usize;
                    let v = self.string(n)?;
                    self.push(v);
                }
                b'X' => {
                    let n = self.len_u32()?;
                    let v = self.string(n)?;
                    self.push(v);
                }
                0x8d => {
                    let n = self.len_u64()?;
                    let v = self.string(n)?;
                    self.push(v);
                }
                b'C' => {
                    let n = self.u8()? as usize;
                    self.take(n)?;
                    self.push(PickleValue::Bytes);
                }
                b'B' => {
                    let n = self.len_u32()?;
                    self.take(n)?;
                    self.push(PickleValue::Bytes);
                }
                b'K' => {
                    let v = self.u8()?;
                    self.push(PickleValue::Int(i64::from(v)));
                }
                b'M' => {
                    let v = u16::from_le_bytes(self.le()?);
                    self.push(PickleValue::Int(i64::from(v)));
                }
                b'J' => {
                    let v = i32::from_le_bytes(self.le()?);
                    self.push(PickleValue::Int(i64::from(v)));
                }
                0x8a | 0x8b => {
                    let n = if op == 0x8a {
                        self.u8()? as usize
                    } else {
                        self.len_u32()?
                    };
                    let raw = self.take(n)?.to_vec();
                    self.push(long_value(raw));
                }
                b'G' => {
                    let v = f64::from_be_bytes(self.le()?);
                    self.push(PickleValue::Float(v));
                }
                b'N' => self.push(PickleValue::None),
                0x88 => self.push(PickleValue::Bool(true)),
                0x89 => self.push(PickleValue::Bool(false)),
                b'}' => {
                    let d = self.arena.pairs();
                    self.push(PickleValue::Dict(d));
                }
                b']' => {
                    let l = self.arena.items(Vec::new());
                    self.push(PickleValue::List(l));
                }
                b')' => self.push(PickleValue::Tuple(Rc::from(Vec::new()))),
                0x8f => {
                    let s = self.arena.items(Vec::new());
                    self.push(PickleValue::Set(s));
                }
                b'd' => {
                    let items = self.pop_mark()?;
                    let d = self.arena.pairs();
                    self.push(PickleValue::Dict(d));
                    self.set_items(items)?;
                }
                b'l' => {
                    let items = self.pop_mark()?;
                    let l = self.arena.items(items);
                    self.push(PickleValue::List(l));
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
                b'a' => {
                    let v = self.pop()?;
                    self.extend(vec![v])?;
                }
                b'e' | 0x90 => {
                    let items = self.pop_mark()?;
                    self.extend(items)?;
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    if self.stack.len() < n {
                        return Err("stack underflow".into());
                    }
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop()?);
                    }
                    items.reverse();
                    self.push(PickleValue::Tuple(Rc::from(items)));
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.push(PickleValue::Tuple(Rc::from(items)));
                }
                0x91 => {
                    let items = self.pop_mark()?;
                    let s = self.arena.items(items);
                    self.push(PickleValue::Set(s));
                }
                0x93 => {
                    let name = self.pop()?;
                    let module = self.pop()?;
                    match (module, name) {
                        (PickleValue::Str(m), PickleValue::Str(n)) => {
                            self.push(PickleValue::Global(Rc::new((m.to_string(), n.to_string()))))
                        }
                        _ => return Err("STACK_GLOBAL needs two strings".into()),
                    }
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.push(PickleValue::Global(Rc::new((module, name))));
                }
                0x81 | b'R' => {
                    let _args = self.pop()?;
                    let callable = self.pop()?;
                    let obj = self.object(callable);
                    self.push(obj);
                }
                0x92 => {
                    let _kwargs = self.pop()?;
                    let _args = self.pop()?;
                    let callable = self.pop()?;
                    let obj = self.object(callable);
                    self.push(obj);
                }
                b'b' => {
                    let state = self.pop()?;
                    match self.top()? {
                        PickleValue::Object(o) => o.borrow_mut().state = Some(state),
                        _ => return Err("BUILD on something that is not an object".into()),
                    }
                }
                other => {
                    return Err(format!(
                        "unsupported pickle opcode 0x{other:02x} at offset {}",
                        self.pos - 1
                    ))
                }
            }
        }
    }
}

/// A `LONG1`/`LONG4` integer: an i64 when it fits.
fn long_value(raw: Vec<u8>) -> PickleValue {
    if raw.is_empty() {
        return PickleValue::Int(0);
    }
    if raw.len() <= 8 {
        let negative = raw[raw.len() - 1] & 0x80 != 0;
        let mut buf = if negative { [0xffu8; 8] } else { [0u8; 8] };
        buf[..raw.len()].copy_from_slice(&raw);
        return PickleValue::Int(i64::from_le_bytes(buf));
    }
    PickleValue::BigInt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncations_and_garbage_are_errors_not_panics() {
        // PROTO 4, EMPTY_DICT, MARK, 'a' -> 1, SETITEMS, STOP
        let good = [0x80, 4, b'}', b'(', 0x8c, 1, b'a', b'K', 1, b'u', b'.'];
        assert!(matches!(
            parse(&good).as_ref().map(Pickle::root),
            Ok(PickleValue::Dict(_))
        ));
        for cut in 0..good.len() {
            assert!(parse(&good[..cut]).is_err(), "cut {cut}");
        }
        for bad in [&[0x80u8, 9][..], &[b'h', 7, b'.'], b"u.", b"(.", b"P"] {
            assert!(parse(bad).is_err());
        }
    }

    #[test]
    fn longs_and_floats() {
        assert!(matches!(
            long_value(vec![0, 0, 0, 0, 0, 1]),
            PickleValue::Int(1_099_511_627_776)
        ));
        assert!(matches!(long_value(vec![0xff]), PickleValue::Int(-1)));
        assert!(matches!(long_value(vec![0; 9]), PickleValue::BigInt));
        let f = [0x80, 4, b'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, b'.'];
        assert!(matches!(
            parse(&f).as_ref().map(Pickle::root),
            Ok(PickleValue::Float(x)) if *x == 1.5
        ));
    }

    #[test]
    fn reduce_never_calls_anything() {
        // GLOBAL os.system, ('echo',), REDUCE, STOP -> an inert object.
        let mut p = vec![0x80, 2, b'c'];
        p.extend_from_slice(b"os\nsystem\n");
        p.extend_from_slice(&[0x8c, 4]);
        p.extend_from_slice(b"echo");
        p.extend_from_slice(&[0x85, b'R', b'.']);
        match parse(&p).as_ref().map(Pickle::root) {
            Ok(PickleValue::Object(o)) => {
                assert_eq!(o.borrow().class, Some(("os".into(), "system".into())))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn self_referencing_containers_are_freed() {
        // EMPTY_LIST, MEMOIZE, BINGET 0, APPEND, STOP: a list that contains itself.
        let pickle = parse(&[0x80, 4, b']', 0x94, b'h', 0, b'a', b'.']).unwrap();
        let PickleValue::List(list) = pickle.root() else {
            panic!("not a list");
        };
        let weak = Rc::downgrade(list);
        assert_eq!(list.borrow().len(), 1);
        drop(pickle);
        assert!(weak.upgrade().is_none(), "the list outlived its pickle");
    }
}
