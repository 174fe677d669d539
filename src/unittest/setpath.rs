//! The keys of a suite's or test's `set:` (`image.tag`, `list[1].name`, `[a.b].c`): each
//! becomes a nested map holding the value, exactly as helm-unittest's `BuildValueOfSetPath`
//! builds it (lists are padded with nulls up to the index).

use super::yval::YV;

#[derive(Clone, Debug)]
enum Cursor {
    Key(String),
    Idx(usize),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Key,
    Index,
    Denotation,
    Escaping,
}

/// Builds `{path: value}` as nested maps and lists; errors are helm-unittest's texts.
pub fn build(value: &YV, path: &str) -> Result<YV, String> {
    if path.is_empty() {
        return Err("set path is empty".into());
    }
    let cursors = parse(path)?;
    Ok(nest(&cursors, value))
}

fn parse(path: &str) -> Result<Vec<Cursor>, String> {
    let illegal = [',', '{', '}', '='];
    let stop = ['.', '[', ']', ',', '{', '}', '='];
    let chars: Vec<char> = path.chars().collect();
    let mut pos = 0;
    let mut state = State::Key;
    let mut out = Vec::new();
    let mut buffered = String::new();
    loop {
        let start = pos;
        while pos < chars.len() && !stop.contains(&chars[pos]) {
            pos += 1;
        }
        let k: String = chars[start..pos].iter().collect();
        if pos >= chars.len() {
            return match state {
                State::Key if !k.is_empty() => {
                    out.push(Cursor::Key(k));
                    Ok(out)
                }
                State::Denotation if k.is_empty() => Ok(out),
                _ => Err("unexpected end of".into()),
            };
        }
        let last = chars[pos];
        pos += 1;
        if illegal.contains(&last) {
            return Err(format!("invalid token found {last}"));
        }
        state = match state {
            State::Index => {
                if last != ']' {
                    return Err("missing index value".into());
                }
                let idx = go_atoi(&k)?;
                if idx < 0 {
                    return Err(format!("negative index {idx} in set path"));
                }
                out.push(Cursor::Idx(idx as usize));
                State::Denotation
            }
            State::Denotation => match last {
                '.' => State::Key,
                '[' => State::Index,
                _ => return Err(format!("invalid denotation token {last}")),
            },
            State::Key => match last {
                '.' => {
                    out.push(Cursor::Key(k));
                    State::Key
                }
                '[' => {
                    if k.is_empty() {
                        buffered.clear();
                        State::Escaping
                    } else {
                        out.push(Cursor::Key(k));
                        State::Index
                    }
                }
                _ => return Err(format!("invalid key {last}")),
            },
            State::Escaping => match last {
                '.' => {
                    buffered.push_str(&k);
                    buffered.push('.');
                    State::Escaping
                }
                ']' => {
                    buffered.push_str(&k);
                    out.push(Cursor::Key(std::mem::take(&mut buffered)));
                    State::Denotation
                }
                _ => return Err(format!("invalid escaping token {last}")),
            },
        };
    }
}

fn go_atoi(s: &str) -> Result<i64, String> {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    if body.is_empty() || !body.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("strconv.Atoi: parsing {s:?}: invalid syntax"));
    }
    s.parse()
        .map_err(|_| format!("strconv.Atoi: parsing {s:?}: value out of range"))
}

fn nest(cursors: &[Cursor], value: &YV) -> YV {
    match cursors.split_first() {
        None => value.clone(),
        Some((Cursor::Key(k), rest)) => YV::Map(vec![(k.clone(), nest(rest, value))]),
        Some((Cursor::Idx(i), rest)) => {
            // A huge index would allocate without bound; helm-unittest would too, but a
            // typo should not take the machine down.
            let n = (*i).min(100_000);
            let mut items = vec![YV::Null; n];
            items.push(nest(rest, value));
            YV::Seq(items)
        }
    }
}

/// helm's `MergeTables(dst, src)`: keys of `src` missing from `dst` are copied; where both
/// hold maps they merge recursively; otherwise `dst` wins.
pub fn merge_tables(dst: YV, src: &YV) -> YV {
    match (dst, src) {
        (YV::Map(mut d), YV::Map(s)) => {
            for (k, sv) in s {
                match d.iter().position(|(dk, _)| dk == k) {
                    None => d.push((k.clone(), sv.clone())),
                    Some(i) => {
                        if matches!(d[i].1, YV::Map(_)) && matches!(sv, YV::Map(_)) {
                            let dv = std::mem::replace(&mut d[i].1, YV::Null);
                            d[i].1 = merge_tables(dv, sv);
                        }
                    }
                }
            }
            YV::Map(d)
        }
        (d, _) => d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> YV {
        YV::Map(vec![("foo".into(), YV::Str("bar".into()))])
    }

    #[test]
    fn builds_nested_values() {
        assert_eq!(
            build(&data(), "a.b").unwrap().fmt_v(),
            "map[a:map[b:map[foo:bar]]]"
        );
        assert_eq!(
            build(&data(), "a[1]").unwrap().fmt_v(),
            "map[a:[<nil> map[foo:bar]]]"
        );
        assert_eq!(
            build(&data(), "a[1].b").unwrap().fmt_v(),
            "map[a:[<nil> map[b:map[foo:bar]]]]"
        );
        assert_eq!(
            build(&YV::Int(1), "a.[b.c].d").unwrap().fmt_v(),
            "map[a:map[b.c:map[d:1]]]"
        );
    }

    #[test]
    fn errors_are_helm_unittests() {
        let e = |p: &str| build(&data(), p).unwrap_err();
        assert_eq!(e(""), "set path is empty");
        assert_eq!(e("{"), "invalid token found {");
        assert_eq!(e("[["), "invalid escaping token [");
        assert_eq!(e(".."), "unexpected end of");
        assert_eq!(e("foo[1.1]"), "missing index value");
        assert_eq!(e("foo[]"), "strconv.Atoi: parsing \"\": invalid syntax");
        assert_eq!(e("foo]"), "invalid key ]");
        assert_eq!(e("a["), "unexpected end of");
    }

    #[test]
    fn merge_keeps_destination() {
        let dst = YV::Map(vec![("a".into(), YV::Map(vec![("b".into(), YV::Null)]))]);
        let src = YV::Map(vec![
            (
                "a".into(),
                YV::Map(vec![("b".into(), YV::Int(1)), ("c".into(), YV::Int(2))]),
            ),
            ("d".into(), YV::Int(3)),
        ]);
        assert_eq!(
            merge_tables(dst, &src).fmt_v(),
            "map[a:map[b:<nil> c:2] d:3]"
        );
    }
}
