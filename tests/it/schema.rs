//! The `cloudtrail` table has every column of the AWS-documented Athena CloudTrail
//! table with the same name and Hive type, then typed extras (tests/data/cloudtrail-columns.tsv);
//! likewise `s3_access` and the AWS table for S3 server access logs.

use trailhound::decode::schema::{cloudtrail_schema, hive_type};

/// (name, Hive type, origin) rows of tests/data/<file>.
pub fn documented_columns(file: &str) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(crate::repo().join("tests/data").join(file)).expect("columns file");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let mut parts = l.split('\t').map(str::to_string);
            let mut next = || parts.next().expect("three tab-separated fields");
            (next(), next(), next())
        })
        .collect()
}

/// (name, Hive type) of every column of `schema`.
fn hive_columns(schema: &arrow::datatypes::Schema) -> Vec<(String, String)> {
    schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), hive_type(f.data_type()).unwrap_or_else(|| panic!("{} has no Hive type", f.name()))))
        .collect()
}

#[test]
fn cloudtrail_schema_matches_the_aws_athena_table_then_extras() {
    let documented = documented_columns("cloudtrail-columns.tsv");
    assert_eq!(documented.iter().filter(|c| c.2 == "aws").count(), 29, "the AWS table has 29 columns");
    let got = hive_columns(&cloudtrail_schema());
    let want: Vec<(String, String)> = documented.into_iter().map(|(n, t, _)| (n, t)).collect();
    assert_eq!(got, want);
}

#[test]
fn s3_access_schema_matches_the_aws_athena_table_then_extras() {
    let documented = documented_columns("s3-access-columns.tsv");
    assert_eq!(documented.iter().filter(|c| c.2.starts_with("aws")).count(), 27, "the AWS table has 27 columns");
    let got = hive_columns(&trailhound::decode::s3_access::s3_access_schema());
    let want: Vec<(String, String)> = documented.into_iter().map(|(n, t, _)| (n, t)).collect();
    assert_eq!(got, want);
}
