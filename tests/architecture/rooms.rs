//! One level down: inside every folder of `src/`, its rooms (each file and each subfolder; the
//! folder's `mod.rs` is the room `mod`) import each other without a circle. Imports are read
//! from `crate::`, `super::` and `self::` paths and from paths that start with a child module;
//! `pub use` in a `mod.rs` only opens the folder's door (a re-export), so it draws no arrow.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The room a file of `src/` stands in and the rooms it imports, per folder.
pub struct Arrow {
    /// The folder (module path, e.g. `task::kinds`).
    pub folder: String,
    /// The importing room.
    pub from: String,
    /// The imported room.
    pub to: String,
    /// Where: `src/...:line`.
    pub at: String,
}

/// A file's module path: `src/task/kinds/weights/lm.rs` → `[task, kinds, weights, lm]`,
/// `src/task/mod.rs` → `[task]`.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().unwrap_or_default();
    let stem = last.trim_end_matches(".rs");
    if stem != "mod" && stem != "lib" && stem != "main" {
        parts.push(stem.to_string());
    }
    parts
}

/// The child modules a module has on disk (files and folders beside or below it).
fn children_of(src: &Path, module: &[String]) -> BTreeSet<String> {
    let dir = module.iter().fold(src.to_path_buf(), |d, m| d.join(m));
    let mut out = BTreeSet::new();
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if e.path().is_dir() {
                out.insert(name);
            } else if let Some(stem) = name.strip_suffix(".rs") {
                if stem != "mod" {
                    out.insert(stem.to_string());
                }
            }
        }
    }
    out
}

fn ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The identifier starting at `i`, if any.
fn word_at(b: &[char], i: usize) -> String {
    b[i..].iter().take_while(|c| ident(**c)).collect()
}

/// Skips spaces from `i`.
fn skip_space(b: &[char], mut i: usize) -> usize {
    while i < b.len() && b[i].is_whitespace() {
        i += 1;
    }
    i
}

/// The paths of a path expression starting at `i` (`a::b::{c, d::e}` → `a::b::c`, `a::b::d::e`)
/// and where it ends.
fn paths_at(b: &[char], i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = i;
    loop {
        let w = word_at(b, i);
        if w.is_empty() {
            break;
        }
        i += w.chars().count();
        prefix.push(w);
        let j = skip_space(b, i);
        if !(b.get(j) == Some(&':') && b.get(j + 1) == Some(&':')) {
            break;
        }
        i = skip_space(b, j + 2);
        if b.get(i) == Some(&'{') {
            let (inner, end) = group(b, i);
            let paths = inner
                .into_iter()
                .map(|rest| prefix.iter().cloned().chain(rest).collect())
                .collect();
            return (paths, end);
        }
    }
    (vec![prefix], i)
}

/// The paths inside a `{...}` group starting at `open`, and the index past its `}`.
fn group(b: &[char], open: usize) -> (Vec<Vec<String>>, usize) {
    let mut out = Vec::new();
    let mut i = open + 1;
    while i < b.len() {
        i = skip_space(b, i);
        match b.get(i) {
            Some('}') => return (out, i + 1),
            None => break,
            Some(',') => i += 1,
            Some(c) if ident(*c) => {
                let (paths, end) = paths_at(b, i);
                out.extend(paths);
                i = end.max(i + 1);
            }
            Some(_) => i += 1,
        }
    }
    (out, i)
}

/// Resolves a path written in module `at` to an absolute module path (`None`: not this crate's).
fn resolve(path: &[String], at: &[String], children: &BTreeSet<String>) -> Option<Vec<String>> {
    let (mut base, mut rest): (Vec<String>, &[String]) = match path.first()?.as_str() {
        "crate" => (Vec::new(), &path[1..]),
        "self" => (at.to_vec(), &path[1..]),
        "super" => (at.to_vec(), path),
        first if children.contains(first) => (at.to_vec(), path),
        _ => return None,
    };
    while rest.first().is_some_and(|s| s == "super") {
        base.pop();
        rest = &rest[1..];
    }
    base.extend(rest.iter().take_while(|s| *s != "self").cloned());
    Some(base)
}

/// What a file imports.
#[derive(Default)]
struct Imports {
    /// (absolute path, line) of each import, with inline modules (`mod tests {`) taken into
    /// account for `super::` and `self::`.
    paths: Vec<(Vec<String>, usize)>,
    /// The absolute paths a `mod.rs` re-exports (`pub use`).
    reexports: Vec<Vec<String>>,
}

/// Every import of a file.
fn imports_of(src: &Path, rel: &Path, code: &str) -> Imports {
    let file_module = module_of(rel);
    let is_door = rel.file_name().is_some_and(|n| n == "mod.rs");
    let b: Vec<char> = code.chars().collect();
    let mut out = Imports::default();
    // Inline modules: (name, brace depth at which it opened).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let (mut depth, mut line, mut i) = (0usize, 1usize, 0usize);
    let mut line_start = 0;
    let file_children = children_of(src, &file_module);
    let no_children = BTreeSet::new();
    while i < b.len() {
        let c = b[i];
        if c == '\n' {
            line += 1;
            line_start = i + 1;
        }
        if c == '{' {
            depth += 1;
        }
        if c == '}' {
            depth = depth.saturating_sub(1);
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
        }
        let starts_word = !(i > 0 && (ident(b[i - 1]) || b[i - 1] == ':'));
        if !starts_word || !ident(c) {
            i += 1;
            continue;
        }
        let w = word_at(&b, i);
        if w == "mod" {
            let j = skip_space(&b, i + 3);
            let name = word_at(&b, j);
            let k = skip_space(&b, j + name.chars().count());
            if !name.is_empty() && b.get(k) == Some(&'{') {
                inline.push((name, depth));
            }
        }
        let here: Vec<String> = file_module
            .iter()
            .cloned()
            .chain(inline.iter().map(|(n, _)| n.clone()))
            .collect();
        let children = if inline.is_empty() {
            &file_children
        } else {
            &no_children
        };
        let text: String = b[line_start..i].iter().collect();
        let text = text.trim_start();
        let reexport =
            is_door && (text.starts_with("pub use") || text.starts_with("pub(crate) use"));
        let follows = skip_space(&b, i + w.chars().count());
        if b.get(follows) == Some(&':') && b.get(follows + 1) == Some(&':') {
            let (paths, end) = paths_at(&b, i);
            for path in &paths {
                match resolve(path, &here, children) {
                    Some(abs) if reexport => out.reexports.push(abs),
                    Some(abs) => out.paths.push((abs, line)),
                    None => {}
                }
            }
            // Count the lines the expression spans.
            line += b[i..end].iter().filter(|c| **c == '\n').count();
            i = end;
            continue;
        }
        i += w.chars().count();
    }
    out
}

