//! Compiles the detection pack (`queries/<table>/<id>.sql`) into the binary, so an
//! installed trailhound runs the pack without files beside it.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    if let Ok(tables) = std::fs::read_dir(&root) {
        for table in tables.flatten() {
            let table = table.path();
            println!("cargo:rerun-if-changed={}", table.display());
            if let Ok(entries) = std::fs::read_dir(&table) {
                for file in entries.flatten() {
                    let file = file.path();
                    if file.extension().is_some_and(|e| e == "sql") {
                        println!("cargo:rerun-if-changed={}", file.display());
                        let rel = file.strip_prefix(&root).expect("under queries/").to_string_lossy().replace('\\', "/");
                        files.push((rel, file));
                    }
                }
            }
        }
    }
    files.sort();
    let mut out = String::from("/// `(path relative to queries/, text)` of every detection in the repository.\npub static BUILTIN_QUERIES: &[(&str, &str)] = &[\n");
    for (rel, file) in files {
        writeln!(out, "    ({rel:?}, include_str!({:?})),", file.display().to_string()).expect("string");
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("builtin_queries.rs");
    std::fs::write(dest, out).expect("write builtin_queries.rs");
}
