//! The listing plan lists exactly the prefixes a run needs (counted), on a store laid
//! out like an organisation trail and like both access-log layouts.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use trailhound::decode::time::days_from_civil;
use trailhound::pipeline::DayRange;
use trailhound::source::{ListFilter, Lister};

fn day(d: u32) -> i64 {
    days_from_civil(2026, 11, d)
}

async fn store(keys: &[&str]) -> Arc<dyn ObjectStore> {
    let store = Arc::new(InMemory::new());
    for k in keys {
        store.put(&Path::from(*k), PutPayload::from_static(b"x")).await.expect("put");
    }
    store
}

async fn plan(store: &Arc<dyn ObjectStore>, root: &str, filter: ListFilter) -> (Vec<String>, u64) {
    let lister = Lister::new(store.clone(), filter, 8);
    let planned = lister.plan(&Path::from(root)).await.expect("plan");
    let keys = planned.objects.iter().map(|m| m.location.to_string()).collect();
    (keys, lister.list_calls.load(Ordering::Relaxed))
}

const TRAIL: &[&str] = &[
    "t/AWSLogs/o-abc123/111111111111/CloudTrail/us-east-1/2026/11/24/a.json.gz",
    "t/AWSLogs/o-abc123/111111111111/CloudTrail/us-east-1/2026/11/25/b.json.gz",
    "t/AWSLogs/o-abc123/111111111111/CloudTrail/us-east-1/2026/11/26/c.json.gz",
    "t/AWSLogs/o-abc123/111111111111/CloudTrail/us-east-1/2026/11/27/d.json.gz",
    "t/AWSLogs/o-abc123/111111111111/CloudTrail/eu-west-1/2026/11/25/e.json.gz",
    "t/AWSLogs/o-abc123/111111111111/CloudTrail-Digest/us-east-1/2026/11/25/digest.json.gz",
    "t/AWSLogs/o-abc123/111111111111/CloudTrail-Insight/us-east-1/2026/11/25/insight.json.gz",
    "t/AWSLogs/o-abc123/222222222222/CloudTrail/us-east-1/2026/11/25/f.json.gz",
    "t/AWSLogs/o-abc123/222222222222/CloudTrail/ap-south-1/2026/11/25/g.json.gz",
];

fn days(first: u32, last: u32) -> Option<DayRange> {
    Some(DayRange { first: day(first), last: day(last) })
}

#[tokio::test]
async fn plan_lists_only_the_needed_cloudtrail_day_prefixes() {
    let s = store(TRAIL).await;
    let names = |keys: Vec<String>| keys.iter().map(|k| k.rsplit('/').next().unwrap_or("").to_string()).collect::<Vec<_>>();

    // The walk probes t/ for a simple access-log layout (1) and lists it (1); then
    // discovery: AWSLogs/ (1), the organisation's accounts (1), each account's regions
    // (2), then two delivery days (the range and the day after) per region (4 x 2).
    let (keys, calls) = plan(&s, "t", ListFilter { days: days(25, 25), ..ListFilter::default() }).await;
    assert_eq!(names(keys), ["e.json.gz", "b.json.gz", "c.json.gz", "g.json.gz", "f.json.gz"]);
    assert_eq!(calls, 2 + 1 + 1 + 2 + 4 * 2);

    // Given accounts and regions, only AWSLogs/ is listed (for the organisation id).
    let filter = ListFilter { days: days(25, 25), accounts: vec!["222222222222".into()], regions: vec!["us-east-1".into()] };
    let (keys, calls) = plan(&s, "t/AWSLogs", filter).await;
    assert_eq!(names(keys), ["f.json.gz"]);
    assert_eq!(calls, 1 + 2);

    // A root inside the layout pins those levels: just the day prefixes.
    let (keys, calls) = plan(&s, "t/AWSLogs/o-abc123/111111111111/CloudTrail/us-east-1", ListFilter { days: days(24, 25), ..ListFilter::default() }).await;
    assert_eq!(names(keys), ["a.json.gz", "b.json.gz", "c.json.gz"]);
    assert_eq!(calls, 3);

    // Without days: everything under each region, never the digest or Insights folders.
    let (keys, _) = plan(&s, "t/AWSLogs", ListFilter::default()).await;
    assert_eq!(keys.len(), 7);
    assert!(keys.iter().all(|k| !k.contains("Digest") && !k.contains("Insight")));
}

#[tokio::test]
async fn plan_prunes_access_log_layouts_by_day() {
    let s = store(&[
        "logs/2026-11-24-23-10-00-0123456789ABCDEF",
        "logs/2026-11-25-00-10-00-0123456789ABCDEF",
        "logs/2026-11-25-13-10-00-0123456789ABCDEF",
        "logs/2026-11-26-00-40-00-0123456789ABCDEF",
        "logs/2026-11-27-00-10-00-0123456789ABCDEF",
        "p/123456789012/us-east-1/bkt/2026/11/24/2026-11-24-00-00-00-0123456789ABCDEF",
        "p/123456789012/us-east-1/bkt/2026/11/25/2026-11-25-00-00-00-0123456789ABCDEF",
        "p/123456789012/eu-west-1/bkt/2026/11/25/2026-11-25-00-00-00-0123456789ABCDEF",
        "p/999999999999/us-east-1/bkt/2026/11/25/2026-11-25-00-00-00-0123456789ABCDEF",
    ])
    .await;
    // Simple layout: a probe, then one listing that starts after the first day's
    // date and stops after the day after the range.
    let (keys, calls) = plan(&s, "logs", ListFilter { days: days(25, 25), ..ListFilter::default() }).await;
    assert_eq!(keys.len(), 3, "{keys:?}");
    assert!(keys.iter().all(|k| k.contains("2026-11-25") || k.contains("2026-11-26")));
    assert_eq!(calls, 2);

    // Date-partitioned layout: accounts and regions filtered, day folders pruned.
    let filter = ListFilter { days: days(25, 25), accounts: vec!["123456789012".into()], regions: vec!["us-east-1".into()] };
    let (keys, _) = plan(&s, "p", filter).await;
    assert_eq!(keys, ["p/123456789012/us-east-1/bkt/2026/11/25/2026-11-25-00-00-00-0123456789ABCDEF"]);
}
