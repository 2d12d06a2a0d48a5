//! `runner tasks KIND`: a task kind described for people, from its own declarations: where it
//! runs, its parameters (type, default, doc) and its metrics (label, better direction,
//! interval). `--markdown` gives the parameter table each kind's page in docs/tasks/ carries.

use super::table;
use crate::metrics::direction::Better;
use crate::task::Task;

/// The description printed by `runner tasks KIND`.
pub fn describe(task: &dyn Task) -> String {
    let mut out = format!(
        "{}: {}\nRuns on {}.\n",
        task.name(),
        task.summary(),
        task.placement().describe()
    );
    let params = task.params();
    if params.is_empty() {
        out.push_str("\nParameters: `command` (the program, with {key} placeholders), `env`, and any key the command uses.\n");
    } else {
        out.push_str("\nParameters:\n");
        let rows: Vec<Vec<String>> = params
            .iter()
            .map(|p| {
                vec![
                    p.name.to_string(),
                    p.type_name.clone(),
                    p.default.clone().unwrap_or_else(|| "(required)".into()),
                    p.doc.clone(),
                ]
            })
            .collect();
        out.push_str(&table::render(&["NAME", "TYPE", "DEFAULT", "WHAT"], &rows));
    }
    let metrics = task.metrics();
    if metrics.is_empty() {
        out.push_str("\nMetrics: whatever the command writes to metrics.json.\n");
        return out;
    }
    out.push_str("\nMetrics (headline ones are in the default report):\n");
    let rows: Vec<Vec<String>> = metrics
        .iter()
        .map(|m| {
            vec![
                m.key.to_string(),
                m.label.to_string(),
                match m.better {
                    Some(Better::Higher) => "higher".into(),
                    Some(Better::Lower) => "lower".into(),
                    None => "-".into(),
                },
                m.interval
                    .map(|(lo, hi)| format!("{lo} .. {hi}"))
                    .unwrap_or_default(),
                if m.headline { "headline" } else { "" }.into(),
            ]
        })
        .collect();
    out.push_str(&table::render(
        &["KEY", "LABEL", "BETTER", "INTERVAL", ""],
        &rows,
    ));
    out
}

/// The parameters as a Markdown table (each kind's page in docs/tasks/ has one).
pub fn markdown(task: &dyn Task) -> String {
    let mut out = String::from("| parameter | type | default | what |\n|---|---|---|---|\n");
    for p in task.params() {
        let default = match (p.default, p.required_unless) {
            (Some(d), _) => d,
            (None, Some(other)) => format!("required unless `{other}`"),
            (None, None) => "required".into(),
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            p.name,
            escape(&p.type_name),
            code(&default),
            escape(&p.doc)
        ));
    }
    out
}

fn code(text: &str) -> String {
    if let Some(unless) = text.strip_prefix("required") {
        format!("**required**{unless}")
    } else {
        format!("`{}`", text.replace('|', "\\|"))
    }
}

fn escape(text: &str) -> String {
    text.replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parameter table on the kind's page, docs/tasks/KIND.md (between
    /// `<!-- params: KIND -->` and `<!-- /params -->`), must be the kind's own;
    /// `RUNNER_BLESS=1` rewrites it.
    fn page_documents(kind: &str) {
        let task = crate::task::lookup(kind).unwrap();
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/tasks")
            .join(format!("{kind}.md"));
        let readme = std::fs::read_to_string(&path).unwrap();
        let open = format!("<!-- params: {kind} -->\n");
        let start = readme
            .find(&open)
            .unwrap_or_else(|| panic!("a parameter table in {}", path.display()))
            + open.len();
        let end = start + readme[start..].find("<!-- /params -->").unwrap();
        let expected = markdown(task);
        if std::env::var_os("RUNNER_BLESS").is_some() {
            let updated = format!("{}{expected}{}", &readme[..start], &readme[end..]);
            std::fs::write(&path, updated).unwrap();
            return;
        }
        assert_eq!(
            readme[start..end],
            expected,
            "docs/tasks/{kind}.md documents other parameters of `{kind}` than the task has: paste `runner tasks {kind} --markdown`"
        );
        // The struct's fields (as serde sees them) are the documented parameters.
        let resolved = task.resolved_params(&serde_json::Map::new()).unwrap();
        let mut fields: Vec<&str> = resolved
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let mut documented: Vec<&str> = task.params().iter().map(|p| p.name).collect();
        fields.sort_unstable();
        documented.sort_unstable();
        assert_eq!(
            fields, documented,
            "`{kind}`: fields and documented parameters differ"
        );
    }

    #[test]
    fn codec_parameters_are_documented() {
        page_documents("codec");
    }

    #[test]
    fn lm_codec_parameters_are_documented() {
        page_documents("lm-codec");
    }

    #[test]
    fn qa_reader_parameters_are_documented() {
        page_documents("qa-reader");
    }

    #[test]
    fn prompt_compression_parameters_are_documented() {
        page_documents("prompt-compression");
    }

    #[test]
    fn soft_compression_parameters_are_documented() {
        page_documents("soft-compression");
    }

    #[test]
    fn tokenizer_parameters_are_documented() {
        page_documents("tokenizer");
    }

    #[test]
    fn llm_eval_parameters_are_documented() {
        page_documents("llm-eval");
    }

    #[test]
    fn weight_compression_parameters_are_documented() {
        page_documents("weight-compression");
    }
}
