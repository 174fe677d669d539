//! A fast reader for the block-style YAML that values files and rendered manifests are made of:
//! block mappings and sequences, plain, quoted and block scalars, comments, one-line flow
//! collections.
//!
//! It goes from bytes straight to [`Value`]s, with no events, node tree or per-character
//! decoding, and borrows scalar text from the source where it can. It is exact by
//! construction, not by approximation: every scanning rule below is libyaml-safer's
//! (`scan_plain_scalar`, `scan_flow_scalar`, `scan_block_scalar`, its indentation and
//! simple-key rules), restricted to a subset of YAML. Whenever the input steps outside that
//! subset, or anything would be an error (for libyaml or for go-yaml's decoding), the reader
//! gives up with `None` and the caller parses the text again with the full reader
//! ([`super::read`]), which then produces the exact value or error message. Giving up is
//! always safe; the differential tests in `tests.rs` check that every value it does produce is
//! the full reader's.
//!
//! Outside the subset (so read by the full reader): tabs, carriage returns and other control
//! or Unicode line-break characters anywhere; document markers other than one leading `---`;
//! anchors on block collections or keys, aliases as keys or in flow collections, more than
//! [`MAX_ALIASES`] nodes decoded through aliases; tags, directives, explicit `?` keys; flow
//! collections over several lines or with comments, pairs or empty entries; multi-line keys;
//! duplicate keys, `<<` merge keys, null keys; `.nan`/`.inf` values; nesting deeper than
//! [`MAX_NEST`].

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::read::{format_float32_g, scalar_number};
use super::resolve::{resolve_plain, Resolved};
use crate::engine::value::{MapRef, MapType, SliceType, Value};

/// Nesting beyond this is left to the full reader, whose composer is not recursive.
const MAX_NEST: usize = 128;

/// go-yaml checks a document for excessive aliasing once it has decoded more nodes than this
/// through aliases; such documents are left to the full reader.
const MAX_ALIASES: usize = 100;

/// libyaml forgets a simple key once the `:` is more than 1024 characters past its start;
/// keys longer than this (in bytes, never fewer than characters) are left to the full reader.
const MAX_KEY: usize = 1000;

/// Which parts of a document to build. Skipped parts are still read in full, so that a
/// document is accepted exactly when the full reader accepts it, but cost no allocations.
#[derive(Clone, Copy)]
pub(super) enum Keep {
    /// Everything.
    All,
    /// Nothing: the result is a placeholder.
    Skip,
    /// In a mapping, only these keys, each with what to keep of its value.
    Only(&'static [(&'static str, Keep)]),
}

impl Keep {
    fn child(self, key: &str) -> Keep {
        match self {
            Keep::All => Keep::All,
            Keep::Skip => Keep::Skip,
            Keep::Only(keys) => keys
                .iter()
                .find(|(k, _)| *k == key)
                .map_or(Keep::Skip, |(_, keep)| *keep),
        }
    }

    fn items(self) -> Keep {
        match self {
            Keep::All => Keep::All,
            _ => Keep::Skip,
        }
    }

    fn builds(self) -> bool {
        !matches!(self, Keep::Skip)
    }
}

/// Parses the first (and only) document of `src` into helm's value types, as
/// [`super::parse`] (or, with `use_number`, [`super::parse_use_number`]) would; `None` when
/// the text is outside the subset this reader handles.
pub(super) fn parse(src: &str, use_number: bool, keep: Keep) -> Option<Value> {
    parse_or_stop(src, use_number, keep).ok()
}

/// [`parse`], or the byte offset where the reader gave up (for tests and tuning).
pub(super) fn parse_or_stop(src: &str, use_number: bool, keep: Keep) -> Result<Value, usize> {
    let marker = prescan(src.as_bytes())?;
    // The full reader appends a line break to input that lacks one (see `read::with_composer`);
    // reading the same text keeps every rule, including the end of block scalars, identical.
    let text: Cow<'_, str> = if !src.is_empty() && !src.ends_with('\n') {
        Cow::Owned(format!("{src}\n"))
    } else {
        Cow::Borrowed(src)
    };
    let mut r = Reader {
        text: &text,
        s: text.as_bytes(),
        pos: 0,
        line_start: 0,
        padded: matches!(text, Cow::Owned(_)),
        use_number,
        depth: 0,
        anchors: HashMap::new(),
        aliases: 0,
    };
    let v = r.document(marker, keep);
    v.ok_or(r.pos)
}

