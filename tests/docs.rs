//! The documentation holds together: every relative link in README.md, ARCHITECTURE.md and
//! docs/ resolves (the file exists, and a `#fragment` names a heading of it), the README stays
//! a front door (at most 300 lines), and every built-in task kind has its page, linked from the
//! README. (The parameter tables on those pages are checked against the code by
//! `console::tasks`'s tests.)

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The Markdown files whose links are checked.
fn pages() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    let mut stack = vec![root().join("docs")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The text outside code fences and inline code, line by line (fenced lines left empty).
fn prose(text: &str) -> Vec<String> {
    let mut fenced = false;
    text.lines()
        .map(|line| {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                return String::new();
            }
            if fenced || line.starts_with("    ") {
                return String::new();
            }
            // Drop inline code spans.
            line.split('`')
                .enumerate()
                .filter(|(i, _)| i % 2 == 0)
                .map(|(_, s)| s)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Every link target `[text](target)` of a page, with its line.
fn links(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for (n, line) in prose(text).iter().enumerate() {
        let mut rest = line.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            out.push((after[..end].trim().to_string(), n + 1));
            rest = &after[end..];
        }
    }
    out
}

/// GitHub's anchor of a heading: lower case, spaces to hyphens, other punctuation dropped.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c.to_ascii_lowercase()),
            _ => None,
        })
        .collect()
}

/// The anchors of a page's headings.
fn anchors(path: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut fenced = false;
    let mut out = BTreeSet::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if !fenced && line.starts_with('#') {
            out.insert(slug(line.trim_start_matches('#')));
        }
    }
    out
}

/// What is wrong with one link of `page`, if anything.
fn broken(page: &Path, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with("mailto:") {
        return None;
    }
    let (file, fragment) = match target.split_once('#') {
        Some((f, a)) => (f, Some(a)),
        None => (target, None),
    };
    let resolved = if file.is_empty() {
        page.to_path_buf()
    } else {
        page.parent().unwrap().join(file)
    };
    if !resolved.exists() {
        return Some(format!("`{target}`: no file {}", resolved.display()));
    }
    let fragment = fragment?;
    let is_markdown = resolved.extension().is_some_and(|e| e == "md");
    (is_markdown && !anchors(&resolved).contains(fragment))
        .then(|| format!("`{target}`: no heading with the anchor `#{fragment}`"))
}

#[test]
fn every_relative_link_resolves() {
    let mut problems = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let text = std::fs::read_to_string(&page).unwrap();
        for (target, line) in links(&text) {
            checked += 1;
            if let Some(problem) = broken(&page, &target) {
                let rel = page.strip_prefix(root()).unwrap().display().to_string();
                problems.push(format!("{rel}:{line}: {problem}"));
            }
        }
    }
    println!("{checked} links checked");
    assert!(checked > 20, "the link scanner found only {checked} links");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_link_checker_finds_what_is_broken() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("a.md");
    std::fs::write(&page, "# A page\n\n## Its `second` part\n").unwrap();
    assert_eq!(broken(&page, "a.md#its-second-part"), None);
    assert_eq!(broken(&page, "#a-page"), None);
    assert!(broken(&page, "#nothing").is_some());
    assert!(broken(&page, "b.md").is_some());
    assert_eq!(broken(&page, "https://example.org/x.md"), None);
    let found: Vec<String> = links("see [x](a.md) and `[y](z.md)`\n```\n[w](v.md)\n```\n")
        .into_iter()
        .map(|(t, _)| t)
        .collect();
    assert_eq!(found, ["a.md"]);
}

#[test]
fn the_readme_is_a_front_door() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let lines = readme.lines().count();
    assert!(
        lines <= 300,
        "README.md has {lines} lines (at most 300): move detail to docs/"
    );
}

#[test]
fn every_built_in_task_kind_has_its_page() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    for task in runner::task::registry() {
        if task.params().is_empty() && task.name() != "command" {
            continue; // internal kinds (artifact builds) have no page
        }
        let page = format!("docs/tasks/{}.md", task.name());
        assert!(root().join(&page).exists(), "no page {page}");
        assert!(
            readme.contains(&format!("({page})")),
            "README.md does not link {page}"
        );
    }
}
