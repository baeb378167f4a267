//! A parsed JSON body: simd-json's tape, flattened into index-linked items over a copy of the
//! body, in buffers each core reuses.
//!
//! Why a tape and not a tree: a tree (serde_json's `Value`) allocates per string, array and
//! object and hashes every key, which cost more than the rest of a mapped request together. The
//! tape is two flat vectors, filled without allocating once they have grown to the size of the
//! bodies a core sees: `text` (the body copied with simd-json's padding; strings are unescaped in
//! place there, so a string is a span of it) and `items` (one per value, containers recording
//! where they end so a reader skips a whole subtree in one step).
//!
//! Stores are pooled per thread (one thread per core), so a request takes one from its core's
//! pool when it first reads its body as JSON and gives it back when the exchange ends: no lock,
//! no cross-core traffic, no allocation in steady state. A pool keeps at most `POOL_MAX` stores,
//! and a store that grew past `KEEP_BYTES` for one large body is freed rather than kept.
//!
//! Readers walk it through `Node`, a copyable (store, index) handle: `$input.path` and
//! `$input.json`, JSONPath, body mappings and the request validator all read the one parse.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};

use simd_json::StaticNode;

/// Nesting deeper than this is not JSON to the gateway (serde_json's default limit, which the
/// gateway used before; every reader recurses at most this deep).
pub const MAX_DEPTH: usize = 128;
const POOL_MAX: usize = 32;
const KEEP_BYTES: usize = 1 << 20;
/// A string outside the body copy (never seen: simd-json unescapes in place) lives in `extra`;
/// its offset carries this bit.
const EXTRA: u32 = 1 << 31;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Item {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    /// Byte span in `text` (or `extra`, with `EXTRA` set), valid UTF-8.
    Str {
        at: u32,
        len: u32,
    },
    /// `len` elements follow; the item after the array is `end`.
    Arr {
        len: u32,
        end: u32,
    },
    /// `len` (key, value) pairs follow, keys as `Str` items.
    Obj {
        len: u32,
        end: u32,
    },
}

/// The reusable buffers of one parse.
pub struct Store {
    text: Vec<u8>,
    extra: Vec<u8>,
    items: Vec<Item>,
    simd: simd_json::Buffers,
    /// simd-json's own tape, kept empty between parses for its allocation.
    tape: Option<simd_json::Tape<'static>>,
}

impl Store {
    fn new() -> Store {
        Store {
            text: Vec::new(),
            extra: Vec::new(),
            items: Vec::new(),
            simd: simd_json::Buffers::with_max_depth(0, MAX_DEPTH),
            tape: Some(simd_json::Tape::null().reset()),
        }
    }

    fn parse(&mut self, body: &[u8]) -> Result<(), ()> {
        self.items.clear();
        self.extra.clear();
        if body.iter().all(u8::is_ascii_whitespace) {
            // An empty body reads as an empty object in API Gateway templates.
            self.items.push(Item::Obj { len: 0, end: 1 });
            return Ok(());
        }
        if body.len() >= EXTRA as usize {
            return Err(());
        }
        self.text.clear();
        self.text.extend_from_slice(body);
        self.text
            .resize(body.len() + simd_json::INPUT_PADDING, b' ');
        let mut tape = self
            .tape
            .take()
            .unwrap_or_else(|| simd_json::Tape::null().reset());
        let base = self.text.as_ptr() as usize;
        let r = simd_json::fill_tape_padded(&mut self.text, body.len(), &mut self.simd, &mut tape);
        let end = base + body.len();
        let mut ok = r.is_ok();
        if ok {
            self.items.reserve(tape.0.len());
            for n in &tape.0 {
                let ix = self.items.len() as u32;
                let item = match *n {
                    simd_json::Node::Static(s) => match s {
                        StaticNode::Null => Item::Null,
                        StaticNode::Bool(b) => Item::Bool(b),
                        StaticNode::I64(i) => Item::I64(i),
                        // Every integer that fits is an I64, whatever its sign.
                        StaticNode::U64(u) => i64::try_from(u).map_or(Item::U64(u), Item::I64),
                        StaticNode::F64(f) => Item::F64(f),
                    },
                    simd_json::Node::String(s) => {
                        let p = s.as_ptr() as usize;
                        if p >= base && p + s.len() <= end {
                            Item::Str {
                                at: (p - base) as u32,
                                len: s.len() as u32,
                            }
                        } else {
                            let at = self.extra.len() as u32;
                            self.extra.extend_from_slice(s.as_bytes());
                            Item::Str {
                                at: at | EXTRA,
                                len: s.len() as u32,
                            }
                        }
                    }
                    simd_json::Node::Array { len, count } => Item::Arr {
                        len: len as u32,
                        end: ix + count as u32 + 1,
                    },
                    simd_json::Node::Object { len, count } => Item::Obj {
                        len: len as u32,
                        end: ix + count as u32 + 1,
                    },
                };
                self.items.push(item);
            }
            // The tape holds exactly one value (simd-json refuses trailing content).
            ok = !self.items.is_empty() && next(&self.items, 0) as usize == self.items.len();
        }
        self.tape = Some(tape.reset());
        if ok {
            Ok(())
        } else {
            self.items.clear();
            Err(())
        }
    }