/// Checks every byte for what the subset excludes, and finds the document markers (`---` or
/// `...` at the start of a line, followed by a blank or the end). The position of the only
/// marker, if there is one, or where to give up.
fn prescan(s: &[u8]) -> Result<Option<usize>, usize> {
    let mut marker = None;
    let mut i = 0;
    let is_marker = |i: usize| {
        let three = &s[i..s.len().min(i + 3)];
        (three == b"---" || three == b"...") && matches!(s.get(i + 3), None | Some(b' ' | b'\n'))
    };
    if is_marker(0) {
        marker = Some(0);
    }
    while i < s.len() {
        // Eight bytes at a time while they are all printable ASCII (the bulk of any file):
        // a byte below 0x20 borrows into its high bit in `w - 0x20…`, one from 0x7f up has it
        // set in `w + 0x01…` or in `w`.
        while let Some(chunk) = s.get(i..i + 8) {
            let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            const HIGH: u64 = 0x8080_8080_8080_8080;
            let low = w.wrapping_sub(0x2020_2020_2020_2020) & !w & HIGH;
            let high = (w.wrapping_add(0x0101_0101_0101_0101) | w) & HIGH;
            if low | high != 0 {
                break;
            }
            i += 8;
        }
        let Some(&b) = s.get(i) else {
            break;
        };
        if (0x20..0x7f).contains(&b) {
            i += 1;
            continue;
        }
        match b {
            b'\n' => {
                if i + 1 < s.len() && matches!(s[i + 1], b'-' | b'.') && is_marker(i + 1) {
                    if marker.is_some() {
                        return Err(i + 1);
                    }
                    marker = Some(i + 1);
                }
            }
            // U+0080..U+009F: C1 controls, NEL among them.
            0xc2 if matches!(s.get(i + 1), Some(0x80..=0x9f)) => return Err(i),
            // U+2028, U+2029: line breaks to libyaml.
            0xe2 if s.get(i + 1) == Some(&0x80) && matches!(s.get(i + 2), Some(0xa8 | 0xa9)) => {
                return Err(i)
            }
            // U+7EFF: libyaml-safer's byte order mark, skipped at the start of a line.
            0xe7 if s.get(i + 1) == Some(&0xbb) && s.get(i + 2) == Some(&0xbf) => return Err(i),
            // U+FEFF (a byte order mark), U+FFFE, U+FFFF.
            0xef if (s.get(i + 1) == Some(&0xbb) && s.get(i + 2) == Some(&0xbf))
                || (s.get(i + 1) == Some(&0xbf) && matches!(s.get(i + 2), Some(0xbe | 0xbf))) =>
            {
                return Err(i)
            }
            0x80.. => {}
            // Tabs, carriage returns, other C0 controls and DEL.
            _ => return Err(i),
        }
        i += 1;
    }
    Ok(marker)
}

/// A key as written: its text and whether it was plain (and so is resolved).
struct Key<'a> {
    text: Cow<'a, str>,
    plain: bool,
}

struct Reader<'a> {
    text: &'a str,
    s: &'a [u8],
    pos: usize,
    line_start: usize,
    padded: bool,
    use_number: bool,
    depth: usize,
    /// Anchored values by name, the latest definition winning, with what decoding one costs
    /// (see [`decodes`]).
    anchors: HashMap<&'a str, (Value, usize)>,
    /// The nodes go-yaml decodes through aliases so far.
    aliases: usize,
}

fn blankz(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | 0)
}

impl<'a> Reader<'a> {
    /// The document: an optional leading `---` (the only marker [`prescan`] found, if any),
    /// then one node, then nothing but comments.
    fn document(&mut self, marker: Option<usize>, keep: Keep) -> Option<Value> {
        self.skip_to_content();
        if let Some(at) = marker {
            if self.pos != at || self.s[at] != b'-' {
                return None;
            }
            self.pos += 3;
            self.rest_of_line()?;
        }
        if self.eof() {
            return Some(Value::Nil);
        }
        let v = self.node(-1, false, keep)?;
        self.eof().then_some(v)
    }

    /// The byte at the cursor; 0 at the end (NUL itself never gets past [`prescan`]).
    fn cur(&self) -> u8 {
        self.s.get(self.pos).copied().unwrap_or(0)
    }

    fn at(&self, n: usize) -> u8 {
        self.s.get(self.pos + n).copied().unwrap_or(0)
    }

    fn eof(&self) -> bool {
        self.pos >= self.s.len()
    }

    /// The cursor's column. Only compared where everything before it on the line is ASCII
    /// (indentation, `- ` entries), so bytes count as libyaml's characters.
    fn col(&self) -> usize {
        self.pos - self.line_start
    }

