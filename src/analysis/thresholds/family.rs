//! The tests across conditions, Holm-corrected together: homogeneity of ln r* (Cochran's Q),
//! the algorithm × question-type interaction (a permutation test), and every condition against
//! the reference (`random`, else the first condition) at each compressed ratio.

use super::hypothesis::{self, Cochran, Interaction};
use super::items::StudyData;
use super::report::{ConditionReport, FamilyTest, Options, PairedRow};

/// Cochran's Q on ln r* of the conditions with a collapse, and those conditions.
pub fn homogeneity(conditions: &[ConditionReport]) -> (Option<Cochran>, Vec<String>) {
    let with_collapse: Vec<&ConditionReport> = conditions
        .iter()
        .filter(|c| c.overall.collapse == Some(true) && c.overall.log_r_star_se.is_some())
        .collect();
    let estimates: Vec<f64> = with_collapse
        .iter()
        .map(|c| c.overall.r_star.value.unwrap_or(f64::NAN).ln())
        .collect();
    let se: Vec<f64> = with_collapse
        .iter()
        .map(|c| c.overall.log_r_star_se.unwrap_or(f64::NAN))
        .collect();
    let names = with_collapse.iter().map(|c| c.condition.clone()).collect();
    (hypothesis::cochran_q(&estimates, &se), names)
}

/// Algorithm × question type: type labels permuted over each question's within-question-centred
/// mean scores across the compressed ratios every condition shares.
pub fn interaction(study: &StudyData, opts: &Options) -> Option<Interaction> {
    let types = study.type_names();
    let all: Vec<usize> = (0..study.conditions.len()).collect();
    let mut shared: Vec<f64> = study.ratios(0).into_iter().filter(|&r| r < 1.0).collect();
    for c in &all {
        let mine = study.ratios(*c);
        shared.retain(|r| mine.contains(r));
    }
    if all.len() < 2 || shared.is_empty() || types.len() < 2 {
        return None;
    }
    let items = study.complete_items(&all, &shared, None);
    let scores: Vec<Vec<f64>> = items
        .iter()
        .map(|&i| {
            all.iter()
                .map(|&c| {
                    shared.iter().map(|&r| study.score(c, r, i)).sum::<f64>() / shared.len() as f64
                })
                .collect()
        })
        .collect();
    let labels: Vec<usize> = items
        .iter()
        .map(|&i| types.iter().position(|t| *t == study.types[i]).unwrap_or(0))
        .collect();
    (items.len() > 1).then(|| {
        hypothesis::interaction_permutation(&scores, &labels, opts.permutations, opts.seed ^ 0x1A7E)
    })
}

/// Every condition against the reference at each compressed ratio both swept: a paired
/// sign-flip permutation test of per-question scores.
pub fn paired(study: &StudyData, opts: &Options) -> Vec<PairedRow> {
    let mut paired = Vec::new();
    let all: Vec<usize> = (0..study.conditions.len()).collect();
    if all.len() < 2 {
        return paired;
    }
    let reference = study
        .algorithms
        .iter()
        .position(|a| a == "random")
        .unwrap_or(0);
    let reference_ratios = study.ratios(reference);
    for c in all.into_iter().filter(|&c| c != reference) {
        for r in study
            .ratios(c)
            .into_iter()
            .filter(|&r| r < 1.0 && reference_ratios.contains(&r))
        {
            let items = study.complete_items(&[c, reference], &[r], None);
            let d: Vec<f64> = items
                .iter()
                .map(|&i| study.score(c, r, i) - study.score(reference, r, i))
                .collect();
            let test = hypothesis::paired_permutation(
                &d,
                opts.permutations,
                opts.seed ^ r.to_bits() ^ c as u64,
            );
            paired.push(PairedRow {
                condition: study.conditions[c].clone(),
                reference: study.conditions[reference].clone(),
                ratio: r,
                test,
                p_holm: f64::NAN,
            });
        }
    }
    paired
}

/// Holm's correction across the family; sets the paired rows' adjusted p too.
pub fn holm(
    homogeneity: &Option<Cochran>,
    interaction: &Option<Interaction>,
    paired: &mut [PairedRow],
) -> Vec<FamilyTest> {
    let test = |test: String, p: f64| FamilyTest {
        test,
        p,
        p_holm: f64::NAN,
    };
    let mut family: Vec<FamilyTest> = Vec::new();
    if let Some(h) = homogeneity {
        family.push(test("homogeneity of ln r* (Cochran's Q)".into(), h.p));
    }
    if let Some(i) = interaction {
        family.push(test("algorithm × question type (permutation)".into(), i.p));
    }
    for row in paired.iter() {
        let name = format!(
            "{} vs {} at ratio {} (paired permutation)",
            row.condition, row.reference, row.ratio
        );
        family.push(test(name, row.test.p));
    }
    let adjusted = hypothesis::holm(&family.iter().map(|f| f.p).collect::<Vec<_>>());
    for (f, p) in family.iter_mut().zip(&adjusted) {
        f.p_holm = *p;
    }
    let offset = usize::from(homogeneity.is_some()) + usize::from(interaction.is_some());
    for (row, p) in paired.iter_mut().zip(&adjusted[offset..]) {
        row.p_holm = *p;
    }
    family
}
