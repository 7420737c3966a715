//! A safe reader for the pickles LangChain's `save_local` writes (`index.pkl`): a small
//! pickle stack machine that only builds data. Globals stay inert names and `REDUCE`
//! calls nothing, so a hostile file can at worst be refused, never run code.
//!
//! Supports protocols 2 to 5 and the opcodes Python emits for builtin values and
//! `NEWOBJ`/`BUILD` objects (see `specs/langchain-pickle.md` §3); anything else is an
//! error. Sizes are checked against the input before anything is allocated.
//!
//! Containers live in one arena and values refer to them by index, so no hostile
//! shape can hurt: a memo index far past the input is a map entry, not a resized
//! vector; 200,000 nested lists are 200,000 arena slots, dropped flat (no recursion);
//! and a list that contains itself is no reference cycle, so nothing leaks.

use std::collections::HashMap;
use std::rc::Rc;

/// A decoded pickle value: a scalar, or a reference to a container of the [`Pickle`]
/// it came from. Cloning is cheap (strings are shared).
#[derive(Debug, Clone)]
pub(crate) enum PickleValue {
    None,
    Bool(bool),
    Int(i64),
    /// An integer in i64::MAX + 1 ..= u64::MAX.
    UInt(u64),
    /// An integer beyond i64 (its value is not needed by any caller).
    BigInt,
    Float(f64),
    Str(Rc<str>),
    /// A bytes object (its content is not needed by any caller).
    Bytes,
    /// A class or function named by the file (never imported or called).
    Global(Rc<(String, String)>),
    /// A container of the arena (see [`Pickle::get`]).
    Ref(usize),
}

/// A tuple, list, set, dict or inert object, holding values (never other containers
/// directly, only references to them).
#[derive(Debug)]
pub(crate) enum Container {
    Tuple(Vec<PickleValue>),
    List(Vec<PickleValue>),
    Set(Vec<PickleValue>),
    Dict(Vec<(PickleValue, PickleValue)>),
    /// An object built by `NEWOBJ` or `REDUCE`, with the state `BUILD` gave it.
    Object {
        /// `(module, name)` of its class or callable, when that was a global.
        class: Option<(String, String)>,
        state: Option<PickleValue>,
    },
}

/// A decoded pickle: the value `STOP` returned and the containers values refer to.
#[derive(Debug)]
pub(crate) struct Pickle {
    pub(crate) root: PickleValue,
    containers: Vec<Container>,
}

impl Pickle {
    /// The container `v` refers to (`None` for a scalar).
    pub(crate) fn get(&self, v: &PickleValue) -> Option<&Container> {
        match v {
            PickleValue::Ref(i) => self.containers.get(*i),
            _ => None,
        }
    }
}

/// Stack entries: values and MARKs.
enum Slot {
    Mark,
    Value(PickleValue),
}

/// Decodes one pickle. Errors are plain messages; the caller names the file.
pub(crate) fn parse(bytes: &[u8]) -> Result<Pickle, String> {
    Machine {
        input: bytes,
        pos: 0,
        stack: Vec::new(),
        memo: HashMap::new(),
        containers: Vec::new(),
    }
    .run()
}

