//! A deterministic BPE merge learner. The tokenizers crate's trainers iterate randomly seeded
//! hash maps, so two trainings on the same texts give different vocabularies
//! (huggingface/tokenizers#1794). This one learns the same kind of merges with every order
//! fixed: words sorted, the alphabet sorted by code point, continuing pieces (`##x`) sorted
//! after it, and a tie between pairs of equal count broken by the smaller (left id, right id).
//! The result is loaded into the crate's own BPE or WordPiece models, which save a standard
//! `tokenizer.json`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};

/// What to learn.
#[derive(Debug, Clone)]
pub struct MergeConfig<'a> {
    /// Stop when the vocabulary (special tokens, alphabet and merged tokens) has this size.
    pub vocab_size: usize,
    /// Stop when the most frequent pair occurs fewer times.
    pub min_frequency: u64,
    /// Prefix of symbols that continue a word (`##` for WordPiece), if any.
    pub continuing_prefix: Option<&'a str>,
    /// Special tokens, the first ids.
    pub special: &'a [&'a str],
    /// Characters in the alphabet even if no word has them (the 256 byte symbols of byte-level
    /// BPE).
    pub initial_alphabet: &'a [char],
}

/// A learned vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learned {
    /// Tokens in id order.
    pub vocab: Vec<String>,
    /// Merges in the order learned (their rank).
    pub merges: Vec<(String, String)>,
}

type Pair = (u32, u32);

