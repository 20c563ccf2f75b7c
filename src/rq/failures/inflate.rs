//! zlib for a scan of many small streams: one decompressor per thread, reset between
//! streams, instead of a new one (a ~40 KB state allocated and zeroed) for each.

use std::cell::RefCell;

use flate2::{Decompress, FlushDecompress, Status};

thread_local! {
    static Z: RefCell<Decompress> = RefCell::new(Decompress::new(true));
    /// Where whole streams are inflated in one call (see `inflate`).
    static OUT: RefCell<Vec<u8>> = RefCell::new(vec![0; FAST_OUT]);
}

/// Streams that inflate to at most this much take the one-call path.
const FAST_OUT: usize = 256 * 1024;

/// What came out of a stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Inflated {
    /// The stream, whole (or as far as it went when cut short or broken).
    Text(Vec<u8>),
    /// It decompresses to more than the limit: its first bytes (at least the limit).
    TooLarge(Vec<u8>),
    /// Not zlib: RQ then stores the bytes as they are.
    NotZlib,
}

/// Decompresses `raw` up to `max` bytes.
pub fn inflate(raw: &[u8], max: usize) -> Inflated {
    if raw.len() < 2 || raw[0] != 0x78 {
        return Inflated::NotZlib;
    }
    // A whole stream that fits: one zlib-rs call into a reused buffer. Anything else (cut,
    // broken, larger than the buffer or the limit) takes the streaming path below.
    let whole = OUT.with(|out| {
        let mut out = out.borrow_mut();
        let room = FAST_OUT.min(max);
        let (text, rc) =
            zlib_rs::decompress_slice(&mut out[..room], raw, zlib_rs::InflateConfig::default());
        (rc == zlib_rs::ReturnCode::Ok).then(|| text.to_vec())
    });
    if let Some(text) = whole {
        return Inflated::Text(text);
    }
    Z.with(|z| {
        let mut d = z.borrow_mut();
        d.reset(true);
        let mut out: Vec<u8> = Vec::with_capacity((raw.len() * 4).clamp(256, max.max(256)));
        loop {
            // Room to write into: a full buffer is grown, up to the limit (and one byte
            // past it, to tell a stream of exactly `max` from a larger one).
            if out.capacity() - out.len() < 1024 {
                if out.len() > max {
                    return Inflated::TooLarge(out);
                }
                out.reserve((max + 1 - out.len()).min(out.len().max(4096)));
            }
            let consumed = usize::try_from(d.total_in())
                .unwrap_or(raw.len())
                .min(raw.len());
            let before = (d.total_in(), out.len());
            match d.decompress_vec(&raw[consumed..], &mut out, FlushDecompress::None) {
                Ok(Status::StreamEnd) if out.len() > max => return Inflated::TooLarge(out),
                Ok(Status::StreamEnd) => return Inflated::Text(out),
                // No progress with room to write: the input ended early. Keep what it held.
                Ok(_) if (d.total_in(), out.len()) == before => return Inflated::Text(out),
                Ok(_) if out.len() > max => return Inflated::TooLarge(out),
                Ok(_) => {}
                Err(_) => {
                    return if out.is_empty() {
                        Inflated::NotZlib
                    } else {
                        Inflated::Text(out)
                    };
                }
            }
        }
    })
}

/// Up to `max` bytes of what `raw` holds, cut short when it is longer (for heads).
pub fn head(raw: &[u8], max: usize) -> Vec<u8> {
    match inflate(raw, max) {
        Inflated::Text(mut t) | Inflated::TooLarge(mut t) => {
            t.truncate(max);
            t
        }
        Inflated::NotZlib => raw[..raw.len().min(max)].to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn z(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn streams_whole_cut_bombs_and_plain_bytes() {
        let text = b"Traceback (most recent call last):\nKeyError: 'x'\n".repeat(50);
        assert_eq!(inflate(&z(&text), 1 << 20), Inflated::Text(text.clone()));
        // Reused state: a second stream reads as cleanly.
        assert_eq!(inflate(&z(b"ab"), 10), Inflated::Text(b"ab".to_vec()));
        let bomb = z(&vec![b'a'; 10 << 20]);
        assert!(matches!(inflate(&bomb, 1 << 20), Inflated::TooLarge(_)));
        assert_eq!(inflate(b"plain text", 100), Inflated::NotZlib);
        assert_eq!(inflate(b"x\x9cgarbage", 100), Inflated::NotZlib);
        let cut = z(&text);
        match inflate(&cut[..cut.len() / 2], 1 << 20) {
            Inflated::Text(t) => assert!(text.starts_with(&t)),
            other => panic!("{other:?}"),
        }
        assert_eq!(head(&z(&text), 10), text[..10].to_vec());
    }
}
