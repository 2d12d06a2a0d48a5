//! The soft-compression teacher as a subject of weight compression: the encoder–decoder of
//! `soft-compression` (its default shape, on the same split), measured by the F1 of its greedy
//! answers to the questions of the held-out windows, reading the whole encoding.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Result};
use burn::module::Module;
use burn::tensor::Device;
use serde_json::json;

use super::subject::{frequencies, restored, score_with, Evaluation, Part, Quality, Subject};
use crate::artifacts::soft_teacher::{split_windows, TeacherArtifactConfig, TrainedTeacher};
use crate::artifacts::ArtifactStore;
use crate::data::qa::split_by_article;
use crate::data::windows::Window;
use crate::metrics::qa_eval::{evaluate, mean_of, PredictionRecord};
use crate::models::soft::teacher::Teacher;
use crate::models::soft::text::detokenize;
use crate::models::soft::train::{answer, EncodedWindow};
use crate::weights::codec::Codec;
use crate::weights::method::Method;
use crate::weights::model::{compress_with, Compressed, RowImportance};

/// Windows answered at a time.
const BATCH_WINDOWS: usize = 4;

/// The trained teacher and its held-out windows in two parts.
pub struct TeacherSubject {
    teacher: TrainedTeacher,
    config: TeacherArtifactConfig,
    validation: Vec<(Window, EncodedWindow)>,
    evaluation: Vec<(Window, EncodedWindow)>,
    importance: Vec<RowImportance>,
}

impl TeacherSubject {
    /// The teacher `config` of `store` (trained first if missing), its held-out windows split
    /// by article (the first `validation_articles` for validation).
    pub fn from_artifact(
        store: &ArtifactStore,
        config: &TeacherArtifactConfig,
        validation_articles: usize,
        device: &Device,
    ) -> Result<Self> {
        let teacher = crate::artifacts::soft_teacher::load(store, config, device)?;
        let split = split_windows(config, &teacher.tokenizer)?;
        let windows: Vec<(Window, EncodedWindow)> =
            split.eval.into_iter().zip(split.eval_ids).collect();
        let (validation, evaluation) =
            split_by_article(windows, |w| w.0.article, validation_articles)?;
        Ok(TeacherSubject {
            teacher,
            config: config.clone(),
            validation,
            evaluation,
            importance: Vec::new(),
        })
    }

    /// `model`'s answers to the questions of `part`, scored.
    fn answers(&self, model: &Teacher, part: Part) -> Vec<PredictionRecord> {
        let windows = match part {
            Part::Validation => &self.validation,
            Part::Evaluation => &self.evaluation,
        };
        let ids: Vec<EncodedWindow> = windows.iter().map(|w| w.1.clone()).collect();
        let max_answer = self.config.training.max_answer;
        let whole = |_: &_, h| (h, None);
        let generated = answer(
            model,
            &ids,
            self.config.window_tokens,
            max_answer,
            BATCH_WINDOWS,
            &whole,
        );
        let examples: Vec<_> = windows.iter().flat_map(|w| w.0.questions.clone()).collect();
        let text: HashMap<String, String> = examples
            .iter()
            .zip(generated.iter().flatten())
            .map(|(ex, a)| (ex.id.clone(), detokenize(&self.teacher.tokenizer, a)))
            .collect();
        evaluate(&examples, &text, 1, 0).0
    }

    fn quality(&self, model: &Teacher, part: Part) -> Result<Quality> {
        let quality = Quality::per_item(self.answers(model, part).iter().map(|r| r.f1).collect());
        if !quality.value().is_finite() {
            bail!("the teacher's F1 is not a number");
        }
        Ok(quality)
    }
}

impl Subject for TeacherSubject {
    fn measure(&self) -> &'static str {
        "f1"
    }

    fn artifact(&self) -> &str {
        &self.teacher.artifact.id
    }

    fn parameters(&self) -> usize {
        self.teacher.model.num_params()
    }

    fn sizes(&self) -> (usize, usize) {
        let questions = |w: &[(Window, EncodedWindow)]| w.iter().map(|w| w.0.questions.len()).sum();
        (questions(&self.validation), questions(&self.evaluation))
    }

    fn compress(&self, method: Method, seed: u64, codec: &Codec) -> Result<Compressed> {
        let describe = json!({"kind": "soft-teacher", "artifact": self.teacher.artifact.id, "config": self.config});
        compress_with(
            &self.teacher.model,
            &describe,
            method,
            seed,
            codec,
            &self.importance,
        )
    }

    fn score(&self, bytes: Option<&[u8]>, part: Part, codec: &Codec) -> Result<Quality> {
        score_with(&self.teacher.model, bytes, codec, |m| self.quality(m, part))
    }

    /// Token counts of the training windows (contexts and questions).
    fn weigh_rows(&mut self) -> Result<()> {
        let split = split_windows(&self.config, &self.teacher.tokenizer)?;
        let ids = split.train_ids.iter().flat_map(|w| {
            let questions = w.questions.iter().flat_map(|(q, _)| q.iter());
            w.context.iter().chain(questions).map(|&t| t as usize)
        });
        let rows = self.teacher.tokenizer.get_vocab_size(true);
        self.importance = vec![frequencies("embed.weight", rows, ids)];
        Ok(())
    }

    fn evaluate(
        &self,
        bytes: &[u8],
        what: &str,
        codec: &Codec,
        _out: Option<&Path>,
    ) -> Result<Evaluation> {
        let (model, decompress_seconds) = restored(&self.teacher.model, bytes, what, codec)?;
        let scored = self.answers(&model, Part::Evaluation);
        let original = self.answers(&self.teacher.model, Part::Evaluation);
        let (em, oem) = (mean_of(&scored, |r| r.em), mean_of(&original, |r| r.em));
        let (quality, original) = (Quality::f1s(&scored), Quality::f1s(&original));
        Ok(Evaluation {
            summary: format!(
                "teacher F1 {:.2} of {:.2}",
                quality.value(),
                original.value()
            ),
            quality,
            original,
            decompress_seconds,
            metrics: crate::task::builtin::object(
                json!({"em": em, "original_em": oem, "em_retention": em / oem}),
            ),
        })
    }
}
