//! Row filters for forensic pulls: principals, event sources, event names.
//!
//! Applied while decoding, before a row is built; a row that does not match is
//! counted (`rows_filtered`), not written. Every list empty means no filter.

/// What rows to keep, besides the day range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowFilter {
    /// An ARN, a user or role name, or a session name: matches `userIdentity.arn`,
    /// `userName`, the session issuer's ARN or name, the last segment of the ARN
    /// (`.../Role/session`), and for access logs the requester.
    pub principals: Vec<String>,
    /// `sagemaker.amazonaws.com` or just `sagemaker`.
    pub event_sources: Vec<String>,
    /// `CreateTrainingJob`; for access logs, the operation (`REST.GET.OBJECT`).
    pub event_names: Vec<String>,
}

impl RowFilter {
    pub fn is_empty(&self) -> bool {
        self.principals.is_empty() && self.event_sources.is_empty() && self.event_names.is_empty()
    }

    /// The event source passes (`s3` and `s3.amazonaws.com` both match `s3.amazonaws.com`).
    pub fn source_ok(&self, source: Option<&str>) -> bool {
        self.event_sources.is_empty()
            || source.is_some_and(|s| {
                self.event_sources.iter().any(|want| {
                    s.eq_ignore_ascii_case(want)
                        || s.strip_suffix(".amazonaws.com").is_some_and(|short| short.eq_ignore_ascii_case(want))
                })
            })
    }

    /// The event name (or access-log operation) passes.
    pub fn name_ok(&self, name: Option<&str>) -> bool {
        self.event_names.is_empty() || name.is_some_and(|n| self.event_names.iter().any(|w| n.eq_ignore_ascii_case(w)))
    }

    /// Whether any of `identities` (ARNs, names, principal ids) is a wanted principal.
    pub fn principal_ok<'a>(&self, identities: impl IntoIterator<Item = &'a str>) -> bool {
        if self.principals.is_empty() {
            return true;
        }
        identities.into_iter().any(|id| {
            !id.is_empty()
                && self.principals.iter().any(|want| {
                    id == want
                        || id.rsplit_once('/').is_some_and(|(_, last)| last == want)
                        || id.rsplit_once(':').is_some_and(|(_, last)| last == want)
                })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn row_filter_matches_names_arns_and_short_sources() {
        let f = RowFilter {
            principals: vec!["alice".into(), "arn:aws:iam::111122223333:role/Deploy".into()],
            event_sources: vec!["sagemaker".into()],
            event_names: vec!["CreateTrainingJob".into()],
        };
        assert!(f.source_ok(Some("sagemaker.amazonaws.com")));
        assert!(!f.source_ok(Some("s3.amazonaws.com")) && !f.source_ok(None));
        assert!(f.name_ok(Some("createtrainingjob")) && !f.name_ok(Some("CreateEndpoint")));
        assert!(f.principal_ok(["arn:aws:iam::111122223333:user/alice"]));
        assert!(f.principal_ok(["arn:aws:sts::111122223333:assumed-role/Admin/alice"]));
        assert!(f.principal_ok(["AROAEXAMPLE:alice"]));
        assert!(f.principal_ok(["", "arn:aws:iam::111122223333:role/Deploy"]));
        assert!(!f.principal_ok(["arn:aws:iam::111122223333:user/alicex", "bob"]));
        assert!(RowFilter::default().principal_ok(std::iter::empty()));
    }
}
