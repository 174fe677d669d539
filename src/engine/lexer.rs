//! The template lexer: splits text into literal text and the tokens inside `{{ }}` actions,
//! with Go's rules for trim markers, comments and error messages.

/// A token kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tok {
    /// Literal text outside actions.
    Text,
    /// `{{`
    LeftDelim,
    /// `}}`
    RightDelim,
    /// Whitespace inside an action.
    Space,
    /// A function name or keyword-like word.
    Identifier,
    /// `.name`
    Field,
    /// `$` or `$name`
    Variable,
    /// A quoted string, with its quotes.
    String,
    /// A back-quoted string, with its quotes.
    RawString,
    /// A character constant, with its quotes.
    CharConstant,
    /// A number.
    Number,
    /// A complex number like `1+2i`.
    Complex,
    /// `true` or `false`.
    Bool,
    /// `nil`
    Nil,
    /// `.`
    Dot,
    /// `|`
    Pipe,
    /// `(`
    LeftParen,
    /// `)`
    RightParen,
    /// `:=`
    Declare,
    /// `=`
    Assign,
    /// A printable ASCII character such as `,`.
    Char,
    /// `block`
    Block,
    /// `break`
    Break,
    /// `continue`
    Continue,
    /// `define`
    Define,
    /// `else`
    Else,
    /// `end`
    End,
    /// `if`
    If,
    /// `range`
    Range,
    /// `template`
    Template,
    /// `with`
    With,
    /// End of input.
    Eof,
    /// A lexical error; the value holds the message.
    Error,
}

impl Tok {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Tok::Block
                | Tok::Break
                | Tok::Continue
                | Tok::Define
                | Tok::Else
                | Tok::End
                | Tok::If
                | Tok::Range
                | Tok::Template
                | Tok::With
                | Tok::Nil
                | Tok::Dot
        )
    }
}

/// A token: its kind, its text (borrowed from the template, never copied) and byte offset.
/// An error token has empty text; the message is [`Lexed::error`].
///
/// Go's lexer also records each token's line. Here the line is always one more than the
/// newlines before `pos` (see [`line_at`]), so it is computed when an error needs it instead of
/// being counted over all the text.
#[derive(Clone, Copy, Debug)]
pub struct Token<'a> {
    /// The kind.
    pub tok: Tok,
    /// The text as written in the template.
    pub val: &'a str,
    /// Byte offset of the token's start.
    pub pos: usize,
}

/// The 1-based line of byte offset `pos` in `input`, as Go's lexer would have counted it for
/// a token starting there.
pub fn line_at(input: &str, pos: usize) -> usize {
    let before = input.as_bytes().get(..pos).unwrap_or(input.as_bytes());
    1 + before.iter().filter(|&&b| b == b'\n').count()
}

/// What [`lex`] produces: the tokens, and the message of the error token that ends them when
/// lexing failed.
#[derive(Debug)]
pub struct Lexed<'a> {
    /// The tokens, ending with [`Tok::Eof`] or [`Tok::Error`].
    pub tokens: Vec<Token<'a>>,
    /// The lexical error's message when the last token is [`Tok::Error`], else empty.
    pub error: String,
}

impl std::fmt::Display for Token<'_> {
    /// Go's `item.String()`, used in "unexpected X in Y" messages. An error token prints
    /// nothing here: its message is [`Lexed::error`].
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.tok {
            Tok::Eof => f.write_str("EOF"),
            Tok::Error => f.write_str(self.val),
            t if t.is_keyword() => write!(f, "<{}>", self.val),
            _ => match self.val.char_indices().nth(10) {
                Some((cut, _)) => write!(f, "{}...", go_quote(&self.val[..cut])),
                None => f.write_str(&go_quote(self.val)),
            },
        }
    }
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// An approximation of Go's `strconv.IsPrint` good for the characters templates contain.
fn is_go_printable(c: char) -> bool {
    !c.is_control() && c != '\u{FFFD}' && !('\u{80}'..='\u{9f}').contains(&c) && c != '\u{ad}'
}

const LEFT: &[u8] = b"{{";
const RIGHT: &[u8] = b"}}";

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Which bytes are ASCII word characters (letters, digits, `_`), as one table lookup.
/// Non-ASCII bytes are not: a multi-byte character is decoded and judged whole.
const WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = b == b'_' || b.is_ascii_alphanumeric();
        i += 1;
    }
    t
};

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// The digits a number literal may use after its base prefix.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Base {
    Decimal,
    Hex,
    Octal,
    Binary,
}