    fn newline(&mut self) {
        self.pos += 1;
        self.line_start = self.pos;
    }

    fn skip_spaces(&mut self) {
        while self.cur() == b' ' {
            self.pos += 1;
        }
    }

    /// libyaml's `scan_to_next_token`: spaces, comments and line breaks, up to the next
    /// token or the end.
    fn skip_to_content(&mut self) {
        loop {
            self.skip_spaces();
            if self.cur() == b'#' {
                while !matches!(self.cur(), b'\n' | 0) {
                    self.pos += 1;
                }
            }
            if self.cur() != b'\n' {
                return;
            }
            self.newline();
        }
    }

    /// After an entry of a block collection at column `c`: `Some(true)` when the next content
    /// sits at `c` (another entry, or what ends the collection's kind), `Some(false)` when the
    /// collection ends (end of input, or less indentation), and `None` (give up) for deeper
    /// indentation, which only an error or a construct outside the subset can be.
    fn next_entry(&self, c: usize) -> Option<bool> {
        if self.eof() {
            return Some(false);
        }
        let nc = self.col();
        if nc < c {
            return Some(false);
        }
        if nc > c {
            return None;
        }
        Some(true)
    }

    /// Whether the scalar just read (it began at `start`, on the line starting at `line`) is a
    /// block mapping key: `:` and a blank follow it. `None` gives up on a key the subset does
    /// not read: inside an anchored or flow node (`inline`), spanning lines, or longer than
    /// libyaml's simple-key limit.
    fn is_key(&self, start: usize, line: usize, inline: bool) -> Option<bool> {
        if !(self.cur() == b':' && blankz(self.at(1))) {
            return Some(false);
        }
        if inline || line != self.line_start || self.pos - start > MAX_KEY {
            return None;
        }
        Some(true)
    }

    /// After a token that must end its line: spaces, an optional comment (after a space),
    /// the line break, then on to the next token.
    fn rest_of_line(&mut self) -> Option<()> {
        let spaced = self.cur() == b' ';
        self.skip_spaces();
        if self.cur() == b'#' && !spaced {
            return None;
        }
        if !matches!(self.cur(), b'#' | b'\n' | 0) {
            return None;
        }
        self.skip_to_content();
        Some(())
    }

