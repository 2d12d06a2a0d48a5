//! The question type ("task type" factor of the analyses), by a fixed rule on the question's
//! words, lower-cased and split on non-letters:
//! 1. `how many` or `how much` anywhere → "how many/much";
//! 2. else the earliest of who/whom/whose (→ "who"), when, where, why, which, what, how;
//! 3. else "other" (e.g. "Name the ...", yes/no questions).
//!
//! "In what year ..." is "what": the rule looks at words, not at the expected answer.

use serde::{Deserialize, Serialize};

/// A question type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum QuestionType {
    /// who, whom, whose.
    #[serde(rename = "who")]
    Who,
    /// when.
    #[serde(rename = "when")]
    When,
    /// where.
    #[serde(rename = "where")]
    Where,
    /// what.
    #[serde(rename = "what")]
    What,
    /// which.
    #[serde(rename = "which")]
    Which,
    /// why.
    #[serde(rename = "why")]
    Why,
    /// how (not how many/much).
    #[serde(rename = "how")]
    How,
    /// how many, how much.
    #[serde(rename = "how many/much")]
    HowMany,
    /// Anything else.
    #[serde(rename = "other")]
    Other,
}

impl QuestionType {
    /// Every type, in reporting order.
    pub const ALL: [QuestionType; 9] = [
        QuestionType::Who,
        QuestionType::When,
        QuestionType::Where,
        QuestionType::What,
        QuestionType::Which,
        QuestionType::Why,
        QuestionType::How,
        QuestionType::HowMany,
        QuestionType::Other,
    ];

    /// Name used in outputs.
    pub fn name(self) -> &'static str {
        match self {
            QuestionType::Who => "who",
            QuestionType::When => "when",
            QuestionType::Where => "where",
            QuestionType::What => "what",
            QuestionType::Which => "which",
            QuestionType::Why => "why",
            QuestionType::How => "how",
            QuestionType::HowMany => "how many/much",
            QuestionType::Other => "other",
        }
    }

    /// Classifies a question.
    pub fn of(question: &str) -> QuestionType {
        let lower = question.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphabetic())
            .filter(|w| !w.is_empty())
            .collect();
        if words
            .windows(2)
            .any(|w| w[0] == "how" && (w[1] == "many" || w[1] == "much"))
        {
            return QuestionType::HowMany;
        }
        for w in &words {
            let t = match *w {
                "who" | "whom" | "whose" => QuestionType::Who,
                "when" => QuestionType::When,
                "where" => QuestionType::Where,
                "why" => QuestionType::Why,
                "which" => QuestionType::Which,
                "what" => QuestionType::What,
                "how" => QuestionType::How,
                _ => continue,
            };
            return t;
        }
        QuestionType::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_examples() {
        assert_eq!(
            QuestionType::of("How many points did the Broncos score?"),
            QuestionType::HowMany
        );
        assert_eq!(
            QuestionType::of("In what year was it built?"),
            QuestionType::What
        );
        assert_eq!(
            QuestionType::of("The team that won was from where?"),
            QuestionType::Where
        );
        assert_eq!(QuestionType::of("Whose idea was it?"), QuestionType::Who);
        assert_eq!(QuestionType::of("How did they win?"), QuestionType::How);
        assert_eq!(QuestionType::of("Name the city."), QuestionType::Other);
        assert_eq!(
            QuestionType::of("Which team, and when?"),
            QuestionType::Which
        );
    }
}
