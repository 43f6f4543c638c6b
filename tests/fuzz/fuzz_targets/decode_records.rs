//! Any bytes through the record-by-record path that damaged CloudTrail files take:
//! framing by brackets and quotes, then one parse per record.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailhound::decode::compression::Compression;
use trailhound::decode::{CloudTrailDecoder, DecodeLimits, FileVerdict};

fuzz_target!(|data: &[u8]| {
    let mut decoder = CloudTrailDecoder::new(DecodeLimits { max_record_bytes: 1 << 20, ..DecodeLimits::default() });
    if let Some(FileVerdict::Events { records, quarantined, out_of_range, filtered, .. }) =
        decoder.decode_records("fuzz", data, Compression::None, String::new())
    {
        let written: usize = decoder.finish().expect("finish").iter().map(|b| b.num_rows()).sum();
        assert_eq!(records, written as u64 + quarantined.len() + out_of_range + filtered);
    }
});
