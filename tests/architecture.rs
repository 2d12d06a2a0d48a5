//! The shape of `src/`: its top-level modules form one order of layers (ARCHITECTURE.md), no
//! module imports one above it (so no two import each other), inside every folder the rooms
//! (files and subfolders) import each other without a circle, no function is longer than
//! ~100 lines and no file longer than ~500. Each failure names the file and line.

#[path = "architecture/rooms.rs"]
mod rooms;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, bottom first: a module may import only modules listed before it.
const LAYERS: &[&str] = &[
    "error",
    "data",
    "spec",
    "grid",
    "store",
    "metrics",
    "tracking",
    "models",
    "codecs",
    "weights",
    "prompt",
    "artifacts",
    "task",
    "bench",
    "analysis",
    "paper",
    "scheduler",
    "console",
    "cli",
];

/// Longest function body allowed, in lines (signature to closing brace).
const MAX_FUNCTION_LINES: usize = 100;
/// Longest file allowed, in lines.
const MAX_FILE_LINES: usize = 500;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for lib.rs, main.rs and the other
/// executables' entry points in `src/bin/`, which stand above every layer).
fn top_module(path: &Path) -> Option<String> {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_string_lossy();
    let name = first.trim_end_matches(".rs").to_string();
    (name != "lib" && name != "main" && name != "bin").then_some(name)
}

/// The source with comments, strings and character literals blanked out (line breaks kept),
/// so that neither imports nor braces are found inside them.
fn code_only(text: &str) -> String {
    let b: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < b.len() && b[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == '/' && b.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if b[i] == '*' && b.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(b[i]));
                    i += 1;
                }
            }
        } else if c == 'r'
            && (next == Some('"') || next == Some('#'))
            && !ident_char(b.get(i.wrapping_sub(1)).copied())
        {
            // A raw string: r"..." or r#"..."#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            j += 1;
            loop {
                if j >= b.len() {
                    break;
                }
                if b[j] == '"' && (0..hashes).all(|h| b.get(j + 1 + h) == Some(&'#')) {
                    j += 1 + hashes;
                    break;
                }
                j += 1;
            }
            for &ch in &b[i..j.min(b.len())] {
                out.push(blank(ch));
            }
            i = j;
        } else if c == '"' {
            let mut j = i + 1;
            while j < b.len() && b[j] != '"' {
                j += if b[j] == '\\' { 2 } else { 1 };
            }
            for &ch in &b[i..(j + 1).min(b.len())] {
                out.push(blank(ch));
            }
            i = j + 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{..}') or a lifetime ('a).
            let end = if next == Some('\\') {
                (i + 2..b.len()).find(|&j| b[j] == '\'')
            } else if b.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(e) => {
                    for _ in i..=e {
                        out.push(' ');
                    }
                    i = e + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Every `crate::X` a file names (also inside `use crate::{X::.., Y::..}`), with its line.
fn imports(code: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            rest = &rest[at + "crate::".len()..];
            if ident_char(before) {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let inner = group.split('}').next().unwrap_or("");
                for item in inner.split(',') {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| ident_char(Some(*c)))
                        .collect();
                    if !name.is_empty() {
                        out.push((name, n + 1));
                    }
                }
            } else {
                let name: String = rest.chars().take_while(|c| ident_char(Some(*c))).collect();
                if !name.is_empty() {
                    out.push((name, n + 1));
                }
            }
        }
    }
    out
}

/// (first line, lines, name) of every function with a body.
fn functions(code: &str) -> Vec<(usize, usize, String)> {
    let lines: Vec<&str> = code.lines().collect();
    let mut out = Vec::new();
    for (start, line) in lines.iter().enumerate() {
        let Some(at) = find_fn(line) else { continue };
        let name: String = line[at + 3..]
            .trim_start()
            .chars()
            .take_while(|c| ident_char(Some(*c)))
            .collect();
        // The body: the first `{` before any `;`, then its matching `}`.
        let mut depth = 0i32;
        let mut opened = false;
        let mut end = None;
        'scan: for (n, l) in lines.iter().enumerate().skip(start) {
            let from = if n == start { at } else { 0 };
            for ch in l[from..].chars() {
                match ch {
                    ';' if !opened && depth == 0 => break 'scan,
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => {
                        depth -= 1;
                        if opened && depth == 0 {
                            end = Some(n);
                            break 'scan;
                        }
                    }
                    _ => {}
                }
            }
        }
        if let Some(end) = end {
            out.push((start + 1, end - start + 1, name));
        }
    }
    out
}

/// Where `fn NAME` starts in a line of code, if it declares a function.
fn find_fn(line: &str) -> Option<usize> {
    let mut search = 0;
    while let Some(rel) = line[search..].find("fn ") {
        let at = search + rel;
        let before = line[..at].chars().last();
        let after = line[at + 3..].trim_start().chars().next();
        if !ident_char(before) && after.is_some_and(|c| c.is_alphabetic() || c == '_') {
            return Some(at);
        }
        search = at + 3;
    }
    None
}

struct Tree {
    files: Vec<(PathBuf, String, String)>,
}

fn tree() -> Tree {
    let mut paths = Vec::new();
    rust_files(&src(), &mut paths);
    let files = paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let code = code_only(&text);
            (p, text, code)
        })
        .collect();
    Tree { files }
}

fn rel(path: &Path) -> String {
    path.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .display()
        .to_string()
}

