//! Finding the records of a CloudTrail object that does not parse as a whole.
//!
//! One bad record (invalid UTF-8, a syntax error, nesting past the cap, a number the
//! parser refuses) or a cut-off tail makes simd-json reject the whole document. The
//! framing of a log file is simple, so [`split_records`] finds each element of the
//! `Records` array by its quotes and brackets alone, and the decoder then parses
//! each element on its own: good records are kept, each bad one is quarantined with
//! its position. The scan is one iterative pass with a bracket stack: no recursion,
//! whatever the depth, and no allocation but the stack and the ranges.

use std::ops::Range;

/// The `Records` elements found, in order.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Split {
    /// Byte ranges of the elements. The last one may be cut (see [`Self::cut`]).
    pub records: Vec<Range<usize>>,
    /// True when the content ends inside the last range.
    pub cut: bool,
    /// Where the array stopped making sense (byte offset), and why: the bytes from
    /// there to the end are not framed as records.
    pub broken: Option<(usize, &'static str)>,
}

/// Splits the `Records` array of the object starting at `start` (a `{`).
///
/// `None` when no `Records` array is found before the framing breaks: the object is
/// then rejected as a whole, with the parser's error.
pub(crate) fn split_records(input: &[u8], start: usize) -> Option<Split> {
    let mut p = start;
    if input.get(p) != Some(&b'{') {
        return None;
    }
    p += 1;
    loop {
        p = skip_ws(input, p);
        match input.get(p)? {
            b',' => {
                p += 1;
                continue;
            }
            b'"' => {}
            _ => return None,
        }
        let key_end = skip_string(input, p)?;
        let key = &input[p + 1..key_end - 1];
        p = skip_ws(input, key_end);
        if input.get(p) != Some(&b':') {
            return None;
        }
        p = skip_ws(input, p + 1);
        if key == b"Records" {
            return (input.get(p) == Some(&b'[')).then(|| split_array(input, p + 1));
        }
        p = match skip_value(input, p) {
            Value::Complete(end) => end,
            Value::Cut | Value::Broken(_) => return None,
        };
    }
}

fn split_array(input: &[u8], mut p: usize) -> Split {
    let mut split = Split::default();
    loop {
        p = skip_ws(input, p);
        match input.get(p) {
            None => {
                split.broken = Some((p, "the content ends inside the Records array"));
                return split;
            }
            Some(b']') => return split,
            Some(_) => {}
        }
        let start = p;
        match skip_value(input, p) {
            Value::Complete(end) => {
                split.records.push(start..end);
                p = end;
            }
            Value::Cut => {
                split.records.push(start..input.len());
                split.cut = true;
                return split;
            }
            Value::Broken(at) => {
                // The element is unreadable from `at` on: keep it up to there as one
                // bad record and stop framing; the rest is one unframed remainder.
                split.records.push(start..at);
                split.broken = Some((at, "brackets do not match"));
                return split;
            }
        }
        p = skip_ws(input, p);
        match input.get(p) {
            Some(b',') => p += 1,
            Some(b']') => return split,
            None => {
                // The last record is whole but the array is not closed.
                split.broken = Some((p, "the content ends inside the Records array"));
                return split;
            }
            Some(_) => {
                split.broken = Some((p, "a record is followed by neither ',' nor ']'"));
                return split;
            }
        }
    }
}

enum Value {
    /// The value ends before this offset.
    Complete(usize),
    /// The content ends inside the value.
    Cut,
    /// A closing bracket at this offset does not match its opening one.
    Broken(usize),
}

fn skip_ws(input: &[u8], mut p: usize) -> usize {
    while input.get(p).is_some_and(u8::is_ascii_whitespace) {
        p += 1;
    }
    p
}

