//! The listing plan: list only the prefixes a run needs, many at a time.
//!
//! Under an `AWSLogs/` layout the plan is built level by level: organisation ids and
//! accounts (given, or discovered with one delimiter listing per parent), then
//! `<account>/CloudTrail/`, regions (given or discovered), then one prefix per
//! delivery day `YYYY/MM/DD/` of the range (its last day + 1 for late deliveries).
//! `CloudTrail-Digest/`, `-Insight/`, `-NetworkActivity/` and `-Aggregated/` folders
//! are never listed. Elsewhere the walk descends folder by folder, pruning
//! `YYYY/MM/DD` folders, accounts and regions that the filters rule out, and lists
//! S3 access logs in the simple layout (`prefixYYYY-MM-DD-hh-mm-ss-...`) from the
//! range's first day on (S3 `start-after`), stopping past its last. Levels are listed
//! concurrently; every list call is counted.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures::{stream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore};

use super::layout::ObjectKind;
use crate::decode::time::civil_from_days;
use crate::error::{Error, Result};
use crate::pipeline::DayRange;

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub days: Option<DayRange>,
    /// Account ids to keep (all when empty).
    pub accounts: Vec<String>,
    /// Regions to keep (all when empty).
    pub regions: Vec<String>,
}

/// The objects found and what the plan left out.
#[derive(Debug, Default)]
pub struct Planned {
    pub objects: Vec<ObjectMeta>,
    /// Folders deliberately not listed, with why.
    pub folders_not_listed: Vec<(String, &'static str)>,
}

/// Receives each object as soon as its listing page arrives.
pub type Emit = Arc<dyn Fn(ObjectMeta) + Send + Sync>;

/// Lists a store by plan.
pub struct Lister {
    store: Arc<dyn ObjectStore>,
    filter: ListFilter,
    concurrency: usize,
    /// List calls made (each may be several pages).
    pub list_calls: AtomicU64,
    emit: Option<Emit>,
    collected: std::sync::Mutex<Vec<ObjectMeta>>,
}

const MAX_DEPTH: usize = 32;

fn name(p: &Path) -> &str {
    p.filename().unwrap_or("")
}

fn child(p: &Path, segment: &str) -> Path {
    let base = p.as_ref();
    if base.is_empty() {
        Path::from(segment)
    } else {
        Path::from(format!("{base}/{segment}"))
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn is_year(s: &str) -> bool {
    s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, ...
fn is_region(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts.last().is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn day_string(day: i64) -> (String, String, String) {
    let (y, m, d) = civil_from_days(day);
    (format!("{y:04}"), format!("{m:02}"), format!("{d:02}"))
}

impl Lister {
    /// A lister that collects the objects into [`Planned::objects`].
    pub fn new(store: Arc<dyn ObjectStore>, filter: ListFilter, concurrency: usize) -> Self {
        Self {
            store,
            filter,
            concurrency: concurrency.max(1),
            list_calls: AtomicU64::new(0),
            emit: None,
            collected: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Hands each object to `emit` as its page arrives (so fetching starts before
    /// listing ends) instead of collecting them.
    pub fn with_emit(mut self, emit: Emit) -> Self {
        self.emit = Some(emit);
        self
    }

    fn emit(&self, meta: ObjectMeta) {
        match &self.emit {
            Some(f) => f(meta),
            None => {
                if let Ok(mut c) = self.collected.lock() {
                    c.push(meta);
                }
            }
        }
    }

    async fn children(&self, prefix: &Path) -> Result<(Vec<Path>, Vec<ObjectMeta>)> {
        self.list_calls.fetch_add(1, Ordering::Relaxed);
        let r = self
            .store
            .list_with_delimiter(Some(prefix))
            .await
            .map_err(|e| Error::List { location: prefix.to_string(), source: e })?;
        Ok((r.common_prefixes, r.objects))
    }

    /// Lists everything under `prefix`, emitting objects page by page.
    async fn everything(&self, prefix: &Path) -> Result<()> {
        self.list_calls.fetch_add(1, Ordering::Relaxed);
        let mut listing = self.store.list(Some(prefix));
        while let Some(meta) = listing.next().await {
            self.emit(meta.map_err(|e| Error::List { location: prefix.to_string(), source: e })?);
        }
        Ok(())
    }

    fn keep_account(&self, s: &str) -> bool {
        self.filter.accounts.is_empty() || self.filter.accounts.iter().any(|a| a == s)
    }

    fn keep_region(&self, s: &str) -> bool {
        self.filter.regions.is_empty() || self.filter.regions.iter().any(|r| r == s)
    }

    /// The delivery days to list: the range and the day after it.
    fn delivery_days(&self) -> Option<std::ops::RangeInclusive<i64>> {
        self.filter.days.map(|d| d.first..=d.last + 1)
    }

    /// Lists everything the plan needs under `root`.
    ///
    /// # Errors
    /// A list call failed (after the store's retries).
    pub async fn plan(&self, root: &Path) -> Result<Planned> {
        let mut out = Planned::default();
        let segments: Vec<String> = root.parts().map(|p| p.as_ref().to_string()).collect();
        if let Some(i) = segments.iter().rposition(|s| s == "AWSLogs") {
            let base = Path::from_iter(segments[..=i].iter().map(String::as_str));
            self.cloudtrail(&base, &segments[i + 1..], &mut out).await?;
        } else {
            self.walk(root.clone(), 0, &mut out).await?;
        }
        if let Ok(mut collected) = self.collected.lock() {
            out.objects = std::mem::take(&mut *collected);
        }
        out.objects.sort_by(|a, b| a.location.cmp(&b.location));
        out.objects.dedup_by(|a, b| a.location == b.location);
        Ok(out)
    }

    /// `AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/`, with `fixed` the
    /// segments the root already pins down.
    async fn cloudtrail(&self, base: &Path, fixed: &[String], out: &mut Planned) -> Result<()> {
        // Level 1: organisation ids and accounts, given by the root or discovered.
        let (mut accounts, rest): (Vec<Path>, &[String]) = match fixed {
            [] => {
                let (dirs, _) = self.children(base).await?;
                let orgs: Vec<Path> = dirs.iter().filter(|d| name(d).starts_with("o-")).cloned().collect();
                let found: Vec<Vec<Path>> = stream::iter(orgs)
                    .map(|org| async move { self.accounts_under(&org, None).await })
                    .buffer_unordered(self.concurrency)
                    .try_collect()
                    .await?;
                let mut accounts: Vec<Path> = found.into_iter().flatten().collect();
                accounts.extend(dirs.iter().filter(|d| !name(d).starts_with("o-")).cloned());
                (accounts, &[])
            }
            [org, rest @ ..] if org.starts_with("o-") => {
                let accounts = self.accounts_under(&child(base, org), rest.first()).await?;
                (accounts, rest.get(1..).unwrap_or(&[]))
            }
            [account, rest @ ..] => (vec![child(base, account)], rest),
        };
        accounts.retain(|a| self.keep_account(name(a)));
        // Level 2: the events folder; the other CloudTrail folders are never listed.
        match rest.first().map(String::as_str) {
            Some("CloudTrail") | None => {}
            Some(folder) => {
                out.folders_not_listed.push((format!("{base}/{}", fixed.join("/")), kind_reason(folder)));
                return Ok(());
            }
        }
        let event_folders: Vec<Path> = accounts.iter().map(|a| child(a, "CloudTrail")).collect();
        // Level 3: regions.
        let regions: Vec<Path> = match rest.get(1) {
            Some(region) => event_folders.iter().map(|f| child(f, region)).collect(),
            None if !self.filter.regions.is_empty() => event_folders
                .iter()
                .flat_map(|f| self.filter.regions.iter().map(move |r| child(f, r)))
                .collect(),
            None => {
                let found: Vec<Vec<Path>> = stream::iter(event_folders.clone())
                    .map(|f| async move { self.children(&f).await.map(|(dirs, _)| dirs) })
                    .buffer_unordered(self.concurrency)
                    .try_collect()
                    .await?;
                found.into_iter().flatten().collect()
            }
        };
        let regions: Vec<Path> = regions.into_iter().filter(|r| self.keep_region(name(r))).collect();
        // Level 4: delivery days, or everything under each region.
        let prefixes: Vec<Path> = match (self.delivery_days(), rest.len() > 2) {
            (Some(days), false) => regions
                .iter()
                .flat_map(|r| {
                    days.clone().map(move |d| {
                        let (y, m, dd) = day_string(d);
                        child(&child(&child(r, &y), &m), &dd)
                    })
                })
                .collect(),
            _ => {
                let below: Vec<&str> = rest.iter().skip(2).map(String::as_str).collect();
                regions.iter().map(|r| below.iter().fold(r.clone(), |p, s| child(&p, s))).collect()
            }
        };
        self.list_all(prefixes).await
    }

    /// Lists every prefix recursively, `concurrency` at a time.
    async fn list_all(&self, prefixes: Vec<Path>) -> Result<()> {
        stream::iter(prefixes)
            .map(|p| async move { self.everything(&p).await })
            .buffer_unordered(self.concurrency)
            .try_collect::<Vec<()>>()
            .await?;
        Ok(())
    }

    /// Accounts under an organisation folder: the given one, the filter's, or all.
    async fn accounts_under(&self, org: &Path, given: Option<&String>) -> Result<Vec<Path>> {
        if let Some(account) = given {
            return Ok(vec![child(org, account)]);
        }
        if !self.filter.accounts.is_empty() {
            return Ok(self.filter.accounts.iter().map(|a| child(org, a)).collect());
        }
        Ok(self.children(org).await?.0)
    }

    /// Descends folder by folder outside the `AWSLogs` layout.
    fn walk<'a>(
        &'a self,
        prefix: Path,
        depth: usize,
        out: &'a mut Planned,
    ) -> futures::future::BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            if depth > MAX_DEPTH {
                return Err(Error::Config(format!("{prefix}: folders nested deeper than {MAX_DEPTH} levels")));
            }
            if depth == 0 {
                if let Some(days) = self.delivery_days() {
                    if self.simple_access_log_layout(&prefix).await? {
                        return self.simple_access_logs(&prefix, days).await;
                    }
                }
            }
            let (dirs, files) = self.children(&prefix).await?;
            files.into_iter().for_each(|f| self.emit(f));
            let mut next = Vec::new();
            for dir in dirs {
                let n = name(&dir);
                if n.starts_with('.') || n.starts_with('_') {
                    out.folders_not_listed.push((dir.to_string(), "hidden folder"));
                } else if n == "AWSLogs" {
                    self.cloudtrail(&dir, &[], out).await?;
                } else if let Some(reason) = ObjectKind::folder_skip_reason(n) {
                    out.folders_not_listed.push((dir.to_string(), reason));
                } else if (is_account(n) && !self.keep_account(n)) || (is_region(n) && !self.keep_region(n)) {
                    continue;
                } else if is_year(n) && self.filter.days.is_some() {
                    self.date_tree(&dir).await?;
                } else {
                    next.push(dir);
                }
            }
            for dir in next {
                self.walk(dir, depth + 1, out).await?;
            }
            Ok(())
        })
    }

    /// A `YYYY/MM/DD/` tree: only the days of the range (and the day after) are listed.
    async fn date_tree(&self, year_dir: &Path) -> Result<()> {
        let Some(days) = self.delivery_days() else { return Ok(()) };
        let year = name(year_dir).to_string();
        let prefixes: Vec<Path> = days
            .filter_map(|d| {
                let (y, m, dd) = day_string(d);
                (y == year).then(|| child(&child(year_dir, &m), &dd))
            })
            .collect();
        self.list_all(prefixes).await
    }

    /// True when the first key under `prefix` is an access log named by date.
    async fn simple_access_log_layout(&self, prefix: &Path) -> Result<bool> {
        self.list_calls.fetch_add(1, Ordering::Relaxed);
        let first = self
            .store
            .list(Some(prefix))
            .next()
            .await
            .transpose()
            .map_err(|e| Error::List { location: prefix.to_string(), source: e })?;
        Ok(first.is_some_and(|m| {
            m.location.prefix_match(prefix).is_some_and(|mut rest| rest.next().is_some() && rest.next().is_none())
                && super::layout::parse_key(m.location.as_ref()).kind == Some(ObjectKind::S3Access)
        }))
    }

    /// `prefixYYYY-MM-DD-hh-mm-ss-<id>` objects of the delivery days, from the first
    /// day on, stopping after the last.
    async fn simple_access_logs(&self, prefix: &Path, days: std::ops::RangeInclusive<i64>) -> Result<()> {
        let (y, m, d) = day_string(*days.start());
        // `start-after` the bare date: every name of that day sorts after it.
        let start = child(prefix, &format!("{y}-{m}-{d}"));
        let offset = start.clone();
        let (ly, lm, ld) = day_string(*days.end());
        let end = format!("{}{}", child(prefix, &format!("{ly}-{lm}-{ld}")), "~");
        self.list_calls.fetch_add(1, Ordering::Relaxed);
        let mut listing = self.store.list_with_offset(Some(prefix), &offset);
        while let Some(meta) = listing.next().await {
            let meta = meta.map_err(|e| Error::List { location: prefix.to_string(), source: e })?;
            if meta.location.as_ref() > end.as_str() {
                break;
            }
            if meta.location.as_ref() >= start.as_ref() {
                self.emit(meta);
            }
        }
        Ok(())
    }
}

fn kind_reason(folder: &str) -> &'static str {
    ObjectKind::folder_skip_reason(folder).unwrap_or("not a CloudTrail events folder")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_patterns() {
        assert!(is_account("123456789012") && !is_account("12345678901") && !is_account("o-abc"));
        assert!(is_region("us-east-1") && is_region("us-gov-west-1") && is_region("cn-north-1"));
        assert!(!is_region("megov-northeast-1r") && !is_region("CloudTrail") && !is_region("2026"));
        assert!(is_year("2026") && !is_year("202"));
    }
}
