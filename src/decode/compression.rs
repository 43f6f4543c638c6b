//! Content sniffing and capped decompression.
//!
//! Objects are recognised by their bytes, not their names: gzip (one or many
//! members) is inflated, anything else is passed through. The decompressed size is
//! capped while inflating, so a gzip bomb costs at most the cap in memory.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::DecodeError;

/// How an object's bytes were stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    Gzip,
    None,
}

/// True when `bytes` start with the gzip magic number.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b
}

/// Replaces `out` with the decompressed content of `raw`, inflating at most
/// `max_bytes`.
///
/// # Errors
/// [`DecodeError::Empty`], [`DecodeError::Gzip`] for a corrupt or truncated stream
/// (with the number of bytes inflated before the fault), [`DecodeError::TooLarge`]
/// past the cap.
pub fn decompress_into(raw: &[u8], out: &mut Vec<u8>, max_bytes: u64) -> Result<Compression, DecodeError> {
    out.clear();
    if raw.is_empty() {
        return Err(DecodeError::Empty);
    }
    if !is_gzip(raw) {
        if raw.len() as u64 > max_bytes {
            return Err(DecodeError::TooLarge { limit_bytes: max_bytes });
        }
        out.extend_from_slice(raw);
        return Ok(Compression::None);
    }
    // ISIZE (the last four bytes) is the last member's size mod 2^32: a hint only,
    // and attacker-controlled, so it is capped.
    let hint = raw
        .len()
        .checked_sub(4)
        .and_then(|n| raw.get(n..))
        .map(|t| u32::from_le_bytes([t[0], t[1], t[2], t[3]]) as usize)
        .unwrap_or(0);
    out.reserve(hint.clamp(raw.len(), 64 << 20).min(max_bytes as usize) + simd_json::INPUT_PADDING);
    let mut decoder = MultiGzDecoder::new(raw).take(max_bytes.saturating_add(1));
    match decoder.read_to_end(out) {
        Ok(_) if out.len() as u64 > max_bytes => Err(DecodeError::TooLarge { limit_bytes: max_bytes }),
        Ok(_) => Ok(Compression::Gzip),
        Err(e) => Err(DecodeError::Gzip {
            inflated_bytes: out.len() as u64,
            truncated: e.kind() == std::io::ErrorKind::UnexpectedEof,
            message: e.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gz(data: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).expect("in memory");
        e.finish().expect("in memory")
    }

    #[test]
    fn decompress_into_handles_members_truncation_and_caps() {
        let mut out = Vec::new();
        assert_eq!(decompress_into(b"{\"a\":1}", &mut out, 100), Ok(Compression::None));
        assert_eq!(out, b"{\"a\":1}");

        let mut two = gz(b"{\"Records\":");
        two.extend(gz(b"[]}"));
        assert_eq!(decompress_into(&two, &mut out, 100), Ok(Compression::Gzip));
        assert_eq!(out, b"{\"Records\":[]}");

        // Bytes deflate cannot squeeze, so the stream's first half holds output.
        let mut state = 1u32;
        let noise: Vec<u8> = (0..100_000)
            .map(|_| {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (state >> 16) as u8
            })
            .collect();
        let cut = gz(&noise);
        assert!(matches!(decompress_into(&cut[..cut.len() / 2], &mut out, 1 << 20), Err(DecodeError::Gzip { truncated: true, .. })));
        assert!(!out.is_empty() && out.len() < noise.len() && noise.starts_with(&out), "the prefix before the cut is kept");

        let full = gz(&[b'x'; 10_000]);

        let mut bad_crc = full.clone();
        let n = bad_crc.len();
        bad_crc[n - 6] ^= 0xff;
        assert!(matches!(decompress_into(&bad_crc, &mut out, 1 << 20), Err(DecodeError::Gzip { truncated: false, .. })));

        assert_eq!(
            decompress_into(&full, &mut out, 9_999),
            Err(DecodeError::TooLarge { limit_bytes: 9_999 })
        );
        assert!(out.len() <= 10_000);
        assert_eq!(decompress_into(b"", &mut out, 10), Err(DecodeError::Empty));
    }
}
