//! Any bytes as a delivered object (gzip or plain, CloudTrail or access log): the
//! decoder returns a verdict or an error, never panics, and a verdict adds up.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailhound::decode::{DecodeLimits, FileVerdict, KindHint, ObjectDecoder};

fuzz_target!(|data: &[u8]| {
    let limits = DecodeLimits { max_decompressed_bytes: 8 << 20, max_record_bytes: 1 << 20, ..DecodeLimits::default() };
    let mut decoder = ObjectDecoder::new(limits);
    if let Ok((_, FileVerdict::Events { records, quarantined, out_of_range, filtered, .. })) =
        decoder.decode("fuzz", data, KindHint::Auto)
    {
        let written: usize = decoder.finish().expect("finish").iter().map(|(_, b)| b.num_rows()).sum();
        assert_eq!(records, written as u64 + quarantined.len() + out_of_range + filtered);
    }
});
