//! The QA data of a run: which SQuAD-format data set, split by article with a seeded
//! permutation (training and evaluation never share an article), and the evaluation questions.
//! Shared by the `tokenizer`, `qa-reader` and `prompt-compression` kinds.

use anyhow::Result;

use crate::data::qa::{sample, split, QaExample, Split, SplitSpec};
use crate::task::params::define::params;

params! {
    /// The data set and its article split.
    pub struct SplitParams {
        /// SQuAD-format data: squad-dev, xquad-en, or a path
        pub dataset: String = "squad-dev".to_string();
        /// seed of the article split
        pub split_seed: u64 = 0;
        /// articles for training
        pub train_articles: usize = 38;
        /// held-out articles for evaluation
        pub eval_articles: usize = 10;
    }
}

impl SplitParams {
    /// The split as the data module takes it.
    pub fn spec(&self) -> SplitSpec {
        SplitSpec {
            seed: self.split_seed,
            train_articles: self.train_articles,
            eval_articles: self.eval_articles,
        }
    }

    /// Loads the data set and splits it; records that cannot be right are left out (or kept
    /// out of training) and said on stderr.
    pub fn load(&self) -> Result<Split> {
        let file = crate::data::squad::load(&crate::data::resolve(&self.dataset))?;
        let parts = split(&file, self.spec())?;
        if !parts.issues.is_clean() {
            eprintln!("warning: {}: {}", self.dataset, parts.issues.describe());
        }
        Ok(parts)
    }

    /// The split and its evaluation questions: all, or a seeded sample of `questions`.
    pub fn evaluation_set(
        &self,
        questions: Option<usize>,
        seed: u64,
    ) -> Result<(Split, Vec<QaExample>)> {
        let parts = self.load()?;
        let eval = match questions {
            Some(n) => sample(&parts.eval, n, seed),
            None => parts.eval.clone(),
        };
        if eval.is_empty() {
            let why = match (questions, parts.issues.is_clean()) {
                (Some(0), _) => "eval_questions = 0".to_string(),
                (_, true) => "they have no questions".to_string(),
                (_, false) => parts.issues.describe(),
            };
            return Err(crate::error::bad_input(format!(
                "{}: the {} held-out articles leave no question to evaluate ({why})",
                crate::data::resolve(&self.dataset).display(),
                parts.eval_titles.len()
            )));
        }
        Ok((parts, eval))
    }
}
