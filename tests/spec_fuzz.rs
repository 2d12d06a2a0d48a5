//! A mutation fuzz over the specs in `experiments/`: thousands of mutants (bytes deleted or
//! inserted, lines duplicated or swapped, numbers made huge or negative, names misspelt, very
//! long lines, grids of 10^8 and 10^20 runs) each planned in-process and, when valid, shown as a
//! dry run. Every mutant must end in a plan or in an error that names its file: no panic, no
//! hang, no memory blow-up.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Mutants per spec.
const PER_SPEC: usize = 400;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

const SNIPPETS: &[&str] = &[
    "\"",
    "[",
    "]",
    "=",
    "{",
    "}",
    "\n",
    ",",
    "'''",
    "#",
    "\"x\"",
    "1e400",
    "-1",
    "0",
    "99999999999999999999",
    "-9223372036854775808",
    "nan",
    "inf",
    "true",
    "[[exclude]]\n",
    "[[include]]\n",
    "[[zip]]\n",
    "seed = 1\n",
    "= []",
    "\u{0}",
    "é",
    "\u{202e}",
];

/// One mutant of `text`.
fn mutate(text: &str, rng: &mut Rng) -> String {
    let chars: Vec<char> = text.chars().collect();
    let lines: Vec<&str> = text.lines().collect();
    let at = rng.below(chars.len() + 1);
    let joined = |l: Vec<&str>| l.join("\n") + "\n";
    match rng.below(9) {
        0 => {
            let end = (at + 1 + rng.below(10)).min(chars.len());
            chars[..at].iter().chain(&chars[end..]).collect()
        }
        1 => {
            let s = SNIPPETS[rng.below(SNIPPETS.len())];
            chars[..at].iter().collect::<String>() + s + &chars[at..].iter().collect::<String>()
        }
        2 => {
            let mut l = lines.clone();
            let i = rng.below(l.len());
            l.insert(i, lines[i]);
            joined(l)
        }
        3 => {
            let mut l = lines.clone();
            let (i, j) = (rng.below(l.len()), rng.below(l.len()));
            l.swap(i, j);
            joined(l)
        }
        4 => {
            let huge = ["18446744073709551616", "-5", "1e300", "0.0", "4294967296"][rng.below(5)];
            let digits: Vec<usize> = (0..chars.len())
                .filter(|&i| chars[i].is_ascii_digit())
                .collect();
            match digits.get(rng.below(digits.len())) {
                Some(&i) => {
                    chars[..i].iter().collect::<String>()
                        + huge
                        + &chars[i + 1..].iter().collect::<String>()
                }
                None => text.to_string(),
            }
        }
        5 => {
            // A very long line (an error past column 65,535 must still print).
            let mut l = lines.clone();
            let long = format!("x{} = 1", "a".repeat(70_000 + rng.below(1000)));
            l.insert(rng.below(l.len() + 1), &long);
            joined(l.iter().map(|s| &**s).collect())
        }
        6 => {
            // A grid of 10^8 (or 10^20) runs.
            let axes = if rng.below(2) == 0 { 8 } else { 20 };
            let values: Vec<String> = (0..10).map(|v| v.to_string()).collect();
            let extra: String = (0..axes)
                .map(|a| format!("fuzz{a} = [{}]\n", values.join(", ")))
                .collect();
            text.replacen("[grid]\n", &format!("[grid]\n{extra}"), 1)
        }
        7 => {
            // A misspelt name in some string value.
            let quotes: Vec<usize> = (0..chars.len()).filter(|&i| chars[i] == '"').collect();
            match quotes.get(rng.below(quotes.len())) {
                Some(&i) => {
                    chars[..=i].iter().collect::<String>()
                        + "zz"
                        + &chars[i + 1..].iter().collect::<String>()
                }
                None => text.to_string(),
            }
        }
        _ => {
            let mut l = lines.clone();
            l.remove(rng.below(l.len()));
            joined(l)
        }
    }
}

/// Plans a spec file (and shows its dry run) in a thread; the error text, or None when valid.
fn plan(path: PathBuf) -> Result<Option<String>, String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            match runner::task::planning::plan(&path, &[]) {
                Ok((spec, grid)) => {
                    let store = runner::store::ExperimentDir::new(path.with_extension("runs"));
                    if grid.runs.len() <= 10_000 {
                        let _ = runner::console::dry_run::render(&spec, &grid, &store, false);
                    }
                    None
                }
                Err(e) => Some(match e.downcast_ref::<runner::spec::SpecError>() {
                    Some(s) => s.to_string(),
                    None => format!("{e:#}"),
                }),
            }
        }));
        let _ = tx.send(outcome.map_err(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        }));
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(outcome) => outcome.map_err(|p| format!("panic: {p}")),
        Err(_) => Err("hang: no answer in 20 s".into()),
    }
}

#[test]
fn mutated_specs_never_panic_or_hang_and_every_error_names_its_file() {
    std::panic::set_hook(Box::new(|_| {}));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let experiments = dir.path().join("experiments");
    std::fs::create_dir_all(&experiments).unwrap();
    for entry in std::fs::read_dir(root.join("configs")).unwrap() {
        let entry = entry.unwrap();
        std::fs::create_dir_all(dir.path().join("configs")).unwrap();
        std::fs::copy(
            entry.path(),
            dir.path().join("configs").join(entry.file_name()),
        )
        .unwrap();
    }
    let mut specs: Vec<PathBuf> = std::fs::read_dir(root.join("experiments"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    specs.sort();
    let started = Instant::now();
    let (mut mutants, mut valid, mut with_line) = (0, 0, 0);
    let mut problems: Vec<String> = Vec::new();
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for spec in &specs {
        let text = std::fs::read_to_string(spec).unwrap();
        for k in 0..PER_SPEC {
            let name = format!("m{k}-{}", spec.file_name().unwrap().to_string_lossy());
            let path = experiments.join(&name);
            let mutant = mutate(&text, &mut rng);
            std::fs::write(&path, &mutant).unwrap();
            mutants += 1;
            let outcome = plan(path.clone());
            match outcome {
                Ok(None) => valid += 1,
                Ok(Some(error)) if error.contains(&name) => {
                    with_line += usize::from(error.contains(&format!("{name}:")));
                }
                Ok(Some(error)) => {
                    problems.push(format!("{name}: the error does not name the file: {error}"))
                }
                Err(e) => problems.push(format!(
                    "{name}: {e}\n--- mutant ---\n{}",
                    mutant.chars().take(2000).collect::<String>()
                )),
            }
            let _ = std::fs::remove_file(&path);
        }
    }
    let _ = std::panic::take_hook();
    eprintln!(
        "{mutants} mutants of {} specs in {:.1} s: {valid} valid, {} errors ({with_line} with a line), {} problems",
        specs.len(),
        started.elapsed().as_secs_f64(),
        mutants - valid - problems.len(),
        problems.len()
    );
    assert!(
        problems.is_empty(),
        "{}",
        problems
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}