    fn bytes_at(&self, at: u32, len: u32) -> &[u8] {
        let (buf, at) = if at & EXTRA != 0 {
            (&self.extra, (at & !EXTRA) as usize)
        } else {
            (&self.text, at as usize)
        };
        &buf[at..at + len as usize]
    }

    fn str_at(&self, at: u32, len: u32) -> &str {
        let b = self.bytes_at(at, len);
        debug_assert!(std::str::from_utf8(b).is_ok());
        // SAFETY: every `Item::Str` span was recorded from a `&str` simd-json returned for this
        // parse (so valid UTF-8), at its exact offset and length in `text` or as an exact copy
        // in `extra`; neither buffer is written again until the next parse, which clears `items`
        // first. So `b` is exactly the bytes of that `&str`. Checking it again on every read
        // cost a tenth of a mapped request's instructions.
        unsafe { std::str::from_utf8_unchecked(b) }
    }
}

/// Index of the item after the value at `ix`.
fn next(items: &[Item], ix: u32) -> u32 {
    match items[ix as usize] {
        Item::Arr { end, .. } | Item::Obj { end, .. } => end,
        _ => ix + 1,
    }
}

thread_local! {
    // Boxed: a store must not move while a `Node` of it is alive (its address is the nodes'
    // identity), and a `Parsed` moves between phases as one pointer.
    #[allow(clippy::vec_box)]
    static POOL: RefCell<Vec<Box<Store>>> = const { RefCell::new(Vec::new()) };
}

/// One parsed document; its store goes back to this thread's pool when dropped.
pub struct Parsed(Option<Box<Store>>);

impl Parsed {
    /// Parses `body`. Blank is an empty object; anything but exactly one JSON value is an error.
    pub fn parse(body: &[u8]) -> Result<Parsed, NotJson> {
        let mut store = POOL
            .with(|p| p.borrow_mut().pop())
            .unwrap_or_else(|| Box::new(Store::new()));
        match store.parse(body) {
            Ok(()) => Ok(Parsed(Some(store))),
            Err(()) => {
                give_back(store);
                Err(NotJson)
            }
        }
    }

    pub fn root(&self) -> Node<'_> {
        Node {
            s: self
                .0
                .as_deref()
                .expect("a Parsed holds its store until dropped"),
            ix: 0,
        }
    }
}

impl Drop for Parsed {
    fn drop(&mut self) {
        if let Some(s) = self.0.take() {
            give_back(s);
        }
    }
}

impl std::fmt::Debug for Parsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut t = Vec::new();
        self.root().write_json(&mut t);
        f.debug_tuple("Parsed")
            .field(&String::from_utf8_lossy(&t))
            .finish()
    }
}

fn give_back(s: Box<Store>) {
    if s.text.capacity() > KEEP_BYTES || s.items.capacity() > KEEP_BYTES / 16 {
        return;
    }
    // `try_with`: a store dropped during thread teardown is simply freed.
    let _ = POOL.try_with(|p| {
        let mut p = p.borrow_mut();
        if p.len() < POOL_MAX {
            p.push(s);
        }
    });
}

/// The body is not JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotJson;

/// A body parsed on first use, at most once: every reader of one request's (or one integration
/// response's) JSON shares the one parse. Not JSON is `None`.
#[derive(Debug, Default)]
pub struct Doc {
    cell: OnceCell<Option<Parsed>>,
}

impl Doc {
    pub fn get(&self, body: &[u8]) -> Option<Node<'_>> {
        self.cell
            .get_or_init(|| Parsed::parse(body).ok())
            .as_ref()
            .map(Parsed::root)
    }
}

