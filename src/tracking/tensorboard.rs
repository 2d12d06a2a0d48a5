//! One runner run as one TensorBoard run (`<experiment>/tensorboard/<run name>/`): its curve
//! lines as scalars (the tag is the column, the step the line's `step`, `epoch` or `iteration`,
//! else its line number), its final metrics as `final/<metric>` scalars, and its axes (with the
//! seed) and state as the HParams plugin's session start and end, so TensorBoard's HParams view
//! compares the grid.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::Result;

use super::event_file::{event, EventFile};
use super::proto::Message;
use crate::metrics::flatten::{curve_line, curve_step, STEP_KEYS};

/// Where an experiment's TensorBoard runs live: `tensorboard logdir` for the whole grid.
pub fn board_dir(experiment: &Path) -> PathBuf {
    experiment.join("tensorboard")
}

/// A value of a hyperparameter.
#[derive(Debug, Clone, PartialEq)]
pub enum HValue {
    /// A number.
    Number(f64),
    /// A string (also what is neither number nor bool, as JSON).
    Text(String),
    /// A boolean.
    Bool(bool),
}

impl HValue {
    /// The hyperparameter value of a config value.
    pub fn of(v: &serde_json::Value) -> HValue {
        match v {
            serde_json::Value::Number(n) => HValue::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::Bool(b) => HValue::Bool(*b),
            serde_json::Value::String(s) => HValue::Text(s.clone()),
            other => HValue::Text(other.to_string()),
        }
    }

    /// As a `google.protobuf.Value`.
    fn proto(&self) -> Message {
        match self {
            HValue::Number(x) => Message::default().double(2, *x),
            HValue::Text(s) => Message::default().string(3, s),
            HValue::Bool(b) => Message::default().int(4, i64::from(*b)),
        }
    }
}

/// How a run ended, as the HParams plugin says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Completed.
    Success = 1,
    /// Failed, timed out or was stopped.
    Failure = 2,
}

/// TensorBoard's empty float tensor, which the HParams plugin's summaries carry.
fn null_tensor() -> Message {
    let shape = Message::default().bytes(2, &[]);
    Message::default().int(1, 1).message(2, &shape)
}

/// A summary event of the HParams plugin: `plugin_data` is an `HParamsPluginData` field.
fn hparams_event(wall: f64, tag: &str, plugin_data: Message) -> Message {
    let plugin = Message::default()
        .string(1, "hparams")
        .bytes(2, &plugin_data.0);
    let metadata = Message::default().message(1, &plugin);
    let value = Message::default()
        .string(1, tag)
        .message(9, &metadata)
        .message(8, &null_tensor());
    let summary = Message::default().message(1, &value);
    event(wall, 0, |e| e.message(5, &summary))
}

/// A scalar event.
fn scalar_event(wall: f64, step: i64, tag: &str, value: f64) -> Message {
    let v = Message::default().string(1, tag).float(2, value as f32);
    let summary = Message::default().message(1, &v);
    event(wall, step, |e| e.message(5, &summary))
}

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The TensorBoard run of one runner run, written as it goes.
#[derive(Debug)]
pub struct RunBoard {
    file: EventFile,
    /// Bytes of curves.jsonl already turned into events.
    offset: u64,
    /// Curve lines read.
    lines: i64,
    /// The largest step written.
    last_step: i64,
}

impl RunBoard {
    /// Starts the TensorBoard run `name` under `board`: earlier event files of that run (an
    /// earlier attempt) are removed, the session start written with `hparams`.
    pub fn start(board: &Path, name: &str, hparams: &[(String, HValue)]) -> Result<RunBoard> {
        let dir = board.join(name);
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for e in entries.flatten() {
                if e.file_name().to_string_lossy().contains("tfevents") {
                    let _ = std::fs::remove_file(e.path());
                }
            }
        }
        let wall = now();
        let mut file = EventFile::create(&dir, wall)?;
        let mut start = Message::default();
        for (k, v) in hparams {
            let entry = Message::default().string(1, k).message(2, &v.proto());
            start = start.message(1, &entry);
        }
        let start = start.string(4, name).double(5, wall);
        let data = Message::default().message(3, &start);
        file.write(&hparams_event(wall, "_hparams_/session_start_info", data))?;
        Ok(RunBoard {
            file,
            offset: 0,
            lines: 0,
            last_step: 0,
        })
    }

    /// Writes the curve lines `run_dir/curves.jsonl` gained since the last call (whole lines
    /// only: a line still being written waits for the next call).
    pub fn follow(&mut self, run_dir: &Path) -> Result<()> {
        self.read(run_dir, false)
    }

    /// Reads what the file gained; `last` also takes a final line without a newline.
    fn read(&mut self, run_dir: &Path, last: bool) -> Result<()> {
        let Ok(mut f) = std::fs::File::open(run_dir.join("curves.jsonl")) else {
            return Ok(());
        };
        let len = f.metadata()?.len();
        if len < self.offset {
            // Rewritten from the start (a task that writes its curves whole).
            (self.offset, self.lines) = (0, 0);
        }
        f.seek(SeekFrom::Start(self.offset))?;
        let mut text = Vec::new();
        f.take(len - self.offset).read_to_end(&mut text)?;
        let end = match text.iter().rposition(|&b| b == b'\n') {
            _ if last => text.len(),
            Some(end) => end,
            None => return Ok(()),
        };
        self.offset += (end as u64 + 1).min(text.len() as u64);
        let wall = now();
        for line in text[..end].split(|&b| b == b'\n') {
            self.line(wall, line)?;
        }
        Ok(())
    }

    fn line(&mut self, wall: f64, line: &[u8]) -> Result<()> {
        let Some(values) = std::str::from_utf8(line).ok().and_then(curve_line) else {
            return Ok(());
        };
        self.lines += 1;
        let step = curve_step(&values, self.lines - 1);
        self.last_step = self.last_step.max(step);
        for (tag, value) in values
            .iter()
            .filter(|(k, _)| !STEP_KEYS.contains(&k.as_str()))
        {
            self.file.write(&scalar_event(wall, step, tag, *value))?;
        }
        Ok(())
    }

    /// Ends the run: the rest of its curves, its metrics.json as `final/<metric>` at the last
    /// step, and the session end.
    pub fn end(&mut self, run_dir: &Path, ending: Ending) -> Result<()> {
        self.read(run_dir, true)?;
        let wall = now();
        for (k, x) in crate::metrics::flatten::run_metrics(run_dir) {
            let tag = format!("final/{k}");
            self.file
                .write(&scalar_event(wall, self.last_step, &tag, x))?;
        }
        let end = Message::default().int(1, ending as i64).double(2, wall);
        let data = Message::default().message(4, &end);
        self.file
            .write(&hparams_event(wall, "_hparams_/session_end_info", data))
    }
}
