//! LLMLingua-style compression with a byte-level recurrent language model.
//!
//! 1. Budget controller: the context is split into sentences; each sentence's keep ratio is
//!    proportional to its mean self-information per byte (informative sentences keep more), so
//!    that the whole context meets the ratio.
//! 2. Iterative token-level compression: the context is compressed window by window (a window
//!    is `WINDOW` tokens of one sentence); a window's token self-information is computed with
//!    the model conditioned on the already-compressed prefix (the recurrent state after reading
//!    the kept tokens so far), and its most informative tokens are kept.
//! 3. Question-aware (LongLLMLingua-style) when a question is given: a token's score adds its
//!    contrastive information, bits without the question minus bits after reading the question
//!    first (higher: the question makes the token more expected, so it is relevant), to its
//!    self-information, both over the same compressed prefix. (The contrast alone ranked worse
//!    than random selection with the small byte-level model: F1 4.7 vs 8.3 at ratio 0.3.)

use super::compressed::{from_mask, Compressed};
use crate::models::lm::recurrent::RecurrentState;
use crate::models::lm::LanguageModel;
use crate::models::selection::{budget, top};

/// Tokens per window of the iterative compression.
pub const WINDOW: usize = 16;

/// A recurrent reader of text: feeds bytes, gives each byte's bits.
struct Reader<'m> {
    model: &'m LanguageModel,
    state: Option<RecurrentState>,
    last: usize,
}