/// A value in a parsed document. Copy: a reference to the store and an index.
#[derive(Clone, Copy)]
pub struct Node<'d> {
    s: &'d Store,
    ix: u32,
}

/// What a node holds, for matching.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind<'d> {
    Null,
    Bool(bool),
    I64(i64),
    U64(u64),
    F64(f64),
    Str(&'d str),
    Array,
    Object,
}

impl<'d> Node<'d> {
    fn item(self) -> Item {
        self.s.items[self.ix as usize]
    }
    pub fn kind(self) -> Kind<'d> {
        match self.item() {
            Item::Null => Kind::Null,
            Item::Bool(b) => Kind::Bool(b),
            Item::I64(i) => Kind::I64(i),
            Item::U64(u) => Kind::U64(u),
            Item::F64(f) => Kind::F64(f),
            Item::Str { at, len } => Kind::Str(self.s.str_at(at, len)),
            Item::Arr { .. } => Kind::Array,
            Item::Obj { .. } => Kind::Object,
        }
    }
    pub fn is_array(self) -> bool {
        matches!(self.item(), Item::Arr { .. })
    }
    pub fn is_object(self) -> bool {
        matches!(self.item(), Item::Obj { .. })
    }
    pub fn as_str(self) -> Option<&'d str> {
        match self.kind() {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_f64(self) -> Option<f64> {
        match self.item() {
            Item::I64(i) => Some(i as f64),
            Item::U64(u) => Some(u as f64),
            Item::F64(f) => Some(f),
            _ => None,
        }
    }
    /// Elements of an array or pairs of an object; `None` for a scalar.
    pub fn size(self) -> Option<usize> {
        match self.item() {
            Item::Arr { len, .. } | Item::Obj { len, .. } => Some(len as usize),
            _ => None,
        }
    }
    /// An array's elements (empty for anything else).
    pub fn elements(self) -> Elements<'d> {
        match self.item() {
            Item::Arr { len, .. } => Elements {
                s: self.s,
                start: self.ix,
                ix: self.ix + 1,
                left: len,
                pairs: false,
            },
            _ => Elements::empty(self.s, self.ix),
        }
    }
    /// An object's (key, value) pairs in document order (empty for anything else).
    pub fn members(self) -> Members<'d> {
        match self.item() {
            Item::Obj { len, .. } => Members(Elements {
                s: self.s,
                start: self.ix,
                ix: self.ix + 1,
                left: len,
                pairs: true,
            }),
            _ => Members(Elements::empty(self.s, self.ix)),
        }
    }
    /// Children in document order: array elements or object values.
    pub fn children(self) -> Elements<'d> {
        match self.item() {
            Item::Obj { .. } => self.members().0.values(),
            _ => self.elements(),
        }
    }
    /// An object's member `k` (the last one when a key repeats, as Jackson's maps keep it).
    /// Compares key bytes in place, skipping each value's subtree in one step.
    pub fn field(self, k: &str) -> Option<Node<'d>> {
        let Item::Obj { len, .. } = self.item() else {
            return None;
        };
        let items = &self.s.items;
        let (k, mut ix, mut found) = (k.as_bytes(), self.ix + 1, None);
        for _ in 0..len {
            if let Item::Str { at, len } = items[ix as usize] {
                if len as usize == k.len() && self.s.bytes_at(at, len) == k {
                    found = Some(ix + 1);
                }
            }
            ix = next(items, ix + 1);
        }
        found.map(|ix| Node { s: self.s, ix })
    }
    /// The object this is, for lookups by name (`None` for anything else).
    pub fn object(self) -> Option<Node<'d>> {
        self.is_object().then_some(self)
    }
    /// An array's element `i`; negative counts from the end.
    pub fn index(self, i: i64) -> Option<Node<'d>> {
        let n = match self.item() {
            Item::Arr { len, .. } => len as i64,
            _ => return None,
        };
        let i = if i < 0 { i.checked_add(n)? } else { i };
        if !(0..n).contains(&i) {
            return None;
        }
        self.elements().nth(i as usize)
    }
    /// Identity within its document, for equality of handles and cycle checks.
    pub fn id(self) -> (usize, u32) {
        (self.s as *const Store as usize, self.ix)
    }

    /// Compact JSON text, keys in document order, strings and numbers as serde_json writes them.
    pub fn write_json(self, out: &mut Vec<u8>) {
        // Writing into a Vec cannot fail.
        match self.kind() {
            Kind::Null => out.extend_from_slice(b"null"),
            Kind::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
            Kind::I64(i) => {
                let _ = serde_json::to_writer(&mut *out, &i);
            }
            Kind::U64(u) => {
                let _ = serde_json::to_writer(&mut *out, &u);
            }
            // As serde_json writes a double (`249.99`, `1.2345678901234568e+29`), which is what
            // the gateway wrote before the tape; simd-json never yields a non-finite one.
            Kind::F64(f) => {
                if let Some(n) = serde_json::Number::from_f64(f) {
                    let _ = serde_json::to_writer(&mut *out, &n);
                }
            }
            Kind::Str(s) => {
                let _ = serde_json::to_writer(&mut *out, s);
            }
            Kind::Array => {
                out.push(b'[');
                for (i, e) in self.elements().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    e.write_json(out);
                }
                out.push(b']');
            }
            Kind::Object => {
                out.push(b'{');
                for (i, (k, v)) in self.members().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    let _ = serde_json::to_writer(&mut *out, k);
                    out.push(b':');
                    v.write_json(out);
                }
                out.push(b'}');
            }
        }
    }

    /// JSON equality: numbers by value, objects regardless of key order.
    pub fn json_eq(self, o: Node<'_>) -> bool {
        match (self.kind(), o.kind()) {
            (Kind::Array, Kind::Array) => {
                self.size() == o.size()
                    && self.elements().zip(o.elements()).all(|(a, b)| a.json_eq(b))
            }
            (Kind::Object, Kind::Object) => {
                self.size() == o.size()
                    && self
                        .members()
                        .all(|(k, v)| o.field(k).is_some_and(|w| v.json_eq(w)))
            }
            (Kind::Str(a), Kind::Str(b)) => a == b,
            (Kind::Bool(a), Kind::Bool(b)) => a == b,
            (Kind::Null, Kind::Null) => true,
            (Kind::I64(a), Kind::I64(b)) => a == b,
            (Kind::U64(a), Kind::U64(b)) => a == b,
            _ => match (self.as_f64(), o.as_f64()) {
                (Some(a), Some(b)) => a == b,
                _ => false,
            },
        }
    }

    /// The value as a serde_json tree: for cold paths (validation error reports, tests).
    pub fn to_serde(self) -> serde_json::Value {
        use serde_json::Value as V;
        match self.kind() {
            Kind::Null => V::Null,
            Kind::Bool(b) => V::Bool(b),
            Kind::I64(i) => V::from(i),
            Kind::U64(u) => V::from(u),
            Kind::F64(f) => serde_json::Number::from_f64(f).map_or(V::Null, V::Number),
            Kind::Str(s) => V::String(s.to_string()),
            Kind::Array => V::Array(self.elements().map(Node::to_serde).collect()),
            Kind::Object => V::Object(
                self.members()
                    .map(|(k, v)| (k.to_string(), v.to_serde()))
                    .collect(),
            ),
        }
    }

    /// The string's text, borrowed (`Cow` for callers that also take built strings).
    pub fn text(self) -> Option<Cow<'d, str>> {
        self.as_str().map(Cow::Borrowed)
    }
}