struct Machine<'a> {
    input: &'a [u8],
    pos: usize,
    stack: Vec<Slot>,
    /// Memo slots by index: sparse, so a huge index costs one entry, and no more
    /// entries than `PUT`/`MEMOIZE` opcodes in the input.
    memo: HashMap<usize, PickleValue>,
    containers: Vec<Container>,
}

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
        let v = self.top()?.clone();
        self.memo.insert(index, v);
        Ok(())
    }

    fn memo_get(&mut self, index: usize) -> Result<(), String> {
        let v = self
            .memo
            .get(&index)
            .cloned()
            .ok_or_else(|| format!("memo slot {index} is empty"))?;
        self.push(v);
        Ok(())
    }

    /// Adds a container to the arena and pushes a reference to it.
    fn push_container(&mut self, c: Container) {
        self.containers.push(c);
        self.push(PickleValue::Ref(self.containers.len() - 1));
    }

    /// The container the top of the stack refers to.
    fn top_container(&mut self) -> Result<&mut Container, String> {
        match self.top()? {
            PickleValue::Ref(i) => {
                let i = *i;
                self.containers
                    .get_mut(i)
                    .ok_or_else(|| "dangling container reference".to_string())
            }
            _ => Err("a container operation on a value that is not a container".into()),
        }
    }

    fn set_items(&mut self, pairs: Vec<PickleValue>) -> Result<(), String> {
        if !pairs.len().is_multiple_of(2) {
            return Err("odd number of items for a dict".into());
        }
        let Container::Dict(d) = self.top_container()? else {
            return Err("SETITEM(S) on something that is not a dict".into());
        };
        let mut it = pairs.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            d.push((k, v));
        }
        Ok(())
    }

    fn extend(&mut self, items: Vec<PickleValue>) -> Result<(), String> {
        match self.top_container()? {
            Container::List(l) | Container::Set(l) => {
                l.extend(items);
                Ok(())
            }
            _ => Err("APPEND(S)/ADDITEMS on something that is not a list or set".into()),
        }
    }

    fn push_object(&mut self, callable: PickleValue) {
        let class = match callable {
            PickleValue::Global(g) => Some((g.0.clone(), g.1.clone())),
            _ => None,
        };
        self.push_container(Container::Object { class, state: None });
    }

    fn run(mut self) -> Result<Pickle, String> {
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
                b'.' => {
                    return Ok(Pickle {
                        root: self.pop()?,
                        containers: self.containers,
                    })
                }
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
                b'}' => self.push_container(Container::Dict(Vec::new())),
                b']' => self.push_container(Container::List(Vec::new())),
                b')' => self.push_container(Container::Tuple(Vec::new())),
                0x8f => self.push_container(Container::Set(Vec::new())),
                b'd' => {
                    let items = self.pop_mark()?;
                    self.push_container(Container::Dict(Vec::new()));
                    self.set_items(items)?;
                }
                b'l' => {
                    let items = self.pop_mark()?;
                    self.push_container(Container::List(items));
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
                    self.push_container(Container::Tuple(items));
                }
                b't' => {
                    let items = self.pop_mark()?;
                    self.push_container(Container::Tuple(items));
                }
                0x91 => {
                    let items = self.pop_mark()?;
                    self.push_container(Container::Set(items));
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
                    self.push_object(callable);
                }
                0x92 => {
                    let _kwargs = self.pop()?;
                    let _args = self.pop()?;
                    let callable = self.pop()?;
                    self.push_object(callable);
                }
                b'b' => {
                    let state = self.pop()?;
                    match self.top_container() {
                        Ok(Container::Object { state: slot, .. }) => *slot = Some(state),
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
    if raw.len() == 9 && raw[8] == 0 {
        let mut buf = [0u8; 8];
        buf.copy_from_slice(&raw[..8]);
        return PickleValue::UInt(u64::from_le_bytes(buf));
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
        let p = parse(&good).unwrap();
        assert!(matches!(p.get(&p.root), Some(Container::Dict(d)) if d.len() == 1));
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
        assert!(matches!(long_value(vec![0; 9]), PickleValue::UInt(0)));
        assert!(matches!(long_value(vec![0; 10]), PickleValue::BigInt));
        let f = [0x80, 4, b'G', 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, b'.'];
        assert!(matches!(parse(&f).unwrap().root, PickleValue::Float(x) if x == 1.5));
    }

    #[test]
    fn reduce_never_calls_anything() {
        // GLOBAL os.system, ('echo',), REDUCE, STOP -> an inert object.
        let mut p = vec![0x80, 2, b'c'];
        p.extend_from_slice(b"os\nsystem\n");
        p.extend_from_slice(&[0x8c, 4]);
        p.extend_from_slice(b"echo");
        p.extend_from_slice(&[0x85, b'R', b'.']);
        let p = parse(&p).unwrap();
        match p.get(&p.root) {
            Some(Container::Object { class, .. }) => {
                assert_eq!(class, &Some(("os".into(), "system".into())))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_huge_memo_index_costs_one_entry() {
        // EMPTY_LIST, LONG_BINPUT 0x03FFFFFF, STOP: ten bytes, once a 1.6 GB resize.
        let p = [b']', b'r', 0xff, 0xff, 0xff, 0x03, b'.'];
        let m = parse(&p).unwrap();
        assert!(matches!(m.get(&m.root), Some(Container::List(_))));
        let p = [
            b']', b'r', 0xff, 0xff, 0xff, 0xff, b'j', 0xff, 0xff, 0xff, 0xff, b'.',
        ];
        assert!(parse(&p).is_ok());
    }

    /// Parses and drops `p` on a thread with a 64 KiB stack (a recursive drop of deep
    /// nesting would overflow it) and returns how many containers it held.
    fn containers_on_a_small_stack(p: Vec<u8>) -> Result<usize, String> {
        std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || parse(&p).map(|m| m.containers.len()))
            .unwrap()
            .join()
            .expect("no stack overflow on a small stack")
    }

    #[test]
    fn deep_nesting_parses_and_drops_without_recursion() {
        // 300,000 lists, each appended into the one before it, then STOP: dropped
        // recursively, this overflows even a large stack.
        let depth = 300_000;
        let mut p = vec![0x80, 4];
        p.extend(std::iter::repeat_n(b']', depth));
        p.extend(std::iter::repeat_n(b'a', depth - 1));
        p.push(b'.');
        assert_eq!(containers_on_a_small_stack(p), Ok(depth));
    }

    #[test]
    fn deeply_nested_tuples_drop_without_recursion_too() {
        // EMPTY_TUPLE, then 200,000 x TUPLE1: each tuple holds the one before (the
        // fuzz branch's reproducer, too long for libFuzzer's inputs).
        let mut p = vec![0x80, 4, b')'];
        p.extend(std::iter::repeat_n(0x85, 200_000));
        p.push(b'.');
        assert_eq!(containers_on_a_small_stack(p), Ok(200_001));
    }

    #[test]
    fn a_list_that_contains_itself_is_data_not_a_cycle() {
        // EMPTY_LIST, MEMOIZE, BINGET 0, APPEND, STOP.
        let p = [0x80, 4, b']', 0x94, b'h', 0, b'a', b'.'];
        let m = parse(&p).unwrap();
        match m.get(&m.root) {
            Some(Container::List(items)) => {
                assert!(matches!(items[..], [PickleValue::Ref(0)]))
            }
            other => panic!("{other:?}"),
        }
    }
}
