//! TensorBoard's event files: TFRecord framing (length, masked CRC-32C of the length, the
//! record, masked CRC-32C of the record) around `Event` protocol buffers. A record is appended
//! with one write, so a reader that comes while a run trains sees whole records (TensorBoard
//! also skips a truncated last one).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::proto::Message;

/// TensorBoard's CRC mask: rotate right by 15 bits, add a constant.
fn masked_crc(data: &[u8]) -> u32 {
    let crc = crc32c::crc32c(data);
    crc.rotate_right(15).wrapping_add(0xa282_ead8)
}

/// One record, framed.
pub fn frame(record: &[u8]) -> Vec<u8> {
    let len = (record.len() as u64).to_le_bytes();
    let mut out = Vec::with_capacity(record.len() + 16);
    out.extend(len);
    out.extend(masked_crc(&len).to_le_bytes());
    out.extend(record);
    out.extend(masked_crc(record).to_le_bytes());
    out
}

/// An `Event` with its wall time and step around `what` (field and message).
pub fn event(wall_time: f64, step: i64, what: impl FnOnce(Message) -> Message) -> Message {
    what(Message::default().double(1, wall_time).int(2, step))
}

/// An open event file of one TensorBoard run.
#[derive(Debug)]
pub struct EventFile {
    path: PathBuf,
    file: File,
}

impl EventFile {
    /// Creates `dir/events.out.tfevents.<seconds>.<host>.<pid>.<nanoseconds>.runner` (and `dir`;
    /// a name no earlier file of the run has) and writes the file-version event every event
    /// file starts with.
    pub fn create(dir: &Path, wall_time: f64) -> Result<EventFile> {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let host = crate::store::provenance::hostname();
        let path = dir.join(format!(
            "events.out.tfevents.{}.{host}.{}.{}.runner",
            wall_time as u64,
            std::process::id(),
            (wall_time.fract() * 1e9) as u64
        ));
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        let mut f = EventFile { path, file };
        f.write(&event(wall_time, 0, |e| e.string(3, "brain.Event:2")))?;
        Ok(f)
    }

    /// Appends one event.
    pub fn write(&mut self, event: &Message) -> Result<()> {
        self.file
            .write_all(&frame(&event.0))
            .with_context(|| format!("cannot write {}", self.path.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn framing_matches_tensorflow() {
        // CRC-32C check value of "123456789" (RFC 3720), then TensorFlow's mask of it.
        assert_eq!(crc32c::crc32c(b"123456789"), 0xe306_9283);
        let m = masked_crc(b"123456789");
        assert_eq!(m, 0xe306_9283u32.rotate_right(15).wrapping_add(0xa282_ead8));
        let f = frame(b"abc");
        assert_eq!(f.len(), 8 + 4 + 3 + 4);
        assert_eq!(&f[..8], &3u64.to_le_bytes());
        assert_eq!(&f[12..15], b"abc");
    }
}
