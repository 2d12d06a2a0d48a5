//! The parameters of an `llm-eval` run: the model, what is measured (bits per byte of texts,
//! or zero-shot extractive QA), the windows, the prompt and how an answer is read.

use serde::Serialize;

use crate::models::llama::Windows;
use crate::task::kinds::split::SplitParams;
use crate::task::params::define::params;
use crate::task::params::value::{choice_param, Choice, Names};

/// What a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measure {
    /// Bits per byte of `texts`.
    Text,
    /// Zero-shot SQuAD: F1/EM of the model's answers on the held-out articles.
    Qa,
}

impl Choice for Measure {
    const WHAT: &'static str = "measures";

    fn choices() -> &'static [(&'static str, Self)] {
        &[("text", Measure::Text), ("qa", Measure::Qa)]
    }
}

/// How the model's generated text becomes the answer scored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerRule {
    /// The first non-empty line, trimmed.
    FirstLine,
    /// The whole text, trimmed.
    Whole,
}

impl Choice for AnswerRule {
    const WHAT: &'static str = "answer rules";

    fn choices() -> &'static [(&'static str, Self)] {
        &[
            ("first_line", AnswerRule::FirstLine),
            ("whole", AnswerRule::Whole),
        ]
    }
}

choice_param!(Measure, AnswerRule);

/// The default question prompt: `{context}` and `{question}` are filled in.
pub const DEFAULT_PROMPT: &str = "Answer the question with a short phrase taken from the context.\n\nContext: {context}\n\nQuestion: {question}";

params! {
    /// Parameters of the `llm-eval` task.
    pub struct LlmEvalParams {
        include split: SplitParams;
        /// the model: a known name (`runner data list`), a .gguf file or a Hugging Face checkpoint directory
        pub model: String = "smollm2-135m-instruct".to_string();
        /// text (bits per byte of `texts`) or qa (zero-shot SQuAD on the held-out articles)
        pub measure: Measure = Measure::Text, required;
        /// text: data sets or files scored (UTF-8), e.g. canterbury/alice29.txt
        pub texts: Names = Names(vec!["canterbury/alice29.txt".to_string()]);
        /// text: the first this many bytes of each text (none: all)
        pub max_bytes: Option<usize> = None;
        /// text: tokens per window
        pub window: usize = 2048;
        /// text: tokens of context every scored token past the first window has at least
        pub min_context: usize = 512;
        /// qa: evaluate a seeded sample of this many held-out questions (none: all)
        pub eval_questions: Option<usize> = Some(300);
        /// qa: the prompt, `{context}` and `{question}` filled in (recorded in every run)
        pub prompt: String = DEFAULT_PROMPT.to_string();
        /// qa: apply the model's chat template (a user turn with the prompt; the template's default system message)
        pub chat: bool = true;
        /// qa: most tokens of an answer
        pub max_answer_tokens: usize = 24;
        /// qa: how the generated text is read: first_line (its first non-empty line) or whole
        pub answer_rule: AnswerRule = AnswerRule::FirstLine;
        /// qa: bootstrap resamples of the F1/EM intervals
        pub bootstrap: usize = 2000;
        /// qa: records written to sample_predictions.json (none: all)
        pub sample_predictions: Option<usize> = None;
    }
}

impl LlmEvalParams {
    /// The windows of text scoring.
    pub fn windows(&self) -> Windows {
        Windows {
            window: self.window,
            min_context: self.min_context,
        }
    }
}

/// The answer `rule` reads from generated text.
pub fn read_answer(rule: AnswerRule, text: &str) -> String {
    match rule {
        AnswerRule::FirstLine => text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("")
            .to_string(),
        AnswerRule::Whole => text.trim().to_string(),
    }
}
