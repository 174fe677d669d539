//! From a line of a template's rendered output back to the line of the template source that
//! produced it.
//!
//! Until the engine reports where each output byte came from, this matches YAML structure:
//! the rendered line's chain of parent keys (by indentation) is looked up, in order, in the
//! template source, starting at the same `---` document. Literal keys in the template are found
//! exactly; a key produced by `toYaml`/`include` maps to the nearest literal ancestor (the line
//! with the `{{ … }}` that generated it). All callers go through [`source_line`], so the trace
//! can replace this in one place.

/// The 1-based template line that produced 1-based `rendered_line` of `rendered` (the output
/// of `template`). Returns 1 when nothing matches.
pub fn source_line(template: &str, rendered: &str, rendered_line: usize) -> usize {
    let r: Vec<&str> = rendered.lines().collect();
    let t: Vec<&str> = template.lines().collect();
    if rendered_line == 0 || rendered_line > r.len() || t.is_empty() {
        return 1;
    }
    let idx = rendered_line - 1;
    // The document the line is in, and its start.
    let doc_index = r[..idx].iter().filter(|l| is_doc_sep(l)).count();
    let doc_start_r = r[..idx]
        .iter()
        .rposition(|l| is_doc_sep(l))
        .map(|p| p + 1)
        .unwrap_or(0);
    // The chain of structural parents, outermost first.
    let mut chain: Vec<&str> = Vec::new();
    let mut cur_indent = indent_of(r[idx]);
    chain.push(r[idx]);
    for l in r[doc_start_r..idx].iter().rev() {
        if l.trim().is_empty() || l.trim_start().starts_with('#') {
            continue;
        }
        let ind = indent_of(l);
        if ind < cur_indent || (ind == cur_indent && is_item(chain[chain.len() - 1]) && !is_item(l))
        {
            chain.push(l);
            cur_indent = ind;
            if ind == 0 && !is_item(l) {
                break;
            }
        }
    }
    chain.reverse();
    // Start at the same literal document of the template when it has that many separators.
    let seps: Vec<usize> = t
        .iter()
        .enumerate()
        .filter(|(_, l)| is_doc_sep(l))
        .map(|(i, _)| i)
        .collect();
    let mut pos = if doc_index > 0 && seps.len() >= doc_index {
        seps[doc_index - 1] + 1
    } else {
        0
    };
    let mut found: Option<usize> = None;
    let last = chain.len().saturating_sub(1);
    let parent_r = chain
        .len()
        .checked_sub(2)
        .and_then(|_| {
            r[doc_start_r..idx]
                .iter()
                .rposition(|l| *l == chain[last - 1])
        })
        .map(|p| p + doc_start_r)
        .unwrap_or(doc_start_r);
    for (ci, line) in chain.into_iter().enumerate() {
        if ci == last && (found.is_some() || last == 0) {
            // The same literal line can repeat (duplicate keys, list items): take the
            // occurrence with the same ordinal as in the rendered text.
            let ordinal = r[parent_r..idx].iter().filter(|l| **l == line).count();
            let mut exact = t
                .iter()
                .enumerate()
                .skip(pos)
                .filter(|(_, l)| **l == line)
                .map(|(i, _)| i);
            if let Some(i) = exact.nth(ordinal) {
                found = Some(i);
                break;
            }
        }
        let Some(tok) = token(line) else { continue };
        let want_indent = indent_of(line);
        let hit =
            find_from(&t, pos, &tok, Some(want_indent)).or_else(|| find_from(&t, pos, &tok, None));
        match hit {
            Some(i) => {
                found = Some(i);
                pos = i + 1;
            }
            None => break,
        }
    }
    found.map(|i| i + 1).unwrap_or_else(|| {
        // Nothing literal: the first action line of the document is the best guess.
        let start = if doc_index > 0 && seps.len() >= doc_index {
            seps[doc_index - 1] + 1
        } else {
            0
        };
        t.iter()
            .enumerate()
            .skip(start)
            .find(|(_, l)| !l.trim().is_empty() && !is_doc_sep(l))
            .map(|(i, _)| i + 1)
            .unwrap_or(1)
    })
}

fn is_doc_sep(l: &str) -> bool {
    l.starts_with("---") && l[3..].chars().next().is_none_or(|c| c.is_whitespace())
}

fn indent_of(l: &str) -> usize {
    l.len() - l.trim_start_matches(' ').len()
}

fn is_item(l: &str) -> bool {
    let s = l.trim_start();
    s == "-" || s.starts_with("- ")
}

/// The text to look for: `key:` for a mapping entry (after any `- `), else the item's text.
fn token(line: &str) -> Option<String> {
    let mut s = line.trim_start();
    while let Some(rest) = s.strip_prefix("- ") {
        s = rest.trim_start();
    }
    if s.is_empty() || s == "-" {
        return None;
    }
    match key_end(s) {
        Some(end) => Some(s[..=end].to_string()),
        None => Some(s.to_string()),
    }
}

/// The index of the `:` ending a plain or quoted key at the start of `s`.
fn key_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() == Some(&b'"') || b.first() == Some(&b'\'') {
        let q = b[0];
        let close = s[1..].find(q as char)? + 1;
        return (b.get(close + 1) == Some(&b':')).then_some(close + 1);
    }
    let mut i = 0;
    while i < b.len() {
        if b[i] == b':' && (i + 1 == b.len() || b[i + 1] == b' ') {
            return Some(i);
        }
        if b[i] == b'{' && b.get(i + 1) == Some(&b'{') {
            return None;
        }
        i += 1;
    }
    None
}

fn find_from(t: &[&str], pos: usize, tok: &str, indent: Option<usize>) -> Option<usize> {
    t.iter().enumerate().skip(pos).find_map(|(i, l)| {
        if indent.is_some_and(|want| indent_of(l) != want) {
            return None;
        }
        let mut s = l.trim_start();
        while let Some(rest) = s.strip_prefix("- ") {
            s = rest.trim_start();
        }
        (s == tok || s.starts_with(tok) && (tok.ends_with(':') || s[tok.len()..].starts_with(' ')))
            .then_some(i)
    })
}

#[cfg(test)]
mod tests {
    use super::source_line;

    #[test]
    fn literal_keys_map_exactly() {
        let t = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {{ .Release.Name }}\n  labels:\n    {{- include \"x\" . | nindent 4 }}\nspec:\n  containers:\n    - name: a\n      image: x\n";
        let r = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: rel\n  labels:\n    a: b\n    c: d\nspec:\n  containers:\n    - name: a\n      image: x\n";
        assert_eq!(source_line(t, r, 11), 10);
        assert_eq!(source_line(t, r, 10), 9);
        assert_eq!(source_line(t, r, 4), 4);
        // A generated label maps to the `labels:` line above the include.
        assert_eq!(source_line(t, r, 7), 5);
    }

    #[test]
    fn documents_are_followed() {
        let t = "kind: A\nspec:\n  x: 1\n---\nkind: B\nspec:\n  x: 2\n";
        let r = "kind: A\nspec:\n  x: 1\n---\nkind: B\nspec:\n  x: 2\n";
        assert_eq!(source_line(t, r, 7), 7);
        assert_eq!(source_line(t, r, 3), 3);
    }
}
