//! The AWS key layouts: what an object is, from its key alone.
//!
//! `[prefix/]AWSLogs/[o-orgid/]<account>/<folder>/<region>/YYYY/MM/DD/<file>` where
//! folder is `CloudTrail`, `CloudTrail-Digest`, `CloudTrail-Insight`,
//! `CloudTrail-NetworkActivity` or `CloudTrail-Aggregated`. Keys outside the layout
//! are still classified by a folder or file name carrying one of those strings,
//! else left to content sniffing.

/// The kind of CloudTrail object a key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ObjectKind {
    /// Management and data events: decoded into `cloudtrail`.
    CloudTrail,
    /// Hourly digest files (integrity validation).
    Digest,
    /// Insights events.
    Insight,
    /// Network activity events (VPC endpoints).
    NetworkActivity,
    /// Aggregated data-event summaries (a different record format).
    Aggregated,
    /// S3 server access logs (`...YYYY-MM-DD-hh-mm-ss-UniqueString`): decoded into `s3_access`.
    S3Access,
}

impl ObjectKind {
    fn from_folder(folder: &str) -> Option<Self> {
        Some(match folder {
            "CloudTrail" => Self::CloudTrail,
            "CloudTrail-Digest" => Self::Digest,
            "CloudTrail-Insight" => Self::Insight,
            "CloudTrail-NetworkActivity" => Self::NetworkActivity,
            "CloudTrail-Aggregated" => Self::Aggregated,
            _ => return None,
        })
    }

    /// Why a folder with this name is not listed, for the CloudTrail folders other than events.
    pub fn folder_skip_reason(folder: &str) -> Option<&'static str> {
        Self::from_folder(folder).and_then(Self::skip_reason)
    }

    /// Why an object of this kind is not decoded into the events table, if it is not.
    pub fn skip_reason(self) -> Option<&'static str> {
        match self {
            Self::CloudTrail | Self::S3Access => None,
            Self::Digest => Some("CloudTrail digest file (integrity validation, not events)"),
            Self::Insight => Some("CloudTrail Insights events (kept out of the events table)"),
            Self::NetworkActivity => {
                Some("CloudTrail network activity events (kept out of the events table)")
            }
            Self::Aggregated => Some("CloudTrail aggregated events (a different record format)"),
        }
    }
}

/// What the key says about an object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyLayout {
    pub kind: Option<ObjectKind>,
    pub org_id: Option<String>,
    pub account: Option<String>,
    pub region: Option<String>,
    /// Delivery date from the `YYYY/MM/DD` folders.
    pub date: Option<(i32, u32, u32)>,
}

/// Classifies a key (`/`-separated; a local path relative to the source works too).
pub fn parse_key(key: &str) -> KeyLayout {
    let parts: Vec<&str> = key.split('/').filter(|p| !p.is_empty()).collect();
    if let Some(pos) = parts.iter().rposition(|p| *p == "AWSLogs") {
        let rest = &parts[pos + 1..];
        let (org_id, rest) = match rest.first() {
            Some(p) if p.starts_with("o-") => (Some(p.to_string()), &rest[1..]),
            _ => (None, rest),
        };
        if rest.len() >= 2 {
            if let Some(kind) = ObjectKind::from_folder(rest[1]) {
                let date = match rest.get(3..6) {
                    Some([y, m, d]) => parse_date(y, m, d),
                    _ => None,
                };
                return KeyLayout {
                    kind: Some(kind),
                    org_id,
                    account: Some(rest[0].to_string()),
                    region: rest.get(2).map(|r| r.to_string()),
                    date,
                };
            }
        }
    }
    if let Some(date) = access_log_name_date(parts.last().copied().unwrap_or("")) {
        // `[prefix][account]/[region]/[bucket]/YYYY/MM/DD/<name>` when date-partitioned.
        let n = parts.len();
        let partitioned = n >= 7 && parse_date(parts[n - 4], parts[n - 3], parts[n - 2]).is_some();
        return KeyLayout {
            kind: Some(ObjectKind::S3Access),
            account: partitioned.then(|| parts[n - 7].to_string()),
            region: partitioned.then(|| parts[n - 6].to_string()),
            date: Some(date),
            ..KeyLayout::default()
        };
    }
    // Outside the layout: a folder named like one, or the file name pattern
    // `<account>_CloudTrail-Digest_<region>_...`.
    let kind = parts
        .iter()
        .rev()
        .skip(1)
        .find_map(|p| ObjectKind::from_folder(p))
        .or_else(|| {
            let name = parts.last()?;
            let mut fields = name.split('_');
            fields.next()?;
            ObjectKind::from_folder(fields.next()?)
        });
    KeyLayout { kind, ..KeyLayout::default() }
}

