//! Test support: the ways a file gets damaged (emptied, cut short, bytes flipped, not UTF-8,
//! the wrong JSON shape), and a check that a loader meets each with an error naming the file
//! rather than a panic or a silent success.

use std::path::Path;

/// Damaged variants of a good file's bytes, each with what was done to it.
pub fn variants(good: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let trimmed = good.trim_ascii_end();
    let mut flipped = good.to_vec();
    for i in (0..flipped.len()).step_by(7) {
        flipped[i] ^= 0xff;
    }
    vec![
        ("empty", Vec::new()),
        ("half", good[..good.len() / 2].to_vec()),
        (
            "one byte short",
            trimmed[..trimmed.len().saturating_sub(1)].to_vec(),
        ),
        ("bytes flipped", flipped),
        ("not utf-8", b"\xff\xfe\x00{\"data\": \x80\x81 [[".to_vec()),
        ("wrong shape", b"{\"unexpected\": [1, 2, 3]}\n".to_vec()),
        ("array", b"[1, 2, 3]\n".to_vec()),
    ]
}

/// Writes each damaged variant of `good` to `path` and loads it with `load`: every one must
/// end in an error whose message (with its causes) names the file.
pub fn assert_clear_errors<T>(path: &Path, good: &[u8], load: impl Fn(&Path) -> anyhow::Result<T>) {
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    for (how, bytes) in variants(good) {
        std::fs::write(path, &bytes).unwrap();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| load(path)));
        match outcome {
            Err(_) => panic!("{name} ({how}): loading panicked"),
            Ok(Ok(_)) => panic!("{name} ({how}): the damaged file was loaded"),
            Ok(Err(e)) => assert!(format!("{e:#}").contains(&name), "{name} ({how}): {e:#}"),
        }
    }
}
