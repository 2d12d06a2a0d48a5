//! Whether the runs of a report used one content per artifact id. An artifact id names a
//! config; if the same config was built twice with different results (a nondeterministic
//! build, a store copied from another machine, an artifact rebuilt after its directory was
//! removed), runs that share the id did not share the model, and comparing them mixes two
//! things.

use std::collections::BTreeMap;

use super::experiment_data::RunRow;

/// One warning per artifact id used with more than one content hash, naming the contents and
/// how many runs used each.
pub fn mixed_contents<'a>(rows: impl IntoIterator<Item = &'a RunRow>) -> Vec<String> {
    let mut uses: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for row in rows {
        for a in &row.artifacts {
            if let Some(sha) = &a.sha256 {
                uses.entry(&a.id)
                    .or_default()
                    .entry(sha)
                    .or_default()
                    .push(&row.name);
            }
        }
    }
    uses.into_iter()
        .filter(|(_, contents)| contents.len() > 1)
        .map(|(id, contents)| {
            let parts: Vec<String> = contents
                .iter()
                .map(|(sha, runs)| {
                    format!(
                        "{} used by {} run{} ({}{})",
                        &sha[..sha.len().min(12)],
                        runs.len(),
                        if runs.len() == 1 { "" } else { "s" },
                        runs.iter().take(3).copied().collect::<Vec<_>>().join(", "),
                        if runs.len() > 3 { ", ..." } else { "" }
                    )
                })
                .collect();
            format!(
                "artifact {id} was used with {} different contents: {}. These runs did not \
                 share one model; rerun them with one build (`runner reproduce` rebuilds it)",
                contents.len(),
                parts.join("; ")
            )
        })
        .collect()
}

/// A warning when the runs were computed on CPUs of more than one model or instruction-set
/// level: their last digits may differ for that reason alone.
pub fn mixed_cpus<'a>(rows: impl IntoIterator<Item = &'a RunRow>) -> Option<String> {
    let mut cpus: BTreeMap<&str, usize> = BTreeMap::new();
    for row in rows {
        if let Some(cpu) = &row.cpu {
            *cpus.entry(cpu).or_default() += 1;
        }
    }
    (cpus.len() > 1).then(|| {
        let parts: Vec<String> = cpus
            .iter()
            .map(|(cpu, n)| format!("{cpu} ({n} runs)"))
            .collect();
        format!(
            "the runs were computed on {} different CPUs: {}. burn's CPU kernels choose their \
             instructions on each machine, so results can differ in their last digits between them",
            cpus.len(),
            parts.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::results::ArtifactUse;

    fn row(name: &str, sha: Option<&str>) -> RunRow {
        RunRow {
            experiment: "e".into(),
            id: name.into(),
            name: name.into(),
            labels: Default::default(),
            metrics: Default::default(),
            duration_s: 0.0,
            run_dir: Default::default(),
            artifacts: vec![ArtifactUse {
                id: "reader-1".into(),
                sha256: sha.map(str::to_string),
            }],
            cpu: None,
        }
    }

    #[test]
    fn runs_on_two_cpus_are_said_once() {
        let on = |name: &str, cpu: Option<&str>| RunRow {
            cpu: cpu.map(str::to_string),
            ..row(name, None)
        };
        let same = [
            on("a", Some("X (x86-64-v4)")),
            on("b", Some("X (x86-64-v4)")),
            on("c", None),
        ];
        assert_eq!(mixed_cpus(&same), None);
        let two = [
            on("a", Some("X (x86-64-v4)")),
            on("b", Some("Y (x86-64-v3)")),
        ];
        let w = mixed_cpus(&two).unwrap();
        assert!(
            w.contains("2 different CPUs") && w.contains("Y (x86-64-v3) (1 runs)"),
            "{w}"
        );
    }

    #[test]
    fn one_id_with_two_contents_is_named_once() {
        let rows = [
            row("a", Some("aaaa")),
            row("b", Some("aaaa")),
            row("c", None),
        ];
        assert!(mixed_contents(&rows).is_empty());
        let rows = [
            row("a", Some("aaaa")),
            row("b", Some("bbbb")),
            row("c", Some("aaaa")),
        ];
        let w = mixed_contents(&rows);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("reader-1") && w[0].contains("2 different contents"));
        assert!(
            w[0].contains("aaaa used by 2 runs (a, c)") && w[0].contains("bbbb used by 1 run (b)")
        );
    }
}
