//! A snapshot file to its stored form and back: zstd with its own frame checksum, and the
//! SHA-256 of the plain snapshot computed on the way in and checked on the way out.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::Path;

use dbforge_api::ErrorCode;
use sha2::{Digest, Sha256};

use crate::error::{CoreError, CoreResult};

/// zstd's level: its default, which keeps up with a disk (measured in docs/BENCHMARKS.md).
const LEVEL: i32 = 3;
const CHUNK: usize = 1 << 20;

fn io(what: &str, path: &Path, e: std::io::Error) -> CoreError {
    CoreError::internal(format!("{what} {}: {e}", path.display()))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compresses `source` into the new file `dest` (synced); answers the SHA-256 (hex) of
/// `source` and the compressed size. Blocking.
pub(crate) fn compress(source: &Path, dest: &Path) -> CoreResult<(String, u64)> {
    let mut input = BufReader::with_capacity(
        CHUNK,
        File::open(source).map_err(|e| io("reading", source, e))?,
    );
    let output = File::create_new(dest).map_err(|e| io("creating", dest, e))?;
    let mut encoder = zstd::Encoder::new(BufWriter::with_capacity(CHUNK, output), LEVEL)
        .map_err(|e| io("compressing into", dest, e))?;
    encoder
        .include_checksum(true)
        .map_err(|e| io("compressing into", dest, e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let n = input
            .read(&mut buffer)
            .map_err(|e| io("reading", source, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        encoder
            .write_all(&buffer[..n])
            .map_err(|e| io("compressing into", dest, e))?;
    }
    let output = encoder
        .finish()
        .and_then(|mut w| {
            w.flush()?;
            w.into_inner().map_err(|e| e.into_error())
        })
        .map_err(|e| io("compressing into", dest, e))?;
    output.sync_all().map_err(|e| io("syncing", dest, e))?;
    let stored = output.metadata().map_err(|e| io("reading", dest, e))?.len();
    Ok((hex(&hasher.finalize()), stored))
}

/// Decompresses `source` into the new file `dest`, refusing more than `size` bytes of
/// output (a manifest's size: a decompression bomb stops there) and content whose SHA-256 is
/// not `sha256`. Damage is `backup_corrupt`. Blocking.
pub(crate) fn decompress_checked(
    source: &Path,
    dest: &Path,
    size: u64,
    sha256: &str,
) -> CoreResult<()> {
    let corrupt = |why: String| {
        CoreError::new(
            ErrorCode::BackupCorrupt,
            format!("the stored backup is damaged ({why}): it was not used"),
        )
    };
    let input = File::open(source).map_err(|e| io("reading", source, e))?;
    let mut decoder = zstd::Decoder::new(input).map_err(|e| corrupt(e.to_string()))?;
    let mut output = BufWriter::with_capacity(
        CHUNK,
        File::create_new(dest).map_err(|e| io("creating", dest, e))?,
    );
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; CHUNK];
    let mut written = 0u64;
    loop {
        let n = decoder
            .read(&mut buffer)
            .map_err(|e| corrupt(format!("it does not decompress: {e}")))?;
        if n == 0 {
            break;
        }
        written += n as u64;
        if written > size {
            return Err(corrupt(format!(
                "it holds more than the {size} bytes its manifest says"
            )));
        }
        hasher.update(&buffer[..n]);
        output
            .write_all(&buffer[..n])
            .map_err(|e| io("writing", dest, e))?;
    }
    output.flush().map_err(|e| io("writing", dest, e))?;
    let found = hex(&hasher.finalize());
    if written != size || found != sha256 {
        return Err(corrupt(format!(
            "{written} bytes with SHA-256 {found}, where the manifest says {size} bytes with {sha256}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_keeps_the_content_and_a_flipped_byte_is_caught() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("plain");
        let content: Vec<u8> = (0..300_000u32)
            .flat_map(|i| (i % 251).to_le_bytes())
            .collect();
        std::fs::write(&plain, &content).expect("write");
        let packed = dir.path().join("packed.zst");
        let (sha, stored) = compress(&plain, &packed).expect("compress");
        assert!(stored < content.len() as u64, "compressed");
        let out = dir.path().join("out");
        decompress_checked(&packed, &out, content.len() as u64, &sha).expect("round trip");
        assert_eq!(std::fs::read(&out).expect("read"), content);

        let mut damaged = std::fs::read(&packed).expect("read");
        let middle = damaged.len() / 2;
        damaged[middle] ^= 0x40;
        std::fs::write(&packed, damaged).expect("write");
        let out2 = dir.path().join("out2");
        let err =
            decompress_checked(&packed, &out2, content.len() as u64, &sha).expect_err("damaged");
        assert_eq!(err.code, ErrorCode::BackupCorrupt);

        let (sha, _) = compress(&plain, &dir.path().join("again.zst")).expect("compress");
        let out3 = dir.path().join("out3");
        let err =
            decompress_checked(&dir.path().join("again.zst"), &out3, 1000, &sha).expect_err("bomb");
        assert!(err.message.contains("more than"), "{}", err.message);
    }
}