impl std::fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut t = Vec::new();
        self.write_json(&mut t);
        f.write_str(&String::from_utf8_lossy(&t))
    }
}

/// Handles are equal when they name the same node of the same document.
impl PartialEq for Node<'_> {
    fn eq(&self, o: &Self) -> bool {
        self.id() == o.id()
    }
}

/// Walks sibling values (or, with `pairs`, key/value pairs, yielding the values' positions).
#[derive(Clone, Copy)]
pub struct Elements<'d> {
    s: &'d Store,
    /// The container's own index.
    start: u32,
    ix: u32,
    left: u32,
    pairs: bool,
}

impl<'d> Elements<'d> {
    fn empty(s: &'d Store, start: u32) -> Self {
        Elements {
            s,
            start,
            ix: 0,
            left: 0,
            pairs: false,
        }
    }
    fn values(self) -> Self {
        Elements {
            pairs: true,
            ..self
        }
    }
    pub fn len(&self) -> usize {
        self.left as usize
    }
    pub fn is_empty(&self) -> bool {
        self.left == 0
    }
}

impl<'d> Iterator for Elements<'d> {
    type Item = Node<'d>;
    fn next(&mut self) -> Option<Node<'d>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        if self.pairs {
            self.ix += 1; // the key
        }
        let n = Node {
            s: self.s,
            ix: self.ix,
        };
        self.ix = next(&self.s.items, self.ix);
        Some(n)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for Elements<'_> {}

