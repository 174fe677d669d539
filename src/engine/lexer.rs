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

/// A token: its kind, text, byte offset in the template, and 1-based line.
#[derive(Clone, Debug)]
pub struct Token {
    /// The kind.
    pub tok: Tok,
    /// The text, or the message for [`Tok::Error`].
    pub val: String,
    /// Byte offset of the token's start.
    pub pos: usize,
    /// 1-based line of the token's start.
    pub line: usize,
}

impl std::fmt::Display for Token {
    /// Go's `item.String()`, used in "unexpected X in Y" messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.tok {
            Tok::Eof => f.write_str("EOF"),
            Tok::Error => f.write_str(&self.val),
            t if t.is_keyword() => write!(f, "<{}>", self.val),
            _ => {
                if self.val.chars().count() > 10 {
                    let short: String = self.val.chars().take(10).collect();
                    write!(f, "{}...", go_quote(&short))
                } else {
                    f.write_str(&go_quote(&self.val))
                }
            }
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

const LEFT: &str = "{{";
const RIGHT: &str = "}}";

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// Splits `input` into tokens. Lexing stops at the first error, which is the last token.
pub fn lex(input: &str) -> Vec<Token> {
    let mut l = Lexer {
        input,
        pos: 0,
        start: 0,
        line: 1,
        start_line: 1,
        tokens: Vec::new(),
        paren_depth: 0,
        inside: false,
    };
    l.run();
    l.tokens
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
    start: usize,
    line: usize,
    start_line: usize,
    tokens: Vec<Token>,
    paren_depth: i32,
    inside: bool,
}

impl<'a> Lexer<'a> {
    fn rest(&self) -> &'a str {
        self.input.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn backup(&mut self, c: char) {
        self.pos -= c.len_utf8();
        if c == '\n' {
            self.line -= 1;
        }
    }