/// Token strings and their ids.
struct Vocab {
    tokens: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Vocab {
    fn id_or_add(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.ids.get(token) {
            return id;
        }
        let id = self.tokens.len() as u32;
        self.tokens.push(token.to_string());
        self.ids.insert(token.to_string(), id);
        id
    }
}

/// Words as symbol ids with their counts, and where each pair occurs.
struct Corpus {
    words: Vec<Vec<u32>>,
    counts: Vec<u64>,
    pair_counts: HashMap<Pair, i64>,
    places: HashMap<Pair, BTreeSet<usize>>,
}

/// Learns merges from word counts (words as the normaliser and pre-tokeniser leave them).
pub fn learn(word_counts: &BTreeMap<String, u64>, config: &MergeConfig<'_>) -> Learned {
    let mut vocab = Vocab {
        tokens: Vec::new(),
        ids: HashMap::new(),
    };
    for s in config.special {
        vocab.id_or_add(s);
    }
    let mut corpus = split_words(word_counts, config, &mut vocab);
    let mut queue: BinaryHeap<(i64, Reverse<Pair>)> = corpus
        .pair_counts
        .iter()
        .filter(|(_, &c)| c > 0)
        .map(|(&p, &c)| (c, Reverse(p)))
        .collect();
    let mut merges = Vec::new();
    while vocab.tokens.len() < config.vocab_size {
        let Some((count, Reverse(pair))) = queue.pop() else {
            break;
        };
        let now = corpus.pair_counts.get(&pair).copied().unwrap_or(0);
        if count != now {
            if now > 0 {
                queue.push((now, Reverse(pair)));
            }
            continue;
        }
        if count < 1 || (count as u64) < config.min_frequency {
            break;
        }
        let (a, b) = (
            &vocab.tokens[pair.0 as usize],
            &vocab.tokens[pair.1 as usize],
        );
        let tail = config
            .continuing_prefix
            .and_then(|p| b.strip_prefix(p))
            .unwrap_or(b);
        let (a, b, joined) = (a.clone(), b.clone(), format!("{a}{tail}"));
        let id = vocab.id_or_add(&joined);
        merges.push((a, b));
        for changed in corpus.merge(pair, id) {
            let c = corpus.pair_counts[&changed];
            if c > 0 {
                queue.push((c, Reverse(changed)));
            }
        }
    }
    Learned {
        vocab: vocab.tokens,
        merges,
    }
}

/// The alphabet (sorted), the continuing pieces (sorted) and every word as symbols.
fn split_words(
    word_counts: &BTreeMap<String, u64>,
    config: &MergeConfig<'_>,
    vocab: &mut Vocab,
) -> Corpus {
    let mut alphabet: BTreeSet<char> = config.initial_alphabet.iter().copied().collect();
    alphabet.extend(word_counts.keys().flat_map(|w| w.chars()));
    for c in &alphabet {
        vocab.id_or_add(&c.to_string());
    }
    let prefix = config.continuing_prefix.unwrap_or("");
    if !prefix.is_empty() {
        let continuing: BTreeSet<String> = word_counts
            .keys()
            .flat_map(|w| w.chars().skip(1).map(|c| format!("{prefix}{c}")))
            .collect();
        for piece in &continuing {
            vocab.id_or_add(piece);
        }
    }
    let mut corpus = Corpus {
        words: Vec::with_capacity(word_counts.len()),
        counts: Vec::with_capacity(word_counts.len()),
        pair_counts: HashMap::new(),
        places: HashMap::new(),
    };
    for (i, (word, &count)) in word_counts.iter().enumerate() {
        let symbols: Vec<u32> = word
            .chars()
            .enumerate()
            .map(|(k, c)| {
                let piece = if k == 0 {
                    c.to_string()
                } else {
                    format!("{prefix}{c}")
                };
                vocab.ids[&piece]
            })
            .collect();
        for w in symbols.windows(2) {
            *corpus.pair_counts.entry((w[0], w[1])).or_default() += count as i64;
            corpus.places.entry((w[0], w[1])).or_default().insert(i);
        }
        corpus.words.push(symbols);
        corpus.counts.push(count);
    }
    corpus
}

impl Corpus {
    /// Replaces `pair` by `id` in every word that has it (left to right, without overlap) and
    /// returns the pairs whose counts changed, in order.
    fn merge(&mut self, pair: Pair, id: u32) -> BTreeSet<Pair> {
        let mut changed = BTreeSet::new();
        let places: Vec<usize> = self
            .places
            .get(&pair)
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default();
        for i in places {
            let old = &self.words[i];
            let mut new = Vec::with_capacity(old.len());
            let mut k = 0;
            while k < old.len() {
                if k + 1 < old.len() && (old[k], old[k + 1]) == pair {
                    new.push(id);
                    k += 2;
                } else {
                    new.push(old[k]);
                    k += 1;
                }
            }
            if new.len() == old.len() {
                continue;
            }
            let count = self.counts[i] as i64;
            for w in old.windows(2) {
                *self.pair_counts.entry((w[0], w[1])).or_default() -= count;
                changed.insert((w[0], w[1]));
            }
            for w in new.windows(2) {
                *self.pair_counts.entry((w[0], w[1])).or_default() += count;
                self.places.entry((w[0], w[1])).or_default().insert(i);
                changed.insert((w[0], w[1]));
            }
            self.words[i] = new;
        }
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(text: &str) -> BTreeMap<String, u64> {
        let mut m = BTreeMap::new();
        for w in text.split_whitespace() {
            *m.entry(w.to_string()).or_default() += 1;
        }
        m
    }

    fn config(vocab_size: usize, prefix: Option<&'static str>) -> MergeConfig<'static> {
        MergeConfig {
            vocab_size,
            min_frequency: 2,
            continuing_prefix: prefix,
            special: &["[PAD]", "[UNK]"],
            initial_alphabet: &[],
        }
    }

    #[test]
    fn learns_the_most_frequent_pairs_first_with_ties_by_id() {
        let learned = learn(
            &counts("low low low lower lowest new new"),
            &config(100, None),
        );
        // Specials, then the alphabet in code-point order.
        assert_eq!(learned.vocab[..4], ["[PAD]", "[UNK]", "e", "l"]);
        // l+o (5) and o+w (5) tie: the pair with the smaller ids (l, o) comes first.
        assert_eq!(learned.merges[0], ("l".into(), "o".into()));
        assert_eq!(learned.merges[1], ("lo".into(), "w".into()));
        assert!(learned.vocab.contains(&"low".to_string()));
        // Pairs seen once (min_frequency 2) are not merged.
        assert!(!learned.vocab.contains(&"lowest".to_string()));
    }

    #[test]
    fn continuing_pieces_carry_the_prefix_and_merge_without_it() {
        let learned = learn(&counts("abab abab abab"), &config(100, Some("##")));
        assert!(learned.vocab.contains(&"##b".to_string()));
        assert_eq!(learned.merges[0], ("a".into(), "##b".into()));
        assert!(learned.vocab.contains(&"ab".to_string()));
        assert!(
            learned.vocab.contains(&"##ab".to_string())
                || learned.vocab.contains(&"abab".to_string())
        );
    }

    #[test]
    fn the_same_counts_give_the_same_vocabulary_and_the_size_is_kept() {
        let text = "the cat sat on the mat the dog sat on the log and the cat ran ".repeat(20);
        let a = learn(&counts(&text), &config(30, Some("##")));
        let b = learn(&counts(&text), &config(30, Some("##")));
        assert_eq!(a, b);
        assert_eq!(a.vocab.len(), 30);
    }
}