impl<'m> Reader<'m> {
    fn new(model: &'m LanguageModel) -> Reader<'m> {
        Reader {
            model,
            state: None,
            last: model.bos(),
        }
    }

    /// Bits of each byte of `text` given everything read so far (state not advanced).
    fn bits(&self, text: &[u8]) -> Vec<f64> {
        self.run(text).0
    }

    fn run(&self, text: &[u8]) -> (Vec<f64>, Option<RecurrentState>) {
        if text.is_empty() {
            return (Vec::new(), self.state.clone());
        }
        let mut inputs = vec![self.last];
        inputs.extend(text[..text.len() - 1].iter().map(|&b| usize::from(b)));
        let targets: Vec<usize> = text.iter().map(|&b| usize::from(b)).collect();
        self.model.bits(
            &inputs,
            &targets,
            1,
            self.state.clone(),
            &crate::models::device_of(self.model),
        )
    }

    /// Reads `text` (advances the state).
    fn read(&mut self, text: &[u8]) {
        if text.is_empty() {
            return;
        }
        let (_, state) = self.run(text);
        self.state = state;
        self.last = *text.last().unwrap_or(&b' ') as usize;
    }
}

/// Sums byte bits per whitespace token of `text` (tokens joined by single spaces, the space
/// before a token counted with it).
fn token_bits(tokens: &[&str], bits: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut at = 0;
    for (i, t) in tokens.iter().enumerate() {
        let len = t.len() + usize::from(i > 0);
        out.push(bits[at..at + len].iter().sum());
        at += len;
    }
    out
}

/// Sentences as token ranges (a sentence ends at a token ending in . ! or ?).
fn sentences(tokens: &[&str]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, t) in tokens.iter().enumerate() {
        if t.ends_with(['.', '!', '?']) || i + 1 == tokens.len() {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    out
}

/// Compresses `text` to `ratio` of its tokens; question-aware when `question` is given.
pub fn compress(
    model: &LanguageModel,
    text: &str,
    ratio: f64,
    question: Option<&str>,
) -> Compressed {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let total = tokens.len();
    let target = budget(total, ratio);
    if target >= total {
        return from_mask(&tokens, &vec![true; total]);
    }
    let spans = sentences(&tokens);
    let quotas = sentence_quotas(model, &tokens, &spans, target);
    let mut state = Iterative::new(model, question, total);
    for (span, quota) in spans.iter().zip(quotas) {
        let windows: Vec<std::ops::Range<usize>> = span
            .clone()
            .step_by(WINDOW)
            .map(|s| s..(s + WINDOW).min(span.end))
            .collect();
        let mut left = quota;
        for (w, window) in windows.iter().enumerate() {
            // This window's share of the sentence's quota.
            let remaining: usize = windows[w..].iter().map(|r| r.len()).sum();
            let k = ((left as f64) * window.len() as f64 / remaining as f64).round() as usize;
            let k = k.min(window.len()).min(left);
            left -= k;
            if k > 0 {
                state.window(&tokens, window.clone(), k);
            }
        }
    }
    from_mask(&tokens, &state.keep)
}

/// The budget controller: each sentence keeps a count of tokens proportional to its length ×
/// information per byte, the counts meeting `target` exactly.
fn sentence_quotas(
    model: &LanguageModel,
    tokens: &[&str],
    spans: &[std::ops::Range<usize>],
    target: usize,
) -> Vec<usize> {
    let joined = tokens.join(" ");
    let unconditioned = token_bits(tokens, &Reader::new(model).bits(joined.as_bytes()));
    let weights: Vec<f64> = spans
        .iter()
        .map(|s| {
            let bytes: usize = tokens[s.clone()].iter().map(|t| t.len() + 1).sum();
            let bits: f64 = unconditioned[s.clone()].iter().sum();
            s.len() as f64 * (bits / bytes.max(1) as f64)
        })
        .collect();
    let weight_sum: f64 = weights.iter().sum::<f64>().max(1e-9);
    let mut quotas: Vec<usize> = spans
        .iter()
        .zip(&weights)
        .map(|(s, w)| ((target as f64 * w / weight_sum).round() as usize).min(s.len()))
        .collect();
    // Fix rounding so the quotas meet the target exactly.
    let mut assigned: usize = quotas.iter().sum();
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
    while assigned != target {
        let mut changed = false;
        for &s in &order {
            if assigned < target && quotas[s] < spans[s].len() {
                quotas[s] += 1;
                assigned += 1;
                changed = true;
            } else if assigned > target && quotas[s] > 0 {
                quotas[s] -= 1;
                assigned -= 1;
                changed = true;
            }
            if assigned == target {
                break;
            }
        }
        if !changed {
            break;
        }
    }
    quotas
}

/// Iterative compression: window by window, tokens scored conditioned on the kept prefix
/// (and, question-aware, on the question read first).
struct Iterative<'m> {
    plain: Reader<'m>,
    asked: Option<Reader<'m>>,
    keep: Vec<bool>,
    first: bool,
}

impl<'m> Iterative<'m> {
    fn new(model: &'m LanguageModel, question: Option<&str>, total: usize) -> Iterative<'m> {
        let asked = question.map(|q| {
            let mut asked = Reader::new(model);
            asked.read(format!("{q} ").as_bytes());
            asked
        });
        Iterative {
            plain: Reader::new(model),
            asked,
            keep: vec![false; total],
            first: true,
        }
    }

    /// Keeps the `k` best tokens of `window` and reads what was kept.
    fn window(&mut self, tokens: &[&str], window: std::ops::Range<usize>, k: usize) {
        let words = &tokens[window.clone()];
        let lead = usize::from(!self.first);
        let text = format!("{}{}", if self.first { "" } else { " " }, words.join(" "));
        let bits = |r: &Reader<'_>| {
            let b = r.bits(text.as_bytes());
            let mut per = token_bits(words, &b[lead..]);
            if lead == 1 {
                per[0] += b[0];
            }
            per
        };
        let scores: Vec<f64> = match &self.asked {
            None => bits(&self.plain),
            // Information plus how much the question explains it: tokens that are both
            // informative and question-relevant rank first.
            Some(asked) => bits(&self.plain)
                .iter()
                .zip(bits(asked))
                .map(|(without, with)| without + (without - with))
                .collect(),
        };
        for i in top(&scores, k) {
            self.keep[window.start + i] = true;
        }
        let chosen: Vec<&str> = window
            .filter(|&i| self.keep[i])
            .map(|i| tokens[i])
            .collect();
        let kept_text = format!("{}{}", if self.first { "" } else { " " }, chosen.join(" "));
        self.first = false;
        self.plain.read(kept_text.as_bytes());
        if let Some(asked) = &mut self.asked {
            asked.read(kept_text.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::lm::Arch;

    #[test]
    fn meets_the_budget_in_order_with_and_without_a_question() {
        let _alone = crate::models::draws_alone();
        let config = crate::models::lm::test_config(Arch::Gru, 8);
        let model =
            crate::models::lm::train::init_seeded(&config, 2, &crate::models::device::cpu());
        let text = "The Broncos play in Denver. In 2015 the Broncos defeated the Carolina \
                    Panthers at Levi's Stadium in a game watched by millions of people around \
                    the world, the largest audience of the year. It rained.";
        let n = text.split_whitespace().count();
        for question in [None, Some("Who did the Broncos defeat?")] {
            for ratio in [0.2, 0.5, 0.8, 1.0] {
                let c = compress(&model, text, ratio, question);
                assert_eq!(c.kept, budget(n, ratio), "ratio {ratio}");
                assert_eq!(c.total, n);
                let original: Vec<&str> = text.split_whitespace().collect();
                let mut at = 0;
                for t in c.text.split_whitespace() {
                    at += original[at..]
                        .iter()
                        .position(|u| *u == t)
                        .expect("in order")
                        + 1;
                }
            }
        }
    }
}
