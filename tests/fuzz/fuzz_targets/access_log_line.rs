//! Any text as one S3 server access log line: parsed into fields or rejected with a
//! reason, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use trailhound::decode::s3_access::parse_line;

fuzz_target!(|data: &[u8]| {
    if let Ok(line) = std::str::from_utf8(data) {
        let _ = parse_line(line);
    }
});