impl Base {
    fn digits(self) -> &'static [u8] {
        match self {
            Base::Decimal => b"0123456789_",
            Base::Hex => b"0123456789abcdefABCDEF_",
            Base::Octal => b"01234567_",
            Base::Binary => b"01_",
        }
    }
}

/// Splits `input` into tokens. Lexing stops at the first error, which is the last token.
pub fn lex(input: &str) -> Lexed<'_> {
    // Charts' templates run about one token per 6 bytes; reserving that avoids regrowing the
    // vector a dozen times on a large file.
    let mut l = Lexer {
        input,
        bytes: input.as_bytes(),
        pos: 0,
        start: 0,
        tokens: Vec::with_capacity(input.len() / 6 + 4),
        error: String::new(),
        paren_depth: 0,
        inside: false,
    };
    l.run();
    Lexed {
        tokens: l.tokens,
        error: l.error,
    }
}

/// The lexer works on bytes: every delimiter and operator is ASCII, and UTF-8 continuation
/// bytes never look like ASCII, so characters are decoded only where a non-ASCII one may be
/// part of a word or named in an error. `pos` always sits on a character boundary.
struct Lexer<'a> {
    input: &'a str,
    bytes: &'a [u8],
    pos: usize,
    start: usize,
    tokens: Vec<Token<'a>>,
    error: String,
    paren_depth: i32,
    inside: bool,
}

