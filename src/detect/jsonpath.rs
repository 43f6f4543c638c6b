//! A zero-allocation JSON path walker with Trino's `json_extract` semantics.
//!
//! Paths are the subset Trino's JSON functions accept: `$`, `.key`, `["key"]` and
//! `[index]` (0-based). The walker scans the text once, skipping every value it does
//! not descend into, and returns the byte span of the value at the path. It never
//! panics and never recurses: nesting depth costs nothing but a counter.
//! Invalid JSON on the way to the value gives `None` (SQL NULL), as in Trino.

use std::borrow::Cow;

/// One step of a parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// Parses a Trino JSON path (`$.a.b[0]`, `$["a b"]`); `None` when it is not one.
pub fn parse_path(path: &str) -> Option<Vec<Step>> {
    let b = path.trim().as_bytes();
    if b.first() != Some(&b'$') {
        return None;
    }
    let mut steps = Vec::new();
    let mut i = 1;
    while i < b.len() {
        match b[i] {
            b'.' => {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && b[j] != b'.' && b[j] != b'[' {
                    j += 1;
                }
                if j == start {
                    return None;
                }
                steps.push(Step::Key(std::str::from_utf8(&b[start..j]).ok()?.to_string()));
                i = j;
            }
            b'[' => {
                let close = i + b[i..].iter().position(|&c| c == b']')?;
                let inner = std::str::from_utf8(&b[i + 1..close]).ok()?.trim();
                if let Some(quoted) = inner
                    .strip_prefix('"')
                    .and_then(|s| s.strip_suffix('"'))
                    .or_else(|| inner.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                {
                    steps.push(Step::Key(quoted.to_string()));
                } else {
                    steps.push(Step::Index(inner.parse().ok()?));
                }
                i = close + 1;
            }
            _ => return None,
        }
    }
    Some(steps)
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Scanner<'a> {
    fn ws(&mut self) {
        while self.i < self.b.len() && matches!(self.b[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    /// Skips a string starting at its opening quote; returns the span inside the quotes.
    fn string(&mut self) -> Option<(usize, usize)> {
        if self.peek() != Some(b'"') {
            return None;
        }
        let start = self.i + 1;
        let mut j = start;
        // Jumps to the next quote or backslash (most strings have neither inside), then
        // checks the bytes jumped over for the control characters JSON forbids there.
        while let Some(k) = memchr::memchr2(b'"', b'\\', self.b.get(j..)?) {
            let stop = j + k;
            if self.b[j..stop].iter().fold(false, |bad, &c| bad | (c < 0x20)) {
                return None;
            }
            if self.b[stop] == b'"' {
                self.i = stop + 1;
                return Some((start, stop));
            }
            // An escape: the byte after the backslash is skipped with it (a raw control
            // character there is invalid JSON too).
            if self.b.get(stop + 1).is_some_and(|&c| c < 0x20) {
                return None;
            }
            j = stop + 2;
        }
        None
    }

    /// Skips one value of any kind (iteratively, whatever its depth).
    fn skip_value(&mut self) -> Option<()> {
        self.ws();
        match self.peek()? {
            b'"' => self.string().map(|_| ()),
            b'{' | b'[' => {
                let mut depth = 0usize;
                loop {
                    self.ws();
                    match self.peek()? {
                        b'"' => {
                            self.string()?;
                        }
                        b'{' | b'[' => {
                            depth += 1;
                            self.i += 1;
                        }
                        b'}' | b']' => {
                            depth -= 1;
                            self.i += 1;
                            if depth == 0 {
                                return Some(());
                            }
                        }
                        b',' | b':' => self.i += 1,
                        _ => self.scalar()?,
                    }
                }
            }
            _ => self.scalar(),
        }
    }

    /// Skips a number, `true`, `false` or `null`, checking its spelling.
    fn scalar(&mut self) -> Option<()> {
        let start = self.i;
        while self.i < self.b.len()
            && !matches!(self.b[self.i], b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' | b':')
        {
            self.i += 1;
        }
        let tok = &self.b[start..self.i];
        let ok = match tok.first()? {
            b't' => tok == b"true",
            b'f' => tok == b"false",
            b'n' => tok == b"null",
            b'-' | b'0'..=b'9' => is_number(tok),
            _ => false,
        };
        ok.then_some(())
    }
}

fn is_number(tok: &[u8]) -> bool {
    let s = std::str::from_utf8(tok).unwrap_or("x");
    let digits = s.strip_prefix('-').unwrap_or(s);
    digits.starts_with(|c: char| c.is_ascii_digit()) && s.parse::<f64>().is_ok()
}

/// Compares a raw JSON string body (escapes unresolved) with a key.
fn key_equals(raw: &[u8], key: &str) -> bool {
    if !raw.contains(&b'\\') {
        return raw == key.as_bytes();
    }
    unescape(raw).is_some_and(|s| s == key)
}

/// Resolves the escapes of a JSON string body; `None` on a bad escape.
pub fn unescape(raw: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let c = raw[i];
        if c != b'\\' {
            let run = raw[i..].iter().position(|&c| c == b'\\').unwrap_or(raw.len() - i);
            out.push_str(std::str::from_utf8(&raw[i..i + run]).ok()?);
            i += run;
            continue;
        }
        let e = *raw.get(i + 1)?;
        i += 2;
        match e {
            b'"' => out.push('"'),
            b'\\' => out.push('\\'),
            b'/' => out.push('/'),
            b'b' => out.push('\u{8}'),
            b'f' => out.push('\u{c}'),
            b'n' => out.push('\n'),
            b'r' => out.push('\r'),
            b't' => out.push('\t'),
            b'u' => {
                let hex = |at: usize| -> Option<u32> {
                    u32::from_str_radix(std::str::from_utf8(raw.get(at..at + 4)?).ok()?, 16).ok()
                };
                let hi = hex(i)?;
                i += 4;
                let code = if (0xD800..0xDC00).contains(&hi) && raw.get(i) == Some(&b'\\') && raw.get(i + 1) == Some(&b'u') {
                    let lo = hex(i + 2)?;
                    i += 6;
                    0x10000 + ((hi - 0xD800) << 10) + (lo.wrapping_sub(0xDC00) & 0x3FF)
                } else {
                    hi
                };
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
            }
            _ => return None,
        }
    }
    Some(out)
}

/// The byte span of the value at `path` in `json`, or `None` when the path is
/// missing or the JSON on the way is invalid.
pub fn find(json: &[u8], path: &[Step]) -> Option<(usize, usize)> {
    let mut s = Scanner { b: json, i: 0 };
    for step in path {
        s.ws();
        match (step, s.peek()?) {
            (Step::Key(key), b'{') => {
                s.i += 1;
                if s.eat(b'}') {
                    return None;
                }
                loop {
                    s.ws();
                    let (ks, ke) = s.string()?;
                    if !s.eat(b':') {
                        return None;
                    }
                    if key_equals(&json[ks..ke], key) {
                        break;
                    }
                    s.skip_value()?;
                    if s.eat(b',') {
                        continue;
                    }
                    return None;
                }
            }
            (Step::Index(n), b'[') => {
                s.i += 1;
                if s.eat(b']') {
                    return None;
                }
                for _ in 0..*n {
                    s.skip_value()?;
                    if !s.eat(b',') {
                        return None;
                    }
                }
            }
            _ => return None,
        }
    }
    s.ws();
    let start = s.i;
    s.skip_value()?;
    Some((start, s.i))
}

/// Trino `json_extract_scalar`: the text of a string, number or boolean at the path;
/// `None` for objects, arrays, JSON null, a missing path or invalid JSON. Borrows from
/// `json` unless the string has escapes to resolve.
pub fn extract_scalar<'a>(json: &'a str, path: &[Step]) -> Option<Cow<'a, str>> {
    let (start, end) = find(json.as_bytes(), path)?;
    let v = &json[start..end];
    match v.as_bytes().first()? {
        b'"' => {
            let body = &v[1..v.len() - 1];
            if body.contains('\\') {
                unescape(body.as_bytes()).map(Cow::Owned)
            } else {
                Some(Cow::Borrowed(body))
            }
        }
        b'{' | b'[' | b'n' => None,
        _ => Some(Cow::Borrowed(v)),
    }
}

/// Trino `json_extract`: the JSON text of the value at the path (minified), `None` when
/// the path is missing or the JSON invalid. JSON null is the text `null`, as in Trino.
pub fn extract<'a>(json: &'a str, path: &[Step]) -> Option<Cow<'a, str>> {
    let (start, end) = find(json.as_bytes(), path)?;
    let v = &json[start..end];
    if v.bytes().any(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')) {
        // Re-serialise to drop insignificant whitespace (the lake's JSON is already minified).
        let value: serde_json::Value = serde_json::from_str(v).ok()?;
        return serde_json::to_string(&value).ok().map(Cow::Owned);
    }
    Some(Cow::Borrowed(v))
}

