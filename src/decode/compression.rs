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
    if whole::inflate_one_member(raw, hint, out, max_bytes) {
        return Ok(Compression::Gzip);
    }
    out.clear();
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

/// Whole-buffer inflate with libdeflate, which is about twice as fast as zlib here
/// (benches/decode.rs, `gunzip`), for what nearly every log file is: one gzip member
/// whose trailer gives its size.
mod whole {
    use std::cell::RefCell;
    use std::ptr::NonNull;

    use libdeflate_sys::{
        libdeflate_alloc_decompressor, libdeflate_decompressor, libdeflate_free_decompressor,
        libdeflate_gzip_decompress_ex, libdeflate_result_LIBDEFLATE_SUCCESS,
    };

    /// One decompressor per thread: its tables are reused across objects.
    struct Decompressor(NonNull<libdeflate_decompressor>);

    impl Drop for Decompressor {
        fn drop(&mut self) {
            // SAFETY: allocated by libdeflate_alloc_decompressor, freed once, here.
            unsafe { libdeflate_free_decompressor(self.0.as_ptr()) }
        }
    }

    thread_local! {
        static DECOMPRESSOR: RefCell<Option<Decompressor>> = const { RefCell::new(None) };
    }

    /// Inflates `raw` into `out` when it is exactly one gzip member of `size` bytes
    /// (its trailer's ISIZE), at most `max_bytes`, with a valid CRC. Anything else
    /// (several members, a trailer that lies, damage, no memory) returns false with
    /// `out` in an unspecified state, and the caller inflates with flate2, which
    /// tells exactly what is wrong and keeps what comes before a cut.
    pub(super) fn inflate_one_member(raw: &[u8], size: usize, out: &mut Vec<u8>, max_bytes: u64) -> bool {
        if size as u64 > max_bytes {
            return false;
        }
        out.clear();
        if out.try_reserve(size + simd_json::INPUT_PADDING).is_err() {
            return false;
        }
        DECOMPRESSOR.with(|cell| {
            let Ok(mut slot) = cell.try_borrow_mut() else { return false };
            if slot.is_none() {
                // SAFETY: no preconditions; NULL means out of memory.
                *slot = NonNull::new(unsafe { libdeflate_alloc_decompressor() }).map(Decompressor);
            }
            let Some(decompressor) = slot.as_ref() else { return false };
            let (mut in_bytes, mut out_bytes) = (0usize, 0usize);
            // SAFETY: `raw` is readable for its length; `out` has `size` bytes of spare
            // capacity, which libdeflate only writes (never reads), and it reports how
            // many it wrote, at most `size`.
            let result = unsafe {
                libdeflate_gzip_decompress_ex(
                    decompressor.0.as_ptr(),
                    raw.as_ptr().cast(),
                    raw.len(),
                    out.as_mut_ptr().cast(),
                    size,
                    &mut in_bytes,
                    &mut out_bytes,
                )
            };
            // Success covers one member only: trailing bytes (another member, or
            // garbage) go the careful way.
            if result != libdeflate_result_LIBDEFLATE_SUCCESS || in_bytes != raw.len() || out_bytes > size {
                return false;
            }
            // SAFETY: libdeflate initialised the first `out_bytes` bytes, within capacity.
            unsafe { out.set_len(out_bytes) };
            true
        })
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

    #[test]
    fn whole_buffer_inflate_takes_single_members_only() {
        let text: Vec<u8> = (0..50_000u32).flat_map(|i| format!("{{\"n\":{i}}},").into_bytes()).collect();
        let one = gz(&text);
        let isize = text.len();
        let mut out = Vec::new();
        assert!(whole::inflate_one_member(&one, isize, &mut out, u64::MAX));
        assert_eq!(out, text);
        assert!(out.capacity() >= out.len() + simd_json::INPUT_PADDING, "room for simd-json's padding");

        // Two members, a size over the cap, a trailer that lies, a bad CRC: flate2's turn.
        let mut two = gz(&text[..1000]);
        two.extend(gz(&text[1000..]));
        assert!(!whole::inflate_one_member(&two, isize - 1000, &mut out, u64::MAX));
        assert!(!whole::inflate_one_member(&one, isize, &mut out, isize as u64 - 1));
        assert!(!whole::inflate_one_member(&one, isize - 1, &mut out, u64::MAX));
        let mut bad_crc = one.clone();
        let n = bad_crc.len();
        bad_crc[n - 6] ^= 0xff;
        assert!(!whole::inflate_one_member(&bad_crc, isize, &mut out, u64::MAX));

        // And decompress_into gives the same answers either way.
        assert_eq!(decompress_into(&two, &mut out, u64::MAX), Ok(Compression::Gzip));
        assert_eq!(out, text);
        let mut lying = one.clone();
        lying[n - 4..].copy_from_slice(&((isize as u32) / 2).to_le_bytes());
        assert!(matches!(decompress_into(&lying, &mut out, u64::MAX), Err(DecodeError::Gzip { truncated: false, .. })));
        assert!(matches!(decompress_into(&bad_crc, &mut out, u64::MAX), Err(DecodeError::Gzip { truncated: false, .. })));
    }
}
