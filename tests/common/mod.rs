//! Helpers for tests that run the real `runner` binary in a temporary directory.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A temporary project directory with specs and a `runs/` folder.
pub struct Project {
    pub dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Project {
        Project {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes a file (creating parent directories) and returns its path.
    pub fn write(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// A `runner` command run in the project directory.
    pub fn runner(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_runner"));
        cmd.current_dir(self.path());
        cmd.env_remove("CUDA_VISIBLE_DEVICES");
        cmd
    }

    /// Runs `runner ARGS` to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.runner().args(args).output().unwrap()
    }

    /// Lines of runs/<exp>/results.jsonl parsed as JSON.
    pub fn results(&self, exp: &str) -> Vec<serde_json::Value> {
        let text =
            std::fs::read_to_string(self.path().join("runs").join(exp).join("results.jsonl"))
                .unwrap_or_default();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    /// status.json of every run directory of an experiment.
    pub fn statuses(&self, exp: &str) -> Vec<serde_json::Value> {
        let dir = self.path().join("runs").join(exp).join("runs");
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path().join("status.json")).unwrap();
            out.push(serde_json::from_str(&text).unwrap());
        }
        out
    }
}

/// The id of the artifact of kind `prefix` (e.g. `lm-`) a results line lists.
pub fn artifact_id<'a>(result: &'a serde_json::Value, prefix: &str) -> &'a str {
    result["artifacts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v["id"].as_str())
        .find(|id| id.starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} artifact in {result}"))
}

/// stdout and stderr of an output as one string.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A spec for the `command` task whose runs sleep `sleep` seconds and write metrics.
pub fn sleepy_spec(name: &str, n: usize, sleep: &str, extra: &str) -> String {
    let xs: Vec<String> = (0..n).map(|i| i.to_string()).collect();
    format!(
        r#"[experiment]
name = "{name}"
task = "command"

[params]
command = '''sleep {sleep}; echo "{{{{\"value\": {{x}}}}}}" > "$RUNNER_RUN_DIR/metrics.json"'''

[grid]
x = [{xs}]

[resources]
devices = "cpu"
runs_per_device = 2
kill_grace = "2s"
{extra}
"#,
        xs = xs.join(", ")
    )
}

/// Starts `runner ARGS` in the background (stderr discarded unless `keep_stderr`).
pub fn spawn(p: &Project, args: &[&str], keep_stderr: bool) -> std::process::Child {
    let stderr = if keep_stderr {
        std::process::Stdio::piped()
    } else {
        std::process::Stdio::null()
    };
    p.runner().args(args).stderr(stderr).spawn().unwrap()
}

/// Polls `cond` every 20 ms until it holds or `secs` pass.
pub fn wait_until(secs: u64, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() && start.elapsed() < std::time::Duration::from_secs(secs) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// Four articles, each a paragraph with two questions whose answers are in the text.
pub fn squad_fixture() -> String {
    let mut articles = Vec::new();
    for (i, (city, team)) in [
        ("Denver", "Broncos"),
        ("Boston", "Patriots"),
        ("Seattle", "Seahawks"),
        ("Miami", "Dolphins"),
    ]
    .iter()
    .enumerate()
    {
        let context = format!("The {team} play in {city}. In 2015 the {team} defeated the Carolina Panthers at Levi's Stadium.");
        let start = context.find("Carolina").unwrap();
        articles.push(format!(
            r#"{{"title": "T{i}", "paragraphs": [{{"context": "{context}", "qas": [
                {{"id": "q{i}a", "question": "Which team did the {team} defeat in 2015?", "answers": [{{"text": "Carolina Panthers", "answer_start": {start}}}]}},
                {{"id": "q{i}b", "question": "Where do the {team} play?", "answers": [{{"text": "{city}", "answer_start": {c}}}]}}]}}]}}"#,
            c = context.find(city).unwrap()
        ));
    }
    format!(r#"{{"version": "1.1", "data": [{}]}}"#, articles.join(","))
}

/// A prompt-compression spec on the tiny SQuAD fixture (write it to data/tiny.json) with the
/// sliding-window reader and a tiny token classifier; `extra` goes into [params], `grid` is the
/// body of [grid].
pub fn tiny_prompt_spec(name: &str, extra: &str, grid: &str) -> String {
    format!(
        "[experiment]\nname = \"{name}\"\ntask = \"prompt-compression\"\n\n[params]\ndataset = \"data/tiny.json\"\ntrain_articles = 2\neval_articles = 2\nbootstrap = 50\nreader = \"sliding_window\"\nclassifier_d_model = 8\nclassifier_layers = 1\n{extra}\n\n[grid]\n{grid}\n"
    )
}

/// Compiles a LaTeX fragment inside a minimal booktabs document in the project directory with
/// the first TeX engine found; None (after saying SKIPPED) when none is installed.
pub fn compile_latex(p: &Project, fragment: &str) -> Option<Output> {
    let Some(engine) = ["pdflatex", "lualatex", "xelatex"]
        .into_iter()
        .find(|e| Command::new(e).arg("--version").output().is_ok())
    else {
        eprintln!("SKIPPED: no TeX engine (pdflatex/lualatex/xelatex) installed");
        return None;
    };
    p.write(
        "doc.tex",
        &format!("\\documentclass{{article}}\n\\usepackage{{booktabs}}\n\\begin{{document}}\n{fragment}\n\\end{{document}}\n"),
    );
    Some(
        Command::new(engine)
            .args(["-interaction=nonstopmode", "-halt-on-error", "doc.tex"])
            .current_dir(p.path())
            .output()
            .unwrap(),
    )
}

/// A one-layer byte-level GRU of width `hidden`.
pub fn byte_gru(hidden: usize) -> runner::models::lm::LmConfig {
    runner::models::lm::LmConfig {
        arch: runner::models::lm::Arch::Gru,
        hidden,
        layers: 1,
        heads: 1,
        window: 8,
        vocab: runner::models::lm::BYTES,
    }
}

/// lm-codec parameters of adaptive mode with a small byte GRU (learning rate 1e-2, updates
/// every 32 bytes, one thread) whose initial weights come from `seed`.
pub fn adaptive_gru(hidden: usize, seed: u64) -> runner::codecs::learned::format::Params {
    use runner::codecs::learned::format::{AdaptiveSettings, Mode, Params};
    Params {
        mode: Mode::Adaptive,
        model: byte_gru(hidden),
        adaptive: Some(AdaptiveSettings {
            seed,
            learning_rate: 1e-2,
            segment: 32,
        }),
        threads: 1,
        crlf: false,
        text_crc: None,
        backend: None,
        mixing: None,
    }
}

/// The reference Python (`RUNNER_PYTHON`, else python3) when it imports `modules` (e.g.
/// "scipy, statsmodels"); otherwise None with a SKIPPED message, or a failure when
/// `RUNNER_REQUIRE_REFERENCE` is set (`.ci/run` sets it: there the checks must run).
pub fn reference_python(modules: &str) -> Option<String> {
    let python = std::env::var("RUNNER_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("RUNNER_REQUIRE_REFERENCE").is_none(),
            "RUNNER_REQUIRE_REFERENCE is set but {python} cannot import {modules}"
        );
        eprintln!("SKIPPED: {python} cannot import {modules}; the reference check did not run");
        return None;
    }
    Some(python)
}