/// An object's (key, value) pairs.
#[derive(Clone, Copy)]
pub struct Members<'d>(Elements<'d>);

impl<'d> Members<'d> {
    /// The object these are the members of.
    pub fn object(&self) -> Node<'d> {
        Node {
            s: self.0.s,
            ix: self.0.start,
        }
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'d> Iterator for Members<'d> {
    type Item = (&'d str, Node<'d>);
    fn next(&mut self) -> Option<Self::Item> {
        let e = &mut self.0;
        if e.left == 0 {
            return None;
        }
        e.left -= 1;
        let key = match e.s.items[e.ix as usize] {
            Item::Str { at, len } => e.s.str_at(at, len),
            _ => "",
        };
        let v = Node {
            s: e.s,
            ix: e.ix + 1,
        };
        e.ix = next(&e.s.items, e.ix + 1);
        Some((key, v))
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.0.len(), Some(self.0.len()))
    }
}

impl ExactSizeIterator for Members<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(s: &str) -> String {
        let p = Parsed::parse(s.as_bytes()).unwrap();
        let mut o = Vec::new();
        p.root().write_json(&mut o);
        String::from_utf8(o).unwrap()
    }

    #[test]
    fn round_trips_compactly_in_document_order() {
        assert_eq!(
            json(r#" { "b" : [1, 2.5, -3, "x\ny", true, null], "a": {"z": {}, "y": []} } "#),
            r#"{"b":[1,2.5,-3,"x\ny",true,null],"a":{"z":{},"y":[]}}"#
        );
        assert_eq!(json("  "), "{}");
        assert_eq!(json("\"\\u00e9\\\"\""), "\"é\\\"\"");
        assert_eq!(json("18446744073709551615"), "18446744073709551615");
        // Beyond u64: a double, as serde_json and Jackson read it.
        assert_eq!(
            json("123456789012345678901234567890"),
            "1.2345678901234568e+29"
        );
    }

    #[test]
    fn refuses_what_is_not_one_json_value() {
        for bad in ["{", "[1,]", "{} {}", "nul", "\"\\x\"", "{\"a\" 1}", "1 2"] {
            assert!(Parsed::parse(bad.as_bytes()).is_err(), "{bad}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(Parsed::parse(deep.as_bytes()).is_err());
        let ok = "[".repeat(MAX_DEPTH - 1) + &"]".repeat(MAX_DEPTH - 1);
        assert!(Parsed::parse(ok.as_bytes()).is_ok());
    }

    #[test]
    fn navigates_fields_indexes_and_children() {
        let p = Parsed::parse(br#"{"a":{"b":[10,{"c":"d"},[1,2]]},"e":1,"e":2}"#).unwrap();
        let r = p.root();
        let b = r.field("a").and_then(|a| a.field("b")).unwrap();
        assert_eq!(b.size(), Some(3));
        assert_eq!(b.index(0).map(Node::kind), Some(Kind::I64(10)));
        assert_eq!(
            b.index(-2)
                .and_then(|n| n.field("c"))
                .and_then(Node::as_str),
            Some("d")
        );
        assert!(b.index(3).is_none() && b.index(-4).is_none());
        assert_eq!(b.index(2).map(|n| n.elements().count()), Some(2));
        assert_eq!(r.field("e").map(Node::kind), Some(Kind::I64(2)));
        assert_eq!(r.children().count(), 3);
        let keys: Vec<&str> = r.members().map(|(k, _)| k).collect();
        assert_eq!(keys, ["a", "e", "e"]);
    }

    #[test]
    fn equality_is_json_equality() {
        let a = Parsed::parse(br#"{"x":[1,2.0],"y":"s"}"#).unwrap();
        let b = Parsed::parse(br#"{"y":"s","x":[1.0,2]}"#).unwrap();
        let c = Parsed::parse(br#"{"y":"s","x":[1,3]}"#).unwrap();
        assert!(a.root().json_eq(b.root()));
        assert!(!a.root().json_eq(c.root()));
    }

    #[test]
    fn stores_are_reused_per_thread() {
        drop(Parsed::parse(b"[1,2,3]").unwrap());
        let before = POOL.with(|p| p.borrow().len());
        let p = Parsed::parse(b"{}").unwrap();
        assert_eq!(POOL.with(|p| p.borrow().len()), before - 1);
        drop(p);
        assert_eq!(POOL.with(|p| p.borrow().len()), before);
    }
}