    fn emit(&mut self, tok: Tok) {
        let val = self
            .input
            .get(self.start..self.pos)
            .unwrap_or("")
            .to_string();
        self.tokens.push(Token {
            tok,
            val,
            pos: self.start,
            line: self.start_line,
        });
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn ignore(&mut self) {
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn error(&mut self, msg: String) {
        self.tokens.push(Token {
            tok: Tok::Error,
            val: msg,
            pos: self.start,
            line: self.start_line,
        });
    }

    /// Moves `pos` forward by `n` bytes, counting newlines.
    fn advance(&mut self, n: usize) {
        let end = (self.pos + n).min(self.input.len());
        let skipped = self.input.get(self.pos..end).unwrap_or("");
        self.line += skipped.bytes().filter(|&b| b == b'\n').count();
        self.pos = end;
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

    /// Whether a left-trim marker follows the left delimiter at `pos`.
    fn has_left_trim(&self, at: usize) -> bool {
        let s = self.input.get(at + LEFT.len()..).unwrap_or("");
        let b = s.as_bytes();
        b.len() >= 2 && b[0] == b'-' && is_space(b[1])
    }

    fn lex_text(&mut self) -> bool {
        if let Some(x) = self.rest().find(LEFT) {
            let delim_at = self.pos + x;
            let trim = self.has_left_trim(delim_at);
            let mut text_end = delim_at;
            if trim {
                let text = self.input.get(self.pos..delim_at).unwrap_or("");
                let trimmed = text.trim_end_matches([' ', '\t', '\r', '\n']);
                text_end = self.pos + trimmed.len();
            }
            self.advance(text_end - self.pos);
            if text_end > self.start {
                self.emit(Tok::Text);
            }
            // Skip any trimmed whitespace, keeping line counts right.
            self.advance(delim_at - self.pos);
            self.ignore();
            return self.lex_left_delim(trim);
        }
        self.pos = self.input.len();
        let text = self.input.get(self.start..).unwrap_or("");
        self.line += text.bytes().filter(|&b| b == b'\n').count();
        if self.pos > self.start {
            self.emit(Tok::Text);
        }
        self.emit(Tok::Eof);
        false
    }

    fn lex_left_delim(&mut self, trim: bool) -> bool {
        self.advance(LEFT.len());
        let after_marker = if trim { 2 } else { 0 };
        if self
            .rest()
            .get(after_marker..)
            .unwrap_or("")
            .starts_with("/*")
        {
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
        let Some(x) = self.rest().find("*/") else {
            self.error("unclosed comment".into());
            return false;
        };
        self.advance(x + 2);
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
        let n = self.rest().len()
            - self
                .rest()
                .trim_start_matches([' ', '\t', '\r', '\n'])
                .len();
        self.advance(n);
    }

    /// Whether the input at `pos` is a right delimiter, possibly preceded by a trim marker.
    fn at_right_delim(&self) -> (bool, bool) {
        let r = self.rest();
        let b = r.as_bytes();
        if b.len() >= 2 && is_space(b[0]) && b[1] == b'-' && r[2..].starts_with(RIGHT) {
            return (true, true);
        }
        if r.starts_with(RIGHT) {
            return (true, false);
        }
        (false, false)
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

    fn lex_inside(&mut self) -> bool {
        let (delim, trim) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return self.lex_right_delim(trim);
            }
            self.error("unclosed left paren".into());
            return false;
        }
        let Some(c) = self.next() else {
            self.error("unclosed action".into());
            return false;
        };
        match c {
            ' ' | '\t' | '\r' | '\n' => {
                self.backup(c);
                self.lex_space()
            }
            '=' => {
                self.emit(Tok::Assign);
                true
            }
            ':' => {
                if self.next() != Some('=') {
                    self.error("expected :=".into());
                    return false;
                }
                self.emit(Tok::Declare);
                true
            }
            '|' => {
                self.emit(Tok::Pipe);
                true
            }
            '"' => self.lex_quote(),
            '`' => self.lex_raw_quote(),
            '$' => self.lex_field_or_variable(Tok::Variable),
            '\'' => self.lex_char(),
            '.' => {
                if let Some(n) = self.peek() {
                    if !n.is_ascii_digit() {
                        return self.lex_field_or_variable(Tok::Field);
                    }
                }
                self.backup(c);
                self.lex_number()
            }
            '+' | '-' | '0'..='9' => {
                self.backup(c);
                self.lex_number()
            }
            c if is_alnum(c) => {
                self.backup(c);
                self.lex_identifier()
            }
            '(' => {
                self.emit(Tok::LeftParen);
                self.paren_depth += 1;
                true
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    self.error("unexpected right paren".into());
                    return false;
                }
                self.emit(Tok::RightParen);
                true
            }
            c if c.is_ascii() && !c.is_ascii_control() => {
                self.emit(Tok::Char);
                true
            }
            c => {
                self.error(format!("unrecognized character in action: {}", go_u(c)));
                false
            }
        }
    }

    fn lex_space(&mut self) -> bool {
        let mut n = 0;
        while let Some(c) = self.peek() {
            if !(c.is_ascii() && is_space(c as u8)) {
                break;
            }
            self.next();
            n += 1;
        }
        // A space followed by "-}}" is a trim marker, not a space token.
        let before = self.pos - 1;
        let s = self.input.get(before..).unwrap_or("");
        let b = s.as_bytes();
        if b.len() >= 2 && is_space(b[0]) && b[1] == b'-' && s[2..].starts_with(RIGHT) {
            let last = self.input.as_bytes()[before] as char;
            self.backup(last);
            if n == 1 {
                return true;
            }
        }
        self.emit(Tok::Space);
        true
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) => {
                if (c.is_ascii() && is_space(c as u8))
                    || matches!(c, '.' | ',' | '|' | ':' | ')' | '(')
                {
                    return true;
                }
                self.rest().starts_with(RIGHT)
            }
        }
    }

    fn lex_field_or_variable(&mut self, tok: Tok) -> bool {
        if self.at_terminator() {
            if tok == Tok::Variable {
                self.emit(Tok::Variable);
            } else {
                self.emit(Tok::Dot);
            }
            return true;
        }
        loop {
            match self.next() {
                Some(c) if is_alnum(c) => {}
                Some(c) => {
                    self.backup(c);
                    break;
                }
                None => break,
            }
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", go_u(c)));
            return false;
        }
        self.emit(tok);
        true
    }

