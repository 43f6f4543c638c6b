//! The detection pack: `queries/<table>/<id>.sql` files, each a comment header and one
//! SELECT. The pack shipped in the repository is compiled into the binary (build.rs),
//! so an installed trailhound needs no files beside it; `--queries DIR` reads another.
//!
//! Header lines (`-- key: value`, before the first non-comment line):
//! `id` (must equal the file stem), `title`, `severity` (info, low, medium, high,
//! critical), `technique` (ATT&CK id, or `-`), `guidance` (G1-G16, comma-separated),
//! `catalogue` (rows of the detection catalogue it implements, or `-`), `description`,
//! `false_positives`, and optionally `requires` (site-config lists the rule means
//! nothing without, e.g. `approved_regions`: while one is empty the rule does not run and
//! the run says so). Lines that start with `--   ` continue the previous key.

use std::path::Path;

use crate::error::{Error, Result};

include!(concat!(env!("OUT_DIR"), "/builtin_queries.rs"));

/// Finding severities, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "info" => Severity::Info,
            "low" => Severity::Low,
            "medium" => Severity::Medium,
            "high" => Severity::High,
            "critical" => Severity::Critical,
            _ => return None,
        })
    }
}

/// One detection: its header and its SQL.
#[derive(Debug, Clone)]
pub struct Detection {
    pub id: String,
    /// The table folder it lives in (`cloudtrail`, `s3_access`).
    pub table: String,
    pub title: String,
    pub severity: Severity,
    /// ATT&CK technique id, or `-`.
    pub technique: String,
    /// Guidance items it enforces (`G1`...).
    pub guidance: Vec<String>,
    /// Rows of the detection catalogue (spec/detections.md) it implements.
    pub catalogue: Vec<u32>,
    pub description: String,
    pub false_positives: String,
    /// Site-config lists that must be set for the rule to run (see [`SiteConfig::list_is_set`]).
    ///
    /// [`SiteConfig::list_is_set`]: super::config::SiteConfig::list_is_set
    pub requires: Vec<String>,
    /// `queries/<table>/<id>.sql`, for messages.
    pub path: String,
    pub sql: String,
}

impl Detection {
    /// Whether the query reads the history tables (and so waits for enough history).
    pub fn uses_history(&self) -> bool {
        let sql = self.sql.to_ascii_lowercase();
        sql.contains("cloudtrail_history") || sql.contains("s3_access_history")
    }

    /// Parses one file; `path` is `<table>/<id>.sql` relative to the queries folder.
    ///
    /// # Errors
    /// [`Error::Detection`] naming the file and the header problem.
    pub fn parse(path: &str, text: &str) -> Result<Self> {
        let bad = |reason: String| Error::Detection { file: format!("queries/{path}"), reason };
        let rel = Path::new(path);
        let table = rel
            .parent()
            .and_then(|p| p.to_str())
            .filter(|p| !p.is_empty())
            .ok_or_else(|| bad("must be in a table folder: queries/<table>/<id>.sql".into()))?
            .to_string();
        let stem = rel.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        let mut fields: Vec<(String, String)> = Vec::new();
        let mut body_start = text.len();
        let mut offset = 0;
        for line in text.split_inclusive('\n') {
            let trimmed = line.trim();
            if let Some(comment) = trimmed.strip_prefix("--") {
                if let Some(cont) = comment.strip_prefix("   ") {
                    if let Some(last) = fields.last_mut() {
                        last.1.push(' ');
                        last.1.push_str(cont.trim());
                    }
                } else if let Some((k, v)) = comment.split_once(':') {
                    fields.push((k.trim().to_string(), v.trim().to_string()));
                }
            } else if !trimmed.is_empty() {
                body_start = offset;
                break;
            }
            offset += line.len();
        }
        let get = |key: &str| fields.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone());
        let need = |key: &str| get(key).filter(|v| !v.is_empty()).ok_or_else(|| bad(format!("header has no `-- {key}:` line")));
        let id = need("id")?;
        if id != stem {
            return Err(bad(format!("header id {id:?} is not the file name {stem:?}")));
        }
        let severity_text = need("severity")?;
        let severity = Severity::parse(&severity_text)
            .ok_or_else(|| bad(format!("severity {severity_text:?} is not info, low, medium, high or critical")))?;
        let guidance: Vec<String> = need("guidance")?.split(',').map(|g| g.trim().to_string()).filter(|g| !g.is_empty()).collect();
        for g in &guidance {
            let n: Option<u32> = g.strip_prefix('G').and_then(|n| n.parse().ok());
            if !n.is_some_and(|n| (1..=16).contains(&n)) {
                return Err(bad(format!("guidance {g:?} is not one of G1-G16")));
            }
        }
        let requires: Vec<String> = get("requires").unwrap_or_default().split(',').map(|r| r.trim().to_string()).filter(|r| !r.is_empty()).collect();
        if let Some(unknown) = requires.iter().find(|r| !super::config::LIST_SETTINGS.contains(&r.as_str())) {
            return Err(bad(format!("requires {unknown:?} is not a site-config list ({})", super::config::LIST_SETTINGS.join(", "))));
        }
        let catalogue_text = need("catalogue")?;
        let mut catalogue = Vec::new();
        for part in catalogue_text.split(',').map(str::trim).filter(|p| !p.is_empty() && *p != "-") {
            catalogue.push(part.parse().map_err(|_| bad(format!("catalogue row {part:?} is not a number")))?);
        }
        let sql = text[body_start..].trim().trim_end_matches(';').trim().to_string();
        if sql.is_empty() {
            return Err(bad("no SELECT after the header".into()));
        }
        Ok(Self {
            id,
            table,
            title: need("title")?,
            severity,
            technique: need("technique")?,
            guidance,
            catalogue,
            description: need("description")?,
            false_positives: get("false_positives").unwrap_or_default(),
            requires,
            path: format!("queries/{path}"),
            sql,
        })
    }
}