/// The room of module path `module` in folder `folder` (`None` when outside it or the folder itself).
fn room_in(src: &Path, folder: &[String], module: &[String]) -> Option<String> {
    if module.len() < folder.len() || module[..folder.len()] != *folder {
        return None;
    }
    match module.get(folder.len()) {
        Some(next) if children_of(src, folder).contains(next) => Some(next.clone()),
        _ => Some("mod".to_string()),
    }
}

/// `path` with the names a door re-exports replaced by where they are defined (`task::Task`
/// → `task::kind::Task`), so that an import through a folder's door reaches the room behind it.
fn through_doors(path: Vec<String>, doors: &BTreeMap<Vec<String>, Vec<String>>) -> Vec<String> {
    let mut path = path;
    for _ in 0..8 {
        let hit = (1..=path.len())
            .rev()
            .find_map(|n| doors.get(&path[..n]).map(|to| (n, to)));
        match hit {
            Some((n, to)) if to[..] != path[..n] => {
                path = to
                    .iter()
                    .cloned()
                    .chain(path[n..].iter().cloned())
                    .collect();
            }
            _ => break,
        }
    }
    path
}

/// Every arrow between two rooms of one folder, for every folder below `src/`.
pub fn arrows(src: &Path, files: &[(PathBuf, String)]) -> Vec<Arrow> {
    let mut out = Vec::new();
    let mut all = Vec::new();
    let mut doors = BTreeMap::new();
    for (path, code) in files {
        let rel = path.strip_prefix(src).unwrap();
        let imports = imports_of(src, rel, code);
        let own = module_of(rel);
        for target in imports.reexports {
            if let Some(name) = target.last() {
                let at: Vec<String> = own.iter().cloned().chain([name.clone()]).collect();
                doors.insert(at, target);
            }
        }
        all.push((rel.to_path_buf(), own, imports.paths));
    }
    for (rel, own, paths) in all {
        let is_door = rel.file_name().is_some_and(|n| n == "mod.rs");
        let folders = if is_door {
            own.len()
        } else {
            own.len().saturating_sub(1)
        };
        for (module, line) in paths {
            let module = through_doors(module, &doors);
            for depth in 1..=folders {
                let folder = &own[..depth];
                let (Some(from), Some(to)) =
                    (room_in(src, folder, &own), room_in(src, folder, &module))
                else {
                    continue;
                };
                if from != to {
                    out.push(Arrow {
                        folder: folder.join("::"),
                        from,
                        to,
                        at: format!("src/{}:{line}", rel.display()),
                    });
                }
            }
        }
    }
    out
}

/// The circles among the rooms of each folder: each as `folder: a -> b -> ... -> a`, with
/// where each arrow of it is written.
pub fn circles(arrows: &[Arrow]) -> Vec<String> {
    let mut by_folder: BTreeMap<&str, BTreeMap<(&str, &str), &str>> = BTreeMap::new();
    for a in arrows {
        by_folder
            .entry(&a.folder)
            .or_default()
            .entry((&a.from, &a.to))
            .or_insert(&a.at);
    }
    let mut out = Vec::new();
    for (folder, edges) in by_folder {
        let mut seen_cycles: BTreeSet<Vec<&str>> = BTreeSet::new();
        let nodes: BTreeSet<&str> = edges.keys().flat_map(|(a, b)| [*a, *b]).collect();
        for start in &nodes {
            if let Some(cycle) = cycle_from(start, &edges) {
                let mut key = cycle.clone();
                key.sort();
                if seen_cycles.insert(key) {
                    let steps: Vec<String> = cycle
                        .iter()
                        .zip(cycle.iter().cycle().skip(1))
                        .map(|(a, b)| format!("{a} -> {b} ({})", edges[&(*a, *b)]))
                        .collect();
                    out.push(format!("{folder}: {}", steps.join(", ")));
                }
            }
        }
    }
    out
}

/// A shortest circle through `start`, if there is one (breadth-first).
fn cycle_from<'a>(
    start: &'a str,
    edges: &BTreeMap<(&'a str, &'a str), &str>,
) -> Option<Vec<&'a str>> {
    let mut parent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        for (_, to) in edges.keys().filter(|(a, _)| *a == node) {
            if *to == start {
                let mut path = vec![node];
                while let Some(p) = parent.get(path.last().unwrap()) {
                    path.push(p);
                }
                path.reverse();
                return Some(path);
            }
            if !parent.contains_key(to) && *to != start {
                parent.insert(to, node);
                queue.push_back(to);
            }
        }
    }
    None
}