impl<'a> Lexer<'a> {
    fn byte(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek(&self) -> Option<char> {
        let b = self.byte()?;
        if b.is_ascii() {
            return Some(b as char);
        }
        self.input.get(self.pos..)?.chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn emit(&mut self, tok: Tok) {
        self.tokens.push(Token {
            tok,
            val: self.input.get(self.start..self.pos).unwrap_or(""),
            pos: self.start,
        });
        self.start = self.pos;
    }

    fn ignore(&mut self) {
        self.start = self.pos;
    }

    fn error(&mut self, msg: String) {
        self.tokens.push(Token {
            tok: Tok::Error,
            val: "",
            pos: self.start,
        });
        self.error = msg;
    }

    /// Moves `pos` forward by `n` bytes.
    fn advance(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.bytes.len());
    }

    fn starts_with_at(&self, at: usize, s: &[u8]) -> bool {
        self.bytes.get(at..).is_some_and(|r| r.starts_with(s))
    }

    /// The offset of the first `pair` at or after `from`.
    fn find_pair(&self, from: usize, pair: [u8; 2]) -> Option<usize> {
        let mut i = from;
        loop {
            // `str::find` with an ASCII char is a word-at-a-time memchr.
            let x = self.input.get(i..)?.find(pair[0] as char)?;
            let at = i + x;
            if self.bytes.get(at + 1) == Some(&pair[1]) {
                return Some(at);
            }
            i = at + 1;
        }
    }

    fn run(&mut self) {
        loop {
            let ok = if self.inside {
                self.lex_inside()
            } else {
                self.lex_text()
            };
            if !ok {
                return;
            }
        }
    }

    /// Whether a left-trim marker follows the left delimiter at `at`.
    fn has_left_trim(&self, at: usize) -> bool {
        let b = self.bytes.get(at + LEFT.len()..).unwrap_or(&[]);
        b.len() >= 2 && b[0] == b'-' && is_space(b[1])
    }

    fn lex_text(&mut self) -> bool {
        if let Some(delim_at) = self.find_pair(self.pos, [b'{', b'{']) {
            let trim = self.has_left_trim(delim_at);
            let mut text_end = delim_at;
            if trim {
                while text_end > self.pos && is_space(self.bytes[text_end - 1]) {
                    text_end -= 1;
                }
            }
            self.advance(text_end - self.pos);
            if text_end > self.start {
                self.emit(Tok::Text);
            }
            // Skip any trimmed whitespace.
            self.advance(delim_at - self.pos);
            self.ignore();
            return self.lex_left_delim(trim);
        }
        self.advance(self.bytes.len() - self.pos);
        if self.pos > self.start {
            self.emit(Tok::Text);
        }
        self.emit(Tok::Eof);
        false
    }

    fn lex_left_delim(&mut self, trim: bool) -> bool {
        self.advance(LEFT.len());
        let after_marker = if trim { 2 } else { 0 };
        if self.starts_with_at(self.pos + after_marker, b"/*") {
            self.advance(after_marker);
            self.ignore();
            return self.lex_comment();
        }
        self.emit(Tok::LeftDelim);
        self.advance(after_marker);
        self.ignore();
        self.paren_depth = 0;
        self.inside = true;
        true
    }

    fn lex_comment(&mut self) -> bool {
        // At "/*".
        self.advance(2);
        let Some(end) = self.find_pair(self.pos, [b'*', b'/']) else {
            self.error("unclosed comment".into());
            return false;
        };
        self.advance(end + 2 - self.pos);
        let (at_delim, trim) = self.at_right_delim();
        if !at_delim {
            self.error("comment ends before closing delimiter".into());
            return false;
        }
        if trim {
            self.advance(2);
        }
        self.advance(RIGHT.len());
        if trim {
            self.skip_leading_space();
        }
        self.ignore();
        true
    }

    fn skip_leading_space(&mut self) {
        while self.byte().is_some_and(is_space) {
            self.pos += 1;
        }
    }

    /// Whether the input at `pos` is a right delimiter, possibly preceded by a trim marker.
    fn at_right_delim(&self) -> (bool, bool) {
        let b = self.bytes.get(self.pos..).unwrap_or(&[]);
        if b.len() >= 2 && is_space(b[0]) && b[1] == b'-' && b[2..].starts_with(RIGHT) {
            return (true, true);
        }
        (b.starts_with(RIGHT), false)
    }

    fn lex_right_delim(&mut self, trim: bool) -> bool {
        if trim {
            self.advance(2);
            self.ignore();
        }
        self.advance(RIGHT.len());
        self.emit(Tok::RightDelim);
        if trim {
            self.skip_leading_space();
            self.ignore();
        }
        self.inside = false;
        true
    }

    /// Emits the one-byte token at `pos`.
    fn emit_byte(&mut self, tok: Tok) -> bool {
        self.pos += 1;
        self.emit(tok);
        true
    }

    fn lex_inside(&mut self) -> bool {
        let (delim, trim) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return self.lex_right_delim(trim);
            }
            self.error("unclosed left paren".into());
            return false;
        }
        let Some(b) = self.byte() else {
            self.error("unclosed action".into());
            return false;
        };
        match b {
            b' ' | b'\t' | b'\r' | b'\n' => self.lex_space(),
            b'=' => self.emit_byte(Tok::Assign),
            b':' => {
                self.pos += 1;
                if self.next() != Some('=') {
                    self.error("expected :=".into());
                    return false;
                }
                self.emit(Tok::Declare);
                true
            }
            b'|' => self.emit_byte(Tok::Pipe),
            b'"' => {
                self.pos += 1;
                self.lex_escaped(b'"', Tok::String, "unterminated quoted string")
            }
            b'`' => {
                self.pos += 1;
                self.lex_raw_quote()
            }
            b'$' => {
                self.pos += 1;
                self.lex_field_or_variable(Tok::Variable)
            }
            b'\'' => {
                self.pos += 1;
                self.lex_escaped(b'\'', Tok::CharConstant, "unterminated character constant")
            }
            b'.' => {
                // ".5" is a number; "." before anything else starts a field or is dot.
                match self.bytes.get(self.pos + 1) {
                    Some(n) if !n.is_ascii_digit() => {
                        self.pos += 1;
                        self.lex_field_or_variable(Tok::Field)
                    }
                    _ => self.lex_number(),
                }
            }
            b'+' | b'-' | b'0'..=b'9' => self.lex_number(),
            b'(' => {
                self.paren_depth += 1;
                self.emit_byte(Tok::LeftParen)
            }
            b')' => {
                self.pos += 1;
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    self.error("unexpected right paren".into());
                    return false;
                }
                self.emit(Tok::RightParen);
                true
            }
            b if b.is_ascii() => {
                if b == b'_' || b.is_ascii_alphanumeric() {
                    self.lex_identifier()
                } else if !b.is_ascii_control() {
                    self.emit_byte(Tok::Char)
                } else {
                    self.pos += 1;
                    self.error(format!(
                        "unrecognized character in action: {}",
                        go_u(b as char)
                    ));
                    false
                }
            }
            _ => match self.peek() {
                Some(c) if is_alnum(c) => self.lex_identifier(),
                c => {
                    let c = c.unwrap_or('\u{FFFD}');
                    self.pos += c.len_utf8();
                    self.error(format!("unrecognized character in action: {}", go_u(c)));
                    false
                }
            },
        }
    }

    fn lex_space(&mut self) -> bool {
        let from = self.pos;
        self.skip_leading_space();
        // A space followed by "-}}" is a trim marker, not a space token.
        let before = self.pos - 1;
        if self.bytes.get(self.pos) == Some(&b'-') && self.starts_with_at(self.pos + 1, RIGHT) {
            self.pos = before;
            if before == from {
                return true;
            }
        }
        self.emit(Tok::Space);
        true
    }

    fn at_terminator(&self) -> bool {
        match self.byte() {
            None => true,
            Some(b) => {
                is_space(b)
                    || matches!(b, b'.' | b',' | b'|' | b':' | b')' | b'(')
                    || (b == b'}' && self.bytes.get(self.pos + 1) == Some(&b'}'))
            }
        }
    }

    /// Moves past the letters, digits and underscores at `pos`.
    fn skip_word(&mut self) {
        let b = self.bytes;
        loop {
            let mut i = self.pos;
            while i < b.len() && WORD[b[i] as usize] {
                i += 1;
            }
            self.pos = i;
            if b.get(i).is_none_or(|c| c.is_ascii()) {
                return;
            }
            match self.peek() {
                Some(c) if is_alnum(c) => self.pos += c.len_utf8(),
                _ => return,
            }
        }
    }

    fn bad_character(&mut self) -> bool {
        let c = self.peek().unwrap_or('\0');
        self.error(format!("bad character {}", go_u(c)));
        false
    }

    fn lex_field_or_variable(&mut self, tok: Tok) -> bool {
        if self.at_terminator() {
            self.emit(if tok == Tok::Variable {
                Tok::Variable
            } else {
                Tok::Dot
            });
            return true;
        }
        self.skip_word();
        if !self.at_terminator() {
            return self.bad_character();
        }
        self.emit(tok);
        true
    }

    fn lex_identifier(&mut self) -> bool {
        self.skip_word();
        if !self.at_terminator() {
            return self.bad_character();
        }
        let word = self.input.get(self.start..self.pos).unwrap_or("");
        let tok = match word {
            "block" => Tok::Block,
            "break" => Tok::Break,
            "continue" => Tok::Continue,
            "define" => Tok::Define,
            "else" => Tok::Else,
            "end" => Tok::End,
            "if" => Tok::If,
            "range" => Tok::Range,
            "nil" => Tok::Nil,
            "template" => Tok::Template,
            "with" => Tok::With,
            "true" | "false" => Tok::Bool,
            _ => Tok::Identifier,
        };
        self.emit(tok);
        true
    }

    /// A quoted literal with backslash escapes that may not span lines; `pos` is past the
    /// opening quote. Only ASCII bytes matter here, so multi-byte characters pass as bytes.
    fn lex_escaped(&mut self, close: u8, tok: Tok, unterminated: &str) -> bool {
        loop {
            // Jump over the plain characters, then look at what stopped the scan.
            let bytes = self.bytes;
            let mut i = self.pos;
            while i < bytes.len() && !matches!(bytes[i], b'\\' | b'\n' | b'"' | b'\'') {
                i += 1;
            }
            self.pos = i;
            let Some(b) = self.byte() else {
                self.error(unterminated.into());
                return false;
            };
            self.pos += 1;
            match b {
                b'\\' => match self.byte() {
                    Some(c) if c != b'\n' => self.pos += 1,
                    _ => {
                        self.error(unterminated.into());
                        return false;
                    }
                },
                b'\n' => {
                    self.error(unterminated.into());
                    return false;
                }
                c if c == close => break,
                _ => {}
            }
        }
        self.emit(tok);
        true
    }

    fn lex_raw_quote(&mut self) -> bool {
        let Some(x) = self.input.get(self.pos..).and_then(|r| r.find('`')) else {
            self.error("unterminated raw quoted string".into());
            return false;
        };
        self.advance(x + 1);
        self.emit(Tok::RawString);
        true
    }

    fn lex_number(&mut self) -> bool {
        if !self.scan_number() {
            return self.bad_number();
        }
        if matches!(self.byte(), Some(b'+' | b'-')) {
            // A complex number like 1+2i: no spaces, ends in 'i'.
            if !self.scan_number() || self.bytes.get(self.pos.wrapping_sub(1)) != Some(&b'i') {
                return self.bad_number();
            }
            self.emit(Tok::Complex);
        } else {
            self.emit(Tok::Number);
        }
        true
    }

    fn bad_number(&mut self) -> bool {
        let s = self.input.get(self.start..self.pos).unwrap_or("");
        self.error(format!("bad number syntax: {}", go_quote(s)));
        false
    }

    fn accept(&mut self, valid: &[u8]) -> bool {
        match self.byte() {
            Some(b) if valid.contains(&b) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &[u8]) {
        while self.accept(valid) {}
    }

    fn scan_number(&mut self) -> bool {
        self.accept(b"+-");
        let mut base = Base::Decimal;
        if self.accept(b"0") {
            if self.accept(b"xX") {
                base = Base::Hex;
            } else if self.accept(b"oO") {
                base = Base::Octal;
            } else if self.accept(b"bB") {
                base = Base::Binary;
            }
        }
        let digits = base.digits();
        self.accept_run(digits);
        if self.accept(b".") {
            self.accept_run(digits);
        }
        if base == Base::Decimal && self.accept(b"eE") {
            self.accept(b"+-");
            self.accept_run(b"0123456789_");
        }
        if base == Base::Hex && self.accept(b"pP") {
            self.accept(b"+-");
            self.accept_run(b"0123456789_");
        }
        self.accept(b"i");
        if let Some(c) = self.peek() {
            if is_alnum(c) {
                self.next();
                return false;
            }
        }
        true
    }
}

