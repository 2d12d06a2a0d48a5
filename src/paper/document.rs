//! report.md: the description, each experiment with its runs completed and planned, compute
//! time, runner versions and git commits, the tables and figures, what is missing or failed,
//! and the spec.

use super::definition::Definition;
use super::tables;
use crate::analysis::experiment_data::ExperimentData;
use crate::metrics::intervals::CiMethod;

/// report.md: description, experiments, counts, compute time, versions, tables, figures, spec.
pub fn document(
    data: &[ExperimentData],
    def: &Definition,
    method: CiMethod,
    tables_md: &str,
    figures_md: &str,
) -> String {
    let mut md = format!(
        "# {}\n\n",
        def.title.clone().unwrap_or_else(|| "Report".into())
    );
    if let Some(d) = &def.description {
        md.push_str(&format!("{d}\n\n"));
    }
    md.push_str("## Experiments\n\n");
    for e in data {
        let incomplete = e.incomplete();
        let planned = e.plan.runs.len();
        md.push_str(&format!(
            "- **{}** (`{}`, task `{}`): {}\n",
            e.meta.name,
            e.dir.root.display(),
            e.plan.task,
            e.meta.description
        ));
        md.push_str(&format!(
            "  - {} of {planned} runs completed{}; compute time {:.1} s\n",
            e.rows.len(),
            if incomplete.is_empty() {
                String::new()
            } else {
                format!(" (**partial: {} not complete**)", incomplete.len())
            },
            e.compute_seconds()
        ));
        md.push_str(&format!(
            "  - runner {}; git {}\n",
            if e.versions.is_empty() {
                e.meta.runner_version.clone()
            } else {
                e.versions.join(", ")
            },
            if e.commits.is_empty() {
                "unknown (not a git working tree)".into()
            } else {
                e.commits.join(", ")
            }
        ));
        if !e.meta.overrides.is_empty() {
            md.push_str(&format!(
                "  - overridden on the command line: `{}`\n",
                e.meta.overrides.join("` `")
            ));
        }
    }
    md.push_str(&format!(
        "\nReport made by runner {} at {}. Intervals: {}.\n\n",
        crate::store::provenance::RUNNER_VERSION,
        crate::store::provenance::now_rfc3339(),
        tables::interval_note(method)
    ));
    if !tables_md.is_empty() {
        md.push_str(&format!("## Tables\n\n{tables_md}"));
    }
    if !figures_md.is_empty() {
        md.push_str(&format!("## Figures\n\n{figures_md}"));
    }
    let missing: Vec<String> = data
        .iter()
        .flat_map(|e| {
            e.incomplete()
                .into_iter()
                .map(move |(r, s)| format!("- {} / {}: {s}", e.meta.name, r.name))
        })
        .collect();
    if !missing.is_empty() {
        md.push_str(&format!(
            "## Missing or failed runs ({})\n\n",
            missing.len()
        ));
        for line in missing.iter().take(100) {
            md.push_str(&format!("{line}\n"));
        }
        if missing.len() > 100 {
            md.push_str(&format!("- ... and {} more\n", missing.len() - 100));
        }
        md.push('\n');
    }
    for e in data {
        md.push_str(&format!(
            "## Spec of {}\n\n```toml\n{}```\n\n",
            e.meta.name, e.spec_text
        ));
    }
    md
}