/// Trino `json_array_length`: elements of a JSON array, `None` for anything else.
pub fn array_length(json: &str) -> Option<i64> {
    let mut s = Scanner { b: json.as_bytes(), i: 0 };
    s.ws();
    if s.peek()? != b'[' {
        return None;
    }
    s.i += 1;
    if s.eat(b']') {
        return Some(0);
    }
    let mut n = 0;
    loop {
        s.skip_value()?;
        n += 1;
        if s.eat(b']') {
            return Some(n);
        }
        if !s.eat(b',') {
            return None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(json: &str, path: &str) -> Option<String> {
        extract_scalar(json, &parse_path(path).expect("path")).map(Cow::into_owned)
    }

    #[test]
    fn extract_scalar_follows_trino() {
        let j = r#"{"a":{"b":[10,{"c":"x\"y"},true]},"n":null,"s":"\u00e9t\u00e9","f":1.50,"o":{}}"#;
        let cases: &[(&str, Option<&str>)] = &[
            ("$.a.b[0]", Some("10")),
            ("$.a.b[1].c", Some("x\"y")),
            ("$.a.b[2]", Some("true")),
            ("$.a.b[3]", None),
            ("$.a.b", None),
            ("$.a", None),
            ("$.n", None),
            ("$.s", Some("été")),
            ("$.f", Some("1.50")),
            ("$.o", None),
            ("$.missing", None),
            ("$[\"a\"].b[0]", Some("10")),
            ("$.a.b.c", None),
        ];
        for (path, want) in cases {
            assert_eq!(scalar(j, path).as_deref(), *want, "{path}");
        }
    }

    #[test]
    fn invalid_json_is_null() {
        for bad in [r#"{"a":"#, r#"{"a" 1}"#, "not json", r#"{"a":tru}"#, "", r#"{"x":[1,2,"#, r#"{"x":1,"a"#] {
            assert_eq!(scalar(bad, "$.a"), None, "{bad}");
        }
    }

    #[test]
    fn extract_returns_minified_json() {
        let j = r#"{"a": {"b": [1, 2]}, "c":"v", "n":null}"#;
        let p = |s| parse_path(s).expect("path");
        assert_eq!(extract(j, &p("$.a")).as_deref(), Some(r#"{"b":[1,2]}"#));
        assert_eq!(extract(j, &p("$.c")).as_deref(), Some(r#""v""#));
        assert_eq!(extract(j, &p("$.n")).as_deref(), Some("null"));
        assert_eq!(extract(j, &p("$.z")), None);
        assert_eq!(array_length("[1,[2,3],{\"a\":[]}]"), Some(3));
        assert_eq!(array_length("[]"), Some(0));
        assert_eq!(array_length("{}"), None);
    }

    #[test]
    fn strings_are_skipped_across_escapes_and_control_characters_make_them_invalid() {
        // Values skipped on the way to the key: escaped quotes and backslashes, an escape
        // at a string's end, long strings, a backslash-quote in a key.
        let long = "x".repeat(5000);
        let j = format!(r#"{{"k\"1":"a\\","id":"{long}\"{long}","e":"\\\"","a":"found"}}"#);
        assert_eq!(scalar(&j, "$.a").as_deref(), Some("found"));
        assert_eq!(scalar(&j, "$.e").as_deref(), Some("\\\""));
        // A raw control character inside a string, before or after an escape, or right
        // after a backslash, is invalid JSON: null, as in Trino.
        for bad in ["{\"x\":\"a\tb\",\"a\":1}", "{\"x\":\"\\\"\nb\",\"a\":1}", "{\"x\":\"\\\n\",\"a\":1}", "{\"a\":\"b\u{1}\"}", "{\"x\":\"ab\\"] {
            assert_eq!(scalar(bad, "$.a"), None, "{bad:?}");
        }
        assert_eq!(scalar("{\"x\":\"a\\tb\",\"a\":1}", "$.a").as_deref(), Some("1"));
    }

    #[test]
    fn deep_nesting_does_not_recurse() {
        let deep = format!("{{\"x\":{}1{},\"a\":2}}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(scalar(&deep, "$.a").as_deref(), Some("2"));
    }

    #[test]
    fn bad_paths_are_rejected() {
        for p in ["a.b", "$.", "$[x]", "$[1", "$..a"] {
            assert!(parse_path(p).is_none(), "{p}");
        }
    }
}