    /// A node whose first character is at the cursor, in a block collection whose libyaml
    /// indentation is `indent` (-1 at the top). `inline` when it follows a key's `: ` on the
    /// same line, where a collection cannot start.
    fn node(&mut self, indent: isize, inline: bool, keep: Keep) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_NEST {
            return None;
        }
        let c = self.col();
        let v = match self.cur() {
            b'-' if blankz(self.at(1)) => {
                if inline {
                    return None;
                }
                self.block_seq(c, false, keep)?
            }
            b'[' | b'{' => {
                let line = self.line_start;
                let v = self.flow(keep)?;
                // A flow collection that spans lines, or is a key, is left to the full reader.
                if line != self.line_start {
                    return None;
                }
                self.rest_of_line()?;
                v
            }
            b'|' | b'>' => {
                let v = self.block_scalar(indent)?;
                self.skip_to_content();
                string_value(v, keep)
            }
            b'\'' | b'"' => {
                let start = self.pos;
                let line = self.line_start;
                let v = self.quoted()?;
                let after = self.pos;
                self.skip_spaces();
                if self.is_key(start, line, inline)? {
                    let key = Key {
                        text: v,
                        plain: false,
                    };
                    self.block_mapping(c, key, keep)?
                } else {
                    self.pos = after;
                    self.rest_of_line()?;
                    string_value(v, keep)
                }
            }
            b'&' => {
                let name = self.anchor_name()?;
                if self.cur() != b' ' {
                    return None;
                }
                self.skip_spaces();
                if matches!(self.cur(), b'#' | b'\n' | 0 | b'&' | b'*' | b'!') {
                    return None;
                }
                // Only scalars and flow collections are anchored here: `inline` refuses a key
                // (the anchor would be the key's) and block collections.
                let v = self.node(indent, true, Keep::All)?;
                self.anchors.insert(name, (v.clone(), decodes(&v)));
                if keep.builds() {
                    v
                } else {
                    Value::Nil
                }
            }
            b'*' => {
                let name = self.anchor_name()?;
                // go-yaml decodes an alias afresh each time: collections must not be shared.
                let (v, weight) = self.anchors.get(name)?;
                let v = v.deep_copy();
                self.aliases += weight;
                if self.aliases > MAX_ALIASES {
                    return None;
                }
                // `rest_of_line` also refuses an alias used as a key.
                self.rest_of_line()?;
                if keep.builds() {
                    v
                } else {
                    Value::Nil
                }
            }
            b'?' | b':' if blankz(self.at(1)) => return None,
            b',' | b']' | b'}' | b'#' | b'!' | b'%' | b'@' | b'`' => return None,
            _ => {
                let start = self.pos;
                let line = self.line_start;
                let v = self.plain(indent)?;
                if self.is_key(start, line, inline)? {
                    let key = Key {
                        text: v,
                        plain: true,
                    };
                    self.block_mapping(c, key, keep)?
                } else {
                    self.skip_to_content();
                    self.plain_value(v, keep)?
                }
            }
        };
        self.depth -= 1;
        Some(v)
    }

    /// The name of an anchor or alias, the cursor on its `&` or `*`; leaves the cursor past
    /// it. libyaml's `scan_anchor`: letters, digits, `-` and `_`, then a blank, the end or one
    /// of ``?:,]}%@` `` (the latter are left to the full reader).
    fn anchor_name(&mut self) -> Option<&'a str> {
        self.pos += 1;
        let start = self.pos;
        while matches!(self.cur(), b'0'..=b'9' | b'a'..=b'z' | b'A'..=b'Z' | b'-' | b'_') {
            self.pos += 1;
        }
        if self.pos == start || !blankz(self.cur()) {
            return None;
        }
        Some(&self.text[start..self.pos])
    }

    /// A flow sequence or mapping, the cursor on its `[` or `{`; leaves it past the closing
    /// bracket. Only the simple forms: one line, entries that are scalars or flow
    /// collections, `key: value` pairs in mappings (no single-pair mappings in sequences, no
    /// empty keys or values), an optional trailing comma, no comments.
    fn flow(&mut self, keep: Keep) -> Option<Value> {
        self.depth += 1;
        if self.depth > MAX_NEST {
            return None;
        }
        let seq = self.cur() == b'[';
        let close = if seq { b']' } else { b'}' };
        self.pos += 1;
        let mut items = Vec::new();
        let mut map = BTreeMap::new();
        self.skip_spaces();
        if self.cur() != close {
            loop {
                if seq {
                    let v = self.flow_node(keep.items())?;
                    if keep.builds() {
                        items.push(v);
                    }
                } else {
                    let start = self.pos;
                    let key = match self.cur() {
                        b'\'' | b'"' => Key {
                            text: self.quoted()?,
                            plain: false,
                        },
                        _ if self.flow_plain_starts() => Key {
                            text: Cow::Borrowed(self.flow_plain()?),
                            plain: true,
                        },
                        _ => return None,
                    };
                    self.skip_spaces();
                    if self.cur() != b':' || self.at(1) != b' ' || self.pos - start > MAX_KEY {
                        return None;
                    }
                    self.pos += 1;
                    self.skip_spaces();
                    if matches!(self.cur(), b',' | b'}') {
                        return None;
                    }
                    if keep.builds() {
                        let name = key_string(key)?;
                        let child = keep.child(&name);
                        let v = self.flow_node(child)?;
                        if child.builds() {
                            if map.contains_key(&name) {
                                return None;
                            }
                            map.insert(name, v);
                        }
                    } else {
                        check_key(&key)?;
                        self.flow_node(Keep::Skip)?;
                    }
                }
                self.skip_spaces();
                match self.cur() {
                    b',' => {
                        self.pos += 1;
                        self.skip_spaces();
                        if self.cur() == close {
                            break;
                        }
                    }
                    c if c == close => break,
                    _ => return None,
                }
            }
        }
        self.pos += 1; // the closing bracket
        self.depth -= 1;
        Some(if !keep.builds() {
            Value::Nil
        } else if seq {
            Value::List(SliceType::Interface, Arc::new(items))
        } else {
            Value::Map(MapType::Interface, MapRef::new(map))
        })
    }

    /// An entry of a flow collection: a scalar on this line or a nested collection.
    fn flow_node(&mut self, keep: Keep) -> Option<Value> {
        match self.cur() {
            b'[' | b'{' => self.flow(keep),
            b'\'' | b'"' => {
                let line = self.line_start;
                let v = self.quoted()?;
                // After a quoted scalar, a `:` would make a pair even without a space.
                if line != self.line_start || self.cur() == b':' {
                    return None;
                }
                Some(string_value(v, keep))
            }
            _ if self.flow_plain_starts() => {
                let text = self.flow_plain()?;
                self.plain_value(Cow::Borrowed(text), keep)
            }
            _ => None,
        }
    }

    /// Whether a plain scalar starts at the cursor in flow context (in libyaml's
    /// `fetch_next_token`, `?` and `:` start keys and values there, whatever follows).
    fn flow_plain_starts(&self) -> bool {
        match self.cur() {
            b'-' => !blankz(self.at(1)),
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%'
            | b'@' | b'`' | b'?' | b':' | b'\'' | b'"' | b' ' | b'\n' | 0 => false,
            _ => true,
        }
    }

    /// libyaml's `scan_plain_scalar` in flow context, limited to one line: it ends at a flow
    /// indicator, a `: `, a comment or the line's end, with trailing spaces left out.
    fn flow_plain(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let mut end = self.pos;
        loop {
            match self.cur() {
                b' ' => {
                    self.skip_spaces();
                    if matches!(
                        self.cur(),
                        b'#' | b'\n' | 0 | b',' | b'[' | b']' | b'{' | b'}'
                    ) {
                        break;
                    }
                }
                b'\n' | 0 | b',' | b'[' | b']' | b'{' | b'}' => break,
                b':' => {
                    let next = self.at(1);
                    if matches!(next, b',' | b'?' | b'[' | b']' | b'{' | b'}') {
                        return None;
                    }
                    if blankz(next) {
                        break;
                    }
                    self.pos += 1;
                    end = self.pos;
                }
                _ => {
                    self.pos += 1;
                    end = self.pos;
                }
            }
        }
        if end == start {
            return None;
        }
        Some(&self.text[start..end])
    }

    /// A block mapping at column `c`; the cursor is on the `:` after its first key.
    fn block_mapping(&mut self, c: usize, first: Key<'a>, keep: Keep) -> Option<Value> {
        let mut map = BTreeMap::new();
        let mut key = first;
        loop {
            self.pos += 1; // the `:`
            let child = match keep {
                Keep::Skip => {
                    check_key(&key)?;
                    Keep::Skip
                }
                _ => {
                    let name = key_string(key)?;
                    let child = keep.child(&name);
                    let v = self.map_value(c, child)?;
                    if child.builds() || matches!(keep, Keep::All) {
                        if map.contains_key(&name) {
                            return None;
                        }
                        map.insert(name, v);
                    }
                    Keep::All
                }
            };
            if matches!(child, Keep::Skip) {
                self.map_value(c, Keep::Skip)?;
            }
            if !self.next_entry(c)? {
                break;
            }
            key = self.key()?;
        }
        Some(if keep.builds() {
            Value::Map(MapType::Interface, MapRef::new(map))
        } else {
            Value::Nil
        })
    }

    /// A mapping key at the cursor (the mapping's column), up to its `:`, which it leaves the
    /// cursor on.
    fn key(&mut self) -> Option<Key<'a>> {
        let start = self.pos;
        let key = match self.cur() {
            b'\'' | b'"' => {
                let text = self.quoted()?;
                if self.line_start > start {
                    return None;
                }
                self.skip_spaces();
                Key { text, plain: false }
            }
            b'-' | b'?' | b':' if blankz(self.at(1)) => return None,
            b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%'
            | b'@' | b'`' => return None,
            _ => {
                // A plain key ends at `: ` on its own line; anything else is not a key.
                let mut end = self.pos;
                loop {
                    match self.cur() {
                        b':' if blankz(self.at(1)) => break,
                        b'\n' | 0 => return None,
                        b' ' => {
                            self.skip_spaces();
                            if self.cur() == b'#' {
                                return None;
                            }
                        }
                        _ => {
                            self.pos += 1;
                            end = self.pos;
                        }
                    }
                }
                Key {
                    text: Cow::Borrowed(&self.text[start..end]),
                    plain: true,
                }
            }
        };
        if self.cur() != b':' || !blankz(self.at(1)) || self.pos - start > MAX_KEY {
            return None;
        }
        Some(key)
    }

    /// A mapping value, the cursor just past its key's `:`.
    fn map_value(&mut self, c: usize, keep: Keep) -> Option<Value> {
        self.skip_spaces();
        if !matches!(self.cur(), b'#' | b'\n' | 0) {
            return self.node(c as isize, true, keep);
        }
        self.skip_to_content();
        if self.eof() {
            return Some(Value::Nil);
        }
        let nc = self.col();
        if nc > c {
            return self.node(c as isize, false, keep);
        }
        if nc == c && self.cur() == b'-' && blankz(self.at(1)) {
            self.depth += 1;
            if self.depth > MAX_NEST {
                return None;
            }
            let v = self.block_seq(c, true, keep)?;
            self.depth -= 1;
            return Some(v);
        }
        Some(Value::Nil)
    }

    /// A block sequence whose `-` entries are at column `c`; `indentless` for one at its
    /// mapping's own column, which ends at the mapping's next key.
    fn block_seq(&mut self, c: usize, indentless: bool, keep: Keep) -> Option<Value> {
        let mut items = Vec::new();
        let item_keep = keep.items();
        loop {
            self.pos += 1; // the `-`
            let v = self.seq_item(c, item_keep)?;
            if keep.builds() {
                items.push(v);
            }
            if !self.next_entry(c)? {
                break;
            }
            if self.cur() == b'-' && blankz(self.at(1)) {
                continue;
            }
            if indentless {
                break;
            }
            return None;
        }
        Some(if keep.builds() {
            Value::List(SliceType::Interface, Arc::new(items))
        } else {
            Value::Nil
        })
    }

    fn seq_item(&mut self, c: usize, keep: Keep) -> Option<Value> {
        self.skip_spaces();
        if !matches!(self.cur(), b'#' | b'\n' | 0) {
            return self.node(c as isize, false, keep);
        }
        self.skip_to_content();
        if !self.eof() && self.col() > c {
            return self.node(c as isize, false, keep);
        }
        Some(Value::Nil)
    }

    /// Where a plain scalar's run of characters stops in block context: a blank, a line
    /// break, the end, or a `:` followed by one of those.
    fn plain_ends(&self) -> bool {
        let b = self.cur();
        blankz(b) || (b == b':' && blankz(self.at(1)))
    }

    /// libyaml's `scan_plain_scalar` in block context. Leaves the cursor where libyaml's
    /// scanner stops: on a `: `, a comment, or past the line breaks and indentation that
    /// ended the scalar.
    fn plain(&mut self, indent: isize) -> Option<Cow<'a, str>> {
        let min_col = indent + 1;
        let start = self.pos;
        let mut end = self.pos;
        let mut owned: Option<String> = None;
        let mut leading_blanks = false;
        let mut trailing_breaks = 0usize;
        let mut ws = (0usize, 0usize);
        loop {
            if self.cur() == b'#' {
                break;
            }
            let mut first = true;
            loop {
                if self.plain_ends() {
                    break;
                }
                if first {
                    first = false;
                    if leading_blanks {
                        let s = owned.get_or_insert_with(|| self.text[start..end].to_string());
                        if trailing_breaks == 0 {
                            s.push(' ');
                        } else {
                            push_breaks(s, trailing_breaks);
                            trailing_breaks = 0;
                        }
                        leading_blanks = false;
                    } else if let Some(s) = owned.as_mut() {
                        s.push_str(&self.text[ws.0..ws.1]);
                    }
                }
                let seg = self.pos;
                while !self.plain_ends() {
                    self.pos += 1;
                }
                if let Some(s) = owned.as_mut() {
                    s.push_str(&self.text[seg..self.pos]);
                }
                end = self.pos;
            }
            if !matches!(self.cur(), b' ' | b'\n') {
                break;
            }
            let ws_start = self.pos;
            self.skip_blanks(&mut leading_blanks, &mut trailing_breaks);
            ws = if leading_blanks {
                (0, 0)
            } else {
                (ws_start, self.pos)
            };
            if (self.col() as isize) < min_col {
                break;
            }
        }
        Some(match owned {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(&self.text[start..end]),
        })
    }

    /// Skips the spaces and line breaks inside a plain or quoted scalar, as libyaml's scanners
    /// count them: the first break (unless `leading_blanks` is already set) starts the blanks,
    /// each later one adds to `trailing_breaks`. Returns whether it was this call that started
    /// them with a break.
    fn skip_blanks(&mut self, leading_blanks: &mut bool, trailing_breaks: &mut usize) -> bool {
        let mut started = false;
        while matches!(self.cur(), b' ' | b'\n') {
            if self.cur() == b' ' {
                self.pos += 1;
            } else {
                if *leading_blanks {
                    *trailing_breaks += 1;
                } else {
                    *leading_blanks = true;
                    started = true;
                }
                self.newline();
            }
        }
        started
    }

    /// libyaml's `scan_flow_scalar`: a single- or double-quoted scalar, the cursor on its
    /// opening quote; leaves it past the closing one.
    fn quoted(&mut self) -> Option<Cow<'a, str>> {
        let single = self.cur() == b'\'';
        let quote = self.cur();
        self.pos += 1;
        let start = self.pos;
        let mut owned: Option<String> = None;
        loop {
            if self.eof() {
                return None;
            }
            let mut leading_blanks = false;
            while !blankz(self.cur()) {
                let b = self.cur();
                if single && b == b'\'' && self.at(1) == b'\'' {
                    let s = owned.get_or_insert_with(|| self.text[start..self.pos].to_string());
                    s.push('\'');
                    self.pos += 2;
                } else if b == quote {
                    break;
                } else if !single && b == b'\\' && self.at(1) == b'\n' {
                    owned.get_or_insert_with(|| self.text[start..self.pos].to_string());
                    self.pos += 1;
                    self.newline();
                    leading_blanks = true;
                    break;
                } else if !single && b == b'\\' {
                    let s = owned.get_or_insert_with(|| self.text[start..self.pos].to_string());
                    let (ch, len) = escape(&self.s[self.pos + 1..])?;
                    s.push(ch);
                    self.pos += 1 + len;
                } else {
                    let seg = self.pos;
                    while !matches!(self.cur(), b' ' | b'\n' | 0)
                        && self.cur() != quote
                        && (single || self.cur() != b'\\')
                    {
                        self.pos += 1;
                    }
                    if let Some(s) = owned.as_mut() {
                        s.push_str(&self.text[seg..self.pos]);
                    }
                }
            }
            if self.cur() == quote {
                break;
            }
            let ws_start = self.pos;
            let mut trailing_breaks = 0usize;
            // Whether a plain line break (not an escaped one) started the blanks.
            let leading_break = self.skip_blanks(&mut leading_blanks, &mut trailing_breaks);
            if leading_blanks {
                let s = owned.get_or_insert_with(|| self.text[start..ws_start].to_string());
                if leading_break && trailing_breaks == 0 {
                    s.push(' ');
                } else {
                    push_breaks(s, trailing_breaks);
                }
            } else if let Some(s) = owned.as_mut() {
                s.push_str(&self.text[ws_start..self.pos]);
            }
        }
        let end = self.pos;
        self.pos += 1; // the closing quote
        Some(match owned {
            Some(s) => Cow::Owned(s),
            None => Cow::Borrowed(&self.text[start..end]),
        })
    }

    /// libyaml's `scan_block_scalar`, the cursor on `|` or `>`; `indent` is the enclosing
    /// collection's. Leaves the cursor where libyaml's scanner stops.
    fn block_scalar(&mut self, indent: isize) -> Option<Cow<'a, str>> {
        let literal = self.cur() == b'|';
        self.pos += 1;
        let mut chomping = 0i8;
        let mut increment = 0isize;
        match self.cur() {
            b'+' | b'-' => {
                chomping = if self.cur() == b'+' { 1 } else { -1 };
                self.pos += 1;
                if self.cur().is_ascii_digit() {
                    if self.cur() == b'0' {
                        return None;
                    }
                    increment = (self.cur() - b'0') as isize;
                    self.pos += 1;
                }
            }
            b'1'..=b'9' => {
                increment = (self.cur() - b'0') as isize;
                self.pos += 1;
                if matches!(self.cur(), b'+' | b'-') {
                    chomping = if self.cur() == b'+' { 1 } else { -1 };
                    self.pos += 1;
                }
            }
            b'0' => return None,
            _ => {}
        }
        self.skip_spaces();
        if self.cur() == b'#' {
            while !matches!(self.cur(), b'\n' | 0) {
                self.pos += 1;
            }
        }
        match self.cur() {
            b'\n' => self.newline(),
            0 => {}
            _ => return None,
        }
        let mut end = self.pos;
        let mut ind: isize = 0;
        if increment != 0 {
            ind = if indent >= 0 {
                indent + increment
            } else {
                increment
            };
        }
        let mut string = String::new();
        let mut leading_break = false;
        let mut trailing_breaks = 0usize;
        let mut leading_blank = false;
        self.block_breaks(&mut ind, &mut trailing_breaks, &mut end, indent);
        while self.col() as isize == ind && !self.eof() {
            let trailing_blank = self.cur() == b' ';
            if !literal && leading_break && !leading_blank && !trailing_blank {
                if trailing_breaks == 0 {
                    string.push(' ');
                }
            } else if leading_break {
                string.push('\n');
            }
            push_breaks(&mut string, trailing_breaks);
            trailing_breaks = 0;
            leading_blank = self.cur() == b' ';
            let seg = self.pos;
            while !matches!(self.cur(), b'\n' | 0) {
                self.pos += 1;
            }
            string.push_str(&self.text[seg..self.pos]);
            if self.eof() {
                // libyaml-safer cannot read a line break here; the padding rules this out.
                return None;
            }
            self.newline();
            leading_break = true;
            self.block_breaks(&mut ind, &mut trailing_breaks, &mut end, indent);
        }
        if chomping != -1 && leading_break {
            string.push('\n');
        }
        if chomping == 1 {
            push_breaks(&mut string, trailing_breaks);
        }
        if self.padded && end >= self.s.len() && string.ends_with('\n') {
            // The line break that ends this scalar is the one the padding added.
            string.pop();
        }
        Some(Cow::Owned(string))
    }

    /// libyaml's `scan_block_scalar_breaks`.
    fn block_breaks(
        &mut self,
        ind: &mut isize,
        breaks: &mut usize,
        end: &mut usize,
        indent: isize,
    ) {
        let mut max_indent = 0isize;
        *end = self.pos;
        loop {
            while (*ind == 0 || (self.col() as isize) < *ind) && self.cur() == b' ' {
                self.pos += 1;
            }
            max_indent = max_indent.max(self.col() as isize);
            if self.cur() != b'\n' {
                break;
            }
            *breaks += 1;
            self.newline();
            *end = self.pos;
        }
        if *ind == 0 {
            *ind = max_indent.max(indent + 1).max(1);
        }
    }

    /// A plain scalar's value as go-yaml resolves it and sigs.k8s.io/yaml converts it.
    fn plain_value(&self, text: Cow<'a, str>, keep: Keep) -> Option<Value> {
        if !keep.builds() {
            // Only a number can fail to convert (NaN and infinities have no JSON form).
            if matches!(
                text.as_bytes().first(),
                Some(b'0'..=b'9' | b'+' | b'-' | b'.')
            ) {
                if let Resolved::Float(f) = resolve_plain(&text) {
                    if !f.is_finite() {
                        return None;
                    }
                }
            }
            return Some(Value::Nil);
        }
        Some(match resolve_plain(&text) {
            Resolved::Null => Value::Nil,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Str | Resolved::Timestamp => Value::String(Arc::from(&*text)),
            r => scalar_number(r, self.use_number)?,
        })
    }
}

