//! Every task kind runner knows, found by name.

use super::kind::Task;
use super::kinds::{
    codec, command, llm_eval, lm_codec, prompt_compression, qa_reader, soft, tokenizer, weights,
};
use crate::spec::{Spec, SpecError};

/// Every task kind runner knows.
pub fn registry() -> Vec<&'static dyn Task> {
    vec![
        &command::CommandTask,
        &codec::CodecTask,
        &lm_codec::LmCodecTask,
        &llm_eval::LlmEvalTask,
        &qa_reader::QaReaderTask,
        &prompt_compression::PromptCompressionTask,
        &tokenizer::TokenizerTask,
        &soft::SoftCompressionTask,
        &weights::WeightCompressionTask,
        &super::artifact::ArtifactTask,
    ]
}

/// The task kind called `name`.
pub fn lookup(name: &str) -> Option<&'static dyn Task> {
    registry().into_iter().find(|t| t.name() == name)
}

/// The task kind named in a spec, or an error with the known kinds.
pub fn for_spec(spec: &Spec) -> Result<&'static dyn Task, SpecError> {
    let name = &spec.experiment.task;
    lookup(name).ok_or_else(|| {
        let names: Vec<&str> = registry().iter().map(|t| t.name()).collect();
        SpecError::at(
            &spec.experiment.task_loc,
            "experiment.task",
            format!("unknown task kind `{name}`"),
        )
        .help(crate::spec::suggest::help_for(name, &names, "task kinds"))
    })
}