/// Go's `%#U` of a rune: `U+0040 '@'`.
pub fn go_u(c: char) -> String {
    if is_go_printable(c) {
        format!("U+{:04X} '{}'", c as u32, c)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tok> {
        lex(s).tokens.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn text_and_actions() {
        assert_eq!(
            kinds("a{{.x}}b"),
            vec![
                Tok::Text,
                Tok::LeftDelim,
                Tok::Field,
                Tok::RightDelim,
                Tok::Text,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn trim_markers() {
        let toks = lex("a  {{- 3 -}}  b").tokens;
        assert_eq!(toks[0].val, "a");
        assert_eq!(toks[2].val, "3");
        assert_eq!(toks[4].val, "b");
        // "{{-3}}" is the number -3, not a trim marker.
        let toks = lex("{{-3}}").tokens;
        assert_eq!(toks[1].val, "-3");
    }

    #[test]
    fn comments() {
        assert_eq!(kinds("a{{/* c */}}b"), vec![Tok::Text, Tok::Text, Tok::Eof]);
        let l = lex("{{/* c */ }}");
        assert_eq!(l.tokens.last().unwrap().tok, Tok::Error);
        assert_eq!(l.error, "comment ends before closing delimiter");
        assert_eq!(lex("{{/* c ").error, "unclosed comment");
    }

    #[test]
    fn numbers_and_errors() {
        for n in [
            "0x10", "0o17", "017", "1_000", "2i", "1e3", "1.5", "-3", "1+2i",
        ] {
            let text = format!("{{{{{n}}}}}");
            let toks = lex(&text).tokens;
            assert!(
                matches!(toks[1].tok, Tok::Number | Tok::Complex),
                "{n}: {toks:?}"
            );
            assert_eq!(toks[1].val, n);
        }
        assert_eq!(lex("{{3x}}").error, "bad number syntax: \"3x\"");
        assert_eq!(lex("{{\"abc}}").error, "unterminated quoted string");
        assert_eq!(lex("{{ .x ").error, "unclosed action");
    }

    #[test]
    fn lines() {
        let text = "a\nb{{\n.x}}";
        let toks = lex(text).tokens;
        let field = toks.iter().find(|t| t.tok == Tok::Field).unwrap();
        assert_eq!(line_at(text, field.pos), 3);
        assert_eq!(line_at(text, 0), 1);
        assert_eq!(line_at(text, 99), 3);
    }
}