/// How many nodes go-yaml decodes for `v` (each key counts), an upper bound on what one
/// alias to it adds to go-yaml's alias count.
fn decodes(v: &Value) -> usize {
    match v {
        Value::List(_, items) => 1 + items.iter().map(decodes).sum::<usize>(),
        Value::Map(_, m) => {
            1 + m
                .entries()
                .iter()
                .map(|(_, v)| 1 + decodes(v))
                .sum::<usize>()
        }
        _ => 1,
    }
}

fn string_value(text: Cow<'_, str>, keep: Keep) -> Value {
    if keep.builds() {
        Value::String(Arc::from(&*text))
    } else {
        Value::Nil
    }
}

fn push_breaks(s: &mut String, n: usize) {
    for _ in 0..n {
        s.push('\n');
    }
}

/// A key's map key, as go-yaml decodes it and sigs.k8s.io/yaml names it; `None` for the keys
/// the full reader must handle (merges, null keys).
fn key_string(key: Key<'_>) -> Option<String> {
    if !key.plain {
        return Some(key.text.into_owned());
    }
    if key.text == "<<" {
        return None;
    }
    Some(match resolve_plain(&key.text) {
        Resolved::Null => return None,
        Resolved::Str | Resolved::Timestamp => key.text.into_owned(),
        Resolved::Bool(b) => b.to_string(),
        Resolved::Int(i) => i.to_string(),
        Resolved::Uint(u) => u.to_string(),
        Resolved::Float(f) => format_float32_g(f),
    })
}

/// [`key_string`]'s refusals, without building the key.
fn check_key(key: &Key<'_>) -> Option<()> {
    if key.plain && (key.text == "<<" || resolve_plain(&key.text) == Resolved::Null) {
        return None;
    }
    Some(())
}

/// A double-quoted scalar's escape; `s` starts after the backslash. The character and how
/// many bytes the escape takes after the backslash.
fn escape(s: &[u8]) -> Option<(char, usize)> {
    let ch = match *s.first()? {
        b'0' => '\0',
        b'a' => '\x07',
        b'b' => '\x08',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\x0b',
        b'f' => '\x0c',
        b'r' => '\r',
        b'e' => '\x1b',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' | b'u' | b'U' => {
            let n = match s[0] {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let hex = s.get(1..1 + n)?;
            let mut v: u32 = 0;
            for &h in hex {
                v = (v << 4) + (h as char).to_digit(16)?;
            }
            return Some((char::from_u32(v)?, 1 + n));
        }
        _ => return None,
    };
    Some((ch, 1))
}