/// The offset just past the closing quote of the string opening at `p`.
fn skip_string(input: &[u8], p: usize) -> Option<usize> {
    let mut i = p + 1;
    while i < input.len() {
        match input[i] {
            b'"' => return Some(i + 1),
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
    None
}

fn skip_value(input: &[u8], p: usize) -> Value {
    match input.get(p) {
        None => Value::Cut,
        Some(b'"') => skip_string(input, p).map_or(Value::Cut, Value::Complete),
        Some(b'{' | b'[') => {
            let mut open: Vec<u8> = Vec::new();
            let mut i = p;
            while i < input.len() {
                match input[i] {
                    b'"' => match skip_string(input, i) {
                        Some(end) => {
                            i = end;
                            continue;
                        }
                        None => return Value::Cut,
                    },
                    b @ (b'{' | b'[') => open.push(b),
                    b @ (b'}' | b']') => {
                        let want = if b == b'}' { b'{' } else { b'[' };
                        if open.pop() != Some(want) {
                            return Value::Broken(i);
                        }
                        if open.is_empty() {
                            return Value::Complete(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            Value::Cut
        }
        Some(_) => {
            // A scalar (number, literal, or junk): up to the next delimiter.
            let mut i = p;
            while i < input.len() && !matches!(input[i], b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                i += 1;
            }
            if i == input.len() { Value::Cut } else { Value::Complete(i) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts<'a>(input: &'a [u8], split: &Split) -> Vec<&'a str> {
        split.records.iter().map(|r| std::str::from_utf8(&input[r.clone()]).unwrap_or("<not utf-8>")).collect()
    }

    #[test]
    fn split_finds_each_record_whatever_is_inside() {
        let doc = br#"{"v":{"a":[1,"]"]},"Records":[ {"a":"x\"}"} ,{"b":[{}]},42,"s",null ,{"c":"\xff"}],"z":1}"#;
        let split = split_records(doc, 0).expect("framed");
        assert_eq!(texts(doc, &split)[..5], [r#"{"a":"x\"}"}"#, r#"{"b":[{}]}"#, "42", r#""s""#, "null"]);
        assert_eq!(split.records.len(), 6);
        assert!(!split.cut);
        assert_eq!(split.broken, None);
    }

    #[test]
    fn split_reports_cut_and_broken_content() {
        let doc = br#"{"Records":[{"a":1},{"b":[1,2"#;
        let split = split_records(doc, 0).expect("framed");
        assert_eq!(texts(doc, &split), [r#"{"a":1}"#, r#"{"b":[1,2"#]);
        assert!(split.cut);

        let doc = br#"{"Records":[{"a":1},{"b":[1}],{"c":3}]}"#;
        let split = split_records(doc, 0).expect("framed");
        assert_eq!(texts(doc, &split), [r#"{"a":1}"#, r#"{"b":[1"#]);
        assert_eq!(split.broken.map(|b| b.0), Some(27));

        let doc = br#"{"Records":[{"a":1} x {"b":2}]}"#;
        let split = split_records(doc, 0).expect("framed");
        assert_eq!(texts(doc, &split), [r#"{"a":1}"#]);
        assert_eq!(split.broken.map(|b| b.0), Some(20));

        let doc = br#"{"Records":[{"a":1}"#;
        let split = split_records(doc, 0).expect("framed");
        assert_eq!(texts(doc, &split), [r#"{"a":1}"#]);
        assert!(!split.cut);
        assert!(split.broken.is_some());
    }

    #[test]
    fn split_gives_up_without_a_records_array() {
        assert_eq!(split_records(br#"{"events":[]}"#, 0), None);
        assert_eq!(split_records(br#"{"Records":{}}"#, 0), None);
        assert_eq!(split_records(br#"{"a":[}"#, 0), None);
        assert_eq!(split_records(b"[1,2]", 0), None);
        assert_eq!(split_records(br#"{"Recor"#, 0), None);
        let deep = format!(r#"{{"x":{}{},"Records":[{{}}]}}"#, "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(split_records(deep.as_bytes(), 0).map(|s| s.records.len()), Some(1));
    }
}