#[test]
fn no_module_imports_one_above_it() {
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut problems = Vec::new();
    let mut arrows: BTreeSet<(String, String)> = BTreeSet::new();
    let mut upward = 0;
    for (path, _, code) in &tree().files {
        let Some(from) = top_module(path) else {
            continue;
        };
        let Some(from_rank) = rank(&from) else {
            problems.push(format!(
                "{}: module `{from}` is in no layer (add it to LAYERS and ARCHITECTURE.md)",
                rel(path)
            ));
            continue;
        };
        for (to, line) in imports(code) {
            if to == from {
                continue;
            }
            let Some(to_rank) = rank(&to) else { continue };
            arrows.insert((from.clone(), to.clone()));
            if to_rank > from_rank {
                upward += 1;
                problems.push(format!(
                    "{}:{line}: `{from}` imports `{to}`, a layer above it",
                    rel(path)
                ));
            }
        }
    }
    let circles: Vec<String> = arrows
        .iter()
        .filter(|(a, b)| a < b && arrows.contains(&(b.clone(), a.clone())))
        .map(|(a, b)| format!("{a} <-> {b}"))
        .collect();
    println!(
        "upward imports: {upward}; pairs of modules importing each other: {}",
        circles.len()
    );
    assert!(
        problems.is_empty() && circles.is_empty(),
        "{}\n{}",
        problems.join("\n"),
        circles.join("\n")
    );
}

#[test]
fn no_circles_inside_a_folder() {
    let files: Vec<(PathBuf, String)> = tree()
        .files
        .into_iter()
        .map(|(path, _, code)| (path, code))
        .collect();
    let arrows = rooms::arrows(&src(), &files);
    let circles = rooms::circles(&arrows);
    let folders: BTreeSet<&str> = arrows.iter().map(|a| a.folder.as_str()).collect();
    println!(
        "{} arrows between rooms in {} folders; circles: {}",
        arrows.len(),
        folders.len(),
        circles.len()
    );
    // The scanner sees the imports it must: a known arrow, and hundreds in all.
    assert!(
        arrows.len() > 300,
        "only {} arrows found: the scanner is broken",
        arrows.len()
    );
    assert!(
        arrows
            .iter()
            .any(|a| a.folder == "task" && a.from == "kinds" && a.to == "kind"),
        "the arrow task: kinds -> kind was not found"
    );
    assert!(
        circles.is_empty(),
        "circles inside folders:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_room_scanner_reads_groups_supers_and_inline_modules() {
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path();
    std::fs::create_dir_all(src.join("a/b")).unwrap();
    for f in ["a/mod.rs", "a/x.rs", "a/y.rs", "a/b/mod.rs", "a/b/z.rs"] {
        std::fs::write(src.join(f), "").unwrap();
    }
    let files = vec![
        (
            src.join("a/x.rs"),
            code_only("use super::{y::Y, b::z::Z};\nmod tests {\n use super::*;\n}\n"),
        ),
        (src.join("a/y.rs"), code_only("use crate::a::x::X;\n")),
        (
            src.join("a/mod.rs"),
            code_only("pub use x::X;\nfn f() { y::g(); }\n"),
        ),
        (
            src.join("a/b/z.rs"),
            code_only("use super::super::Door;\nuse crate::a::X;\n"),
        ),
    ];
    let arrows = rooms::arrows(src, &files);
    let seen: Vec<String> = arrows
        .iter()
        .map(|a| {
            format!(
                "{}: {} -> {} {}",
                a.folder,
                a.from,
                a.to,
                a.at.rsplit(':').next().unwrap()
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            "a: x -> y 1",
            "a: x -> b 1",
            "a: y -> x 1",
            "a: mod -> y 2",
            "a: b -> mod 1",
            "a: b -> x 2", // through the door: `a` re-exports `x::X`
        ]
    );
    let circles = rooms::circles(&arrows);
    assert!(
        circles
            .iter()
            .any(|c| c.contains("x -> y") && c.contains("y -> x")),
        "{circles:?}"
    );
    // The same arrows without the ones that close a loop: no circle.
    let downward: Vec<rooms::Arrow> = arrows
        .into_iter()
        .filter(|a| {
            matches!(
                (a.from.as_str(), a.to.as_str()),
                ("x", "y") | ("x", "b") | ("b", "mod")
            )
        })
        .collect();
    assert_eq!(rooms::circles(&downward), Vec::<String>::new());
}

#[test]
fn functions_and_files_stay_readable() {
    let mut problems = Vec::new();
    let mut longest: Vec<(usize, String)> = Vec::new();
    for (path, text, code) in &tree().files {
        let n = text.lines().count();
        if n > MAX_FILE_LINES {
            problems.push(format!(
                "{}: {n} lines (at most {MAX_FILE_LINES})",
                rel(path)
            ));
        }
        for (line, len, name) in functions(code) {
            longest.push((len, format!("{}:{line} {name}", rel(path))));
            if len > MAX_FUNCTION_LINES {
                problems.push(format!(
                    "{}:{line}: fn {name} has {len} lines (at most {MAX_FUNCTION_LINES})",
                    rel(path)
                ));
            }
        }
    }
    longest.sort_by_key(|l| std::cmp::Reverse(l.0));
    for (len, at) in longest.iter().take(5) {
        println!("{len:>4} lines  {at}");
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_scanner_sees_through_strings_and_comments() {
    let code = code_only("// crate::cli\nlet s = \"crate::cli {\"; let c = '{';\nuse crate::{grid::X, store::Y};\nfn f<'a>(x: &'a str) {\n  r#\"}\"#;\n}\n");
    let found: Vec<String> = imports(&code).into_iter().map(|(m, _)| m).collect();
    assert_eq!(found, ["grid", "store"]);
    let f = functions(&code);
    assert_eq!(f, vec![(4, 3, "f".to_string())]);
}