/// The date of an access-log object name: it ends `YYYY-MM-DD-hh-mm-ss-` + 16
/// upper-case hex characters (+ `.gz` if someone compressed it); a prefix may be
/// glued on (`logs2013-11-01-21-32-16-E568B2907131C0C0`).
fn access_log_name_date(name: &str) -> Option<(i32, u32, u32)> {
    let name = name.strip_suffix(".gz").unwrap_or(name);
    let tail = name.get(name.len().checked_sub(36)?..)?.as_bytes();
    let shape_ok = tail.iter().enumerate().all(|(i, &c)| match i {
        4 | 7 | 10 | 13 | 16 | 19 => c == b'-',
        20.. => c.is_ascii_digit() || (b'A'..=b'F').contains(&c),
        _ => c.is_ascii_digit(),
    });
    if !shape_ok {
        return None;
    }
    let t = std::str::from_utf8(tail).ok()?;
    parse_date(&t[0..4], &t[5..7], &t[8..10])
}

fn parse_date(y: &str, m: &str, d: &str) -> Option<(i32, u32, u32)> {
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    let (y, m, d) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// True for names a log reader considers: any name inside a CloudTrail layout
/// folder, else `.json`, `.json.gz` and `.gz` files. Hidden names (`.x`, `_x`) never.
pub fn is_candidate(key: &str, layout: &KeyLayout) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    if name.starts_with('.') || name.starts_with('_') {
        return false;
    }
    if (layout.kind.is_some() && layout.account.is_some()) || layout.kind == Some(ObjectKind::S3Access) {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".json") || lower.ends_with(".gz")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_key_reads_every_layout() {
        let k = parse_key("logs/AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz");
        assert_eq!(k.kind, Some(ObjectKind::CloudTrail));
        assert_eq!(k.account.as_deref(), Some("111122223333"));
        assert_eq!(k.region.as_deref(), Some("us-east-2"));
        assert_eq!(k.date, Some((2015, 8, 1)));
        assert_eq!(k.org_id, None);

        let k = parse_key("AWSLogs/o-exampleorgid/111122223333/CloudTrail/eu-west-1/2022/08/08/f.json.gz");
        assert_eq!(k.org_id.as_deref(), Some("o-exampleorgid"));
        assert_eq!(k.account.as_deref(), Some("111122223333"));
        assert_eq!(k.kind, Some(ObjectKind::CloudTrail));

        for (folder, kind) in [
            ("CloudTrail-Digest", ObjectKind::Digest),
            ("CloudTrail-Insight", ObjectKind::Insight),
            ("CloudTrail-NetworkActivity", ObjectKind::NetworkActivity),
            ("CloudTrail-Aggregated", ObjectKind::Aggregated),
        ] {
            let k = parse_key(&format!("AWSLogs/123456789012/{folder}/us-east-1/2024/01/02/x.json.gz"));
            assert_eq!(k.kind, Some(kind), "{folder}");
            assert!(kind.skip_reason().is_some());
        }
        assert_eq!(parse_key("corpus/CloudTrail-Digest/example-digest-0.json.gz").kind, Some(ObjectKind::Digest));
        assert_eq!(
            parse_key("x/123456789015_CloudTrail-Insight_ca-central-1_20200923T0516Z_KL5e9VCV2SS7IqzB.json.gz").kind,
            Some(ObjectKind::Insight)
        );
        assert_eq!(parse_key("corpus/cloudtrail/panther/rule.json.gz").kind, None);
        assert_eq!(parse_key("AWSLogs/123/CloudTrail/us-east-1/2024/13/02/x").date, None);

        let k = parse_key("logs/2013-11-01-21-32-16-E568B2907131C0C0");
        assert_eq!((k.kind, k.date, k.account), (Some(ObjectKind::S3Access), Some((2013, 11, 1)), None));
        assert_eq!(parse_key("logs2013-11-01-21-32-16-E568B2907131C0C0").kind, Some(ObjectKind::S3Access));
        let k = parse_key("logs/123456789012/us-west-2/src-bucket/2023/03/01/2023-03-01-00-00-00-E568B2907131C0C0.gz");
        assert_eq!(k.kind, Some(ObjectKind::S3Access));
        assert_eq!(k.account.as_deref(), Some("123456789012"));
        assert_eq!(k.region.as_deref(), Some("us-west-2"));
        assert_eq!(k.date, Some((2023, 3, 1)));
        assert_eq!(parse_key("logs/2013-11-01-21-32-16-e568b2907131c0c0").kind, None);
        assert_eq!(parse_key("logs/2013-13-01-21-32-16-E568B2907131C0C0").kind, None);
    }

    #[test]
    fn is_candidate_skips_hidden_and_foreign_files() {
        let inside = parse_key("AWSLogs/1/CloudTrail/r/2024/01/01/anything");
        assert!(is_candidate("AWSLogs/1/CloudTrail/r/2024/01/01/anything", &inside));
        let none = KeyLayout::default();
        assert!(is_candidate("a/b.json.gz", &none));
        assert!(is_candidate("a/B.JSON", &none));
        assert!(!is_candidate("a/labels.jsonl", &none));
        assert!(!is_candidate("a/.hidden.json.gz", &none));
        assert!(!is_candidate("a/_runs.json", &none));
        assert!(!is_candidate("lake/x.parquet", &none));
        let access = "logs/2013-11-01-21-32-16-E568B2907131C0C0";
        assert!(is_candidate(access, &parse_key(access)));
    }
}
