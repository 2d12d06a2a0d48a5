//! The plain-language conclusions of a threshold analysis.

use super::report::Report;

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "p < 0.001".into()
    } else {
        format!("p = {p:.3}")
    }
}

/// One sentence per question the study asks.
pub fn verdict(report: &Report) -> Vec<String> {
    let alpha = report.options.alpha;
    let mut out = Vec::new();
    let holm = |name: &str| {
        report
            .family
            .iter()
            .find(|f| f.test.starts_with(name))
            .map_or(f64::NAN, |f| f.p_holm)
    };
    match &report.homogeneity {
        Some(h) => {
            let p = holm("homogeneity");
            out.push(format!(
                "Thresholds are homogeneous across algorithms: {} at α = {alpha} (Cochran's Q = {:.2}, df = {}, Holm-adjusted {}; I² = {:.0}%; {}).",
                if p < alpha { "rejected" } else { "accepted (not rejected)" },
                h.q,
                h.df,
                p_text(p),
                100.0 * h.i2,
                report.homogeneity_conditions.join(", ")
            ));
        }
        None => out.push(format!(
            "Thresholds are homogeneous across algorithms: not testable, fewer than two algorithms show a collapse ({}).",
            if report.homogeneity_conditions.is_empty() { "none".to_string() } else { report.homogeneity_conditions.join(", ") }
        )),
    }
    for c in &report.conditions {
        out.push(format!("{}: {}.", c.condition, c.overall.finding));
    }
    if let Some(i) = &report.interaction {
        let p = holm("algorithm × question type");
        out.push(format!(
            "The effect of the algorithm depends on the question type: {} at α = {alpha} (permutation test on {} questions, Holm-adjusted {}).",
            if p < alpha { "yes" } else { "not shown" },
            i.n,
            p_text(p)
        ));
    }
    for row in &report.paired {
        out.push(format!(
            "{} vs {} at ratio {}: {} by {:+.2} points ({} questions, Holm-adjusted {}){}.",
            row.condition,
            row.reference,
            row.ratio,
            if row.test.mean_difference >= 0.0 {
                "better"
            } else {
                "worse"
            },
            row.test.mean_difference,
            row.test.n,
            p_text(row.p_holm),
            if row.p_holm < alpha {
                ", significant"
            } else {
                ", not significant"
            }
        ));
    }
    out
}