/// A set of detections, sorted by id.
#[derive(Debug, Clone, Default)]
pub struct DetectionSet {
    pub detections: Vec<Detection>,
}

impl DetectionSet {
    /// The pack compiled into the binary.
    ///
    /// # Errors
    /// A file of the pack with a bad header (caught by the test suite).
    pub fn builtin() -> Result<Self> {
        Self::from_files(BUILTIN_QUERIES.iter().map(|(p, t)| (p.to_string(), t.to_string())))
    }

    /// Every `<table>/<id>.sql` under `dir`.
    ///
    /// # Errors
    /// An unreadable folder or file, or a bad header.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let mut files = Vec::new();
        let read_dir = |d: &Path| std::fs::read_dir(d).map_err(|e| Error::Config(format!("queries folder {}: {e}", d.display())));
        for table in read_dir(dir)? {
            let table = table.map_err(|e| Error::Config(format!("queries folder {}: {e}", dir.display())))?.path();
            if !table.is_dir() {
                continue;
            }
            for file in read_dir(&table)? {
                let file = file.map_err(|e| Error::Config(format!("queries folder {}: {e}", table.display())))?.path();
                if file.extension().is_some_and(|e| e == "sql") {
                    let text = std::fs::read_to_string(&file)
                        .map_err(|e| Error::Config(format!("detection {}: {e}", file.display())))?;
                    let rel = file.strip_prefix(dir).unwrap_or(&file).to_string_lossy().replace('\\', "/");
                    files.push((rel, text));
                }
            }
        }
        Self::from_files(files.into_iter())
    }

    fn from_files(files: impl Iterator<Item = (String, String)>) -> Result<Self> {
        let mut detections = Vec::new();
        for (path, text) in files {
            detections.push(Detection::parse(&path, &text)?);
        }
        detections.sort_by(|a, b| a.id.cmp(&b.id));
        for pair in detections.windows(2) {
            if pair[0].id == pair[1].id {
                return Err(Error::Detection { file: pair[1].path.clone(), reason: format!("id {:?} is used twice", pair[1].id) });
            }
        }
        Ok(Self { detections })
    }

    /// The detections whose id matches any of the glob patterns (all when empty).
    ///
    /// # Errors
    /// A bad pattern, or patterns that select nothing.
    pub fn select(self, patterns: &[String]) -> Result<Self> {
        if patterns.is_empty() {
            return Ok(self);
        }
        let mut globs = Vec::new();
        for p in patterns {
            globs.push(glob::Pattern::new(p).map_err(|e| Error::Config(format!("--detections {p:?}: {e}")))?);
        }
        let detections: Vec<Detection> = self
            .detections
            .into_iter()
            .filter(|d| globs.iter().any(|g| g.matches(&d.id) || g.matches(&format!("{}/{}", d.table, d.id))))
            .collect();
        if detections.is_empty() {
            return Err(Error::Config(format!("--detections {} matches no detection", patterns.join(","))));
        }
        Ok(Self { detections })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "-- id: x_rule\n-- title: A rule\n-- severity: high\n-- technique: T1078\n-- guidance: G1, G16\n-- catalogue: 1, 57\n-- description: Fires\n--   on things.\n-- false_positives: none\nSELECT 1\n;\n";

    #[test]
    fn header_parses_and_errors_name_the_file() {
        let d = Detection::parse("cloudtrail/x_rule.sql", GOOD).expect("good");
        assert_eq!((d.id.as_str(), d.table.as_str(), d.severity), ("x_rule", "cloudtrail", Severity::High));
        assert_eq!(d.guidance, vec!["G1", "G16"]);
        assert_eq!(d.catalogue, vec![1, 57]);
        assert_eq!(d.description, "Fires on things.");
        assert_eq!(d.sql, "SELECT 1");
        for (text, says) in [
            (GOOD.replace("x_rule\n", "y\n"), "is not the file name"),
            (GOOD.replace("high", "urgent"), "severity"),
            (GOOD.replace("G16", "G17"), "G1-G16"),
            (GOOD.replace("-- title: A rule\n", ""), "title"),
        ] {
            let e = Detection::parse("cloudtrail/x_rule.sql", &text).expect_err(says).to_string();
            assert!(e.contains("queries/cloudtrail/x_rule.sql") && e.contains(says), "{e}");
        }
    }
}