    fn lex_identifier(&mut self) -> bool {
        loop {
            match self.next() {
                Some(c) if is_alnum(c) => {}
                Some(c) => {
                    self.backup(c);
                    break;
                }
                None => break,
            }
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", go_u(c)));
            return false;
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

    fn lex_char(&mut self) -> bool {
        self.lex_escaped('\'', Tok::CharConstant, "unterminated character constant")
    }

    fn lex_quote(&mut self) -> bool {
        self.lex_escaped('"', Tok::String, "unterminated quoted string")
    }

    /// A quoted literal with backslash escapes that may not span lines.
    fn lex_escaped(&mut self, close: char, tok: Tok, unterminated: &str) -> bool {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some(c) if c != '\n' => {}
                    _ => {
                        self.error(unterminated.into());
                        return false;
                    }
                },
                None | Some('\n') => {
                    self.error(unterminated.into());
                    return false;
                }
                Some(c) if c == close => break,
                Some(_) => {}
            }
        }
        self.emit(tok);
        true
    }

    fn lex_raw_quote(&mut self) -> bool {
        loop {
            match self.next() {
                None => {
                    self.error("unterminated raw quoted string".into());
                    return false;
                }
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::RawString);
        true
    }

    fn lex_number(&mut self) -> bool {
        if !self.scan_number() {
            let s = self.input.get(self.start..self.pos).unwrap_or("");
            self.error(format!("bad number syntax: {}", go_quote(s)));
            return false;
        }
        if let Some(sign @ ('+' | '-')) = self.peek() {
            let _ = sign;
            // A complex number like 1+2i: no spaces, ends in 'i'.
            if !self.scan_number() || !self.input[..self.pos].ends_with('i') {
                let s = self.input.get(self.start..self.pos).unwrap_or("");
                self.error(format!("bad number syntax: {}", go_quote(s)));
                return false;
            }
            self.emit(Tok::Complex);
        } else {
            self.emit(Tok::Number);
        }
        true
    }

    fn accept(&mut self, valid: &str) -> bool {
        if let Some(c) = self.peek() {
            if valid.contains(c) {
                self.next();
                return true;
            }
        }
        false
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 10 + 1 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 16 + 6 + 1 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
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
        lex(s).into_iter().map(|t| t.tok).collect()
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
        let toks = lex("a  {{- 3 -}}  b");
        assert_eq!(toks[0].val, "a");
        assert_eq!(toks[2].val, "3");
        assert_eq!(toks[4].val, "b");
        // "{{-3}}" is the number -3, not a trim marker.
        let toks = lex("{{-3}}");
        assert_eq!(toks[1].val, "-3");
    }

    #[test]
    fn comments() {
        assert_eq!(kinds("a{{/* c */}}b"), vec![Tok::Text, Tok::Text, Tok::Eof]);
        let toks = lex("{{/* c */ }}");
        assert_eq!(
            toks.last().unwrap().val,
            "comment ends before closing delimiter"
        );
        let toks = lex("{{/* c ");
        assert_eq!(toks.last().unwrap().val, "unclosed comment");
    }

    #[test]
    fn numbers_and_errors() {
        for n in [
            "0x10", "0o17", "017", "1_000", "2i", "1e3", "1.5", "-3", "1+2i",
        ] {
            let toks = lex(&format!("{{{{{n}}}}}"));
            assert!(
                matches!(toks[1].tok, Tok::Number | Tok::Complex),
                "{n}: {toks:?}"
            );
            assert_eq!(toks[1].val, n);
        }
        let toks = lex("{{3x}}");
        assert_eq!(toks.last().unwrap().val, "bad number syntax: \"3x\"");
        let toks = lex("{{\"abc}}");
        assert_eq!(toks.last().unwrap().val, "unterminated quoted string");
        let toks = lex("{{ .x ");
        assert_eq!(toks.last().unwrap().val, "unclosed action");
    }

    #[test]
    fn lines() {
        let toks = lex("a\nb{{\n.x}}");
        let field = toks.iter().find(|t| t.tok == Tok::Field).unwrap();
        assert_eq!(field.line, 3);
    }
}
