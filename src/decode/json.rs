//! Writing parts of a simd-json tape back out as JSON text.
//!
//! Used for the columns that keep JSON text (`requestparameters`, ...), for values
//! that land in `unmapped`, and for the quarantine. Output is minified, strings are
//! escaped per RFC 8259, non-ASCII stays raw UTF-8, numbers are written in their
//! shortest round-trip form. Recursion depth is bounded by the parser's depth limit.

use std::fmt::Write as _;

use simd_json::{Node, StaticNode};

/// Number of tape nodes the value starting at `i` spans (1 for scalars).
#[inline]
pub fn span(tape: &[Node<'_>], i: usize) -> usize {
    match tape[i] {
        Node::Object { count, .. } | Node::Array { count, .. } => count + 1,
        _ => 1,
    }
}

/// A short name for the JSON type of the node, for error messages.
pub fn type_name(node: &Node<'_>) -> &'static str {
    match node {
        Node::String(_) => "string",
        Node::Object { .. } => "object",
        Node::Array { .. } => "array",
        Node::Static(StaticNode::Null) => "null",
        Node::Static(StaticNode::Bool(_)) => "boolean",
        Node::Static(_) => "number",
    }
}

/// Appends a scalar's text form: numbers as written by [`write_static`], booleans as
/// `true`/`false`. Returns false for `null`.
pub fn write_scalar_text(node: StaticNode, out: &mut String) -> bool {
    match node {
        StaticNode::Null => false,
        other => {
            write_static(other, out);
            true
        }
    }
}

/// Appends a non-string scalar as JSON.
pub fn write_static(node: StaticNode, out: &mut String) {
    // `write!` into a String cannot fail.
    let _ = match node {
        StaticNode::Null => {
            out.push_str("null");
            Ok(())
        }
        StaticNode::Bool(b) => {
            out.push_str(if b { "true" } else { "false" });
            Ok(())
        }
        StaticNode::I64(v) => write!(out, "{v}"),
        StaticNode::U64(v) => write!(out, "{v}"),
        // Display for f64 is the shortest text that parses back to the same value
        // and never uses exponent notation, so it is always valid JSON.
        StaticNode::F64(v) if v.is_finite() => {
            if v.fract() == 0.0 && v.abs() < 1e16 {
                write!(out, "{v:.1}")
            } else {
                write!(out, "{v}")
            }
        }
        StaticNode::F64(_) => {
            out.push_str("null");
            Ok(())
        }
    };
}

/// Appends `s` as a quoted JSON string.
pub fn write_str(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let esc: &str = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f | 0x7f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            let _ = write!(out, "\\u{:04x}", b);
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends the value starting at tape index `i` as minified JSON; returns the index after it.
pub fn write_value(tape: &[Node<'_>], i: usize, out: &mut String) -> usize {
    match tape[i] {
        Node::String(s) => {
            write_str(s, out);
            i + 1
        }
        Node::Static(n) => {
            write_static(n, out);
            i + 1
        }
        Node::Object { len, .. } => {
            out.push('{');
            let mut j = i + 1;
            for k in 0..len {
                if k > 0 {
                    out.push(',');
                }
                if let Node::String(key) = tape[j] {
                    write_str(key, out);
                }
                out.push(':');
                j = write_value(tape, j + 1, out);
            }
            out.push('}');
            j
        }
        Node::Array { len, .. } => {
            out.push('[');
            let mut j = i + 1;
            for k in 0..len {
                if k > 0 {
                    out.push(',');
                }
                j = write_value(tape, j, out);
            }
            out.push(']');
            j
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(input: &str) -> String {
        let mut bytes = input.as_bytes().to_vec();
        let tape = simd_json::to_tape(&mut bytes).expect("valid json");
        let mut out = String::new();
        let end = write_value(&tape.0, 0, &mut out);
        assert_eq!(end, tape.0.len());
        assert_eq!(span(&tape.0, 0), tape.0.len());
        out
    }

    #[test]
    fn write_value_round_trips_json_values() {
        let cases = [
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
            r#"{"k":"quote \" back \\ nl \n tab \t ctl \u0001 del \u007f"}"#,
            r#"{"ko":"안녕하세요 🤖"}"#,
            r#"[0.0000882145,0.6,-3,18446744073709551615,-9223372036854775808,1726046908000]"#,
            r#"{"empty":{},"arr":[]}"#,
            r#"[1.0,2.5e3,1e300]"#,
        ];
        for c in cases {
            let out = roundtrip(c);
            let want: serde_json::Value = serde_json::from_str(c).expect("test input");
            let got: serde_json::Value = serde_json::from_str(&out).expect("our output is JSON");
            assert_eq!(got, want, "{c} -> {out}");
        }
        assert_eq!(roundtrip(r#"{"x":"\ud83e\udd16"}"#), "{\"x\":\"🤖\"}");
    }
}
