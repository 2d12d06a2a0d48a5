//! Chat prompts: the instruct model's template applied to a system and a user message, the
//! assistant's turn opened. ChatML (`<|im_start|>role\n...<|im_end|>\n`) is what runner knows;
//! a checkpoint whose template is another one is refused for chat prompts (plain prompts still
//! work). The template's default system message (SmolLM2's "You are a helpful AI assistant
//! named SmolLM, trained by Hugging Face") is used when none is given, as the template does.

use anyhow::{bail, Context, Result};

use super::vocab::Vocab;

/// The tokens that close an assistant's turn in ChatML.
pub const IM_END: &str = "<|im_end|>";
const IM_START: &str = "<|im_start|>";

/// The default system message a ChatML template writes when the conversation has none.
pub fn default_system(template: &str) -> Option<String> {
    // In the Jinja source the message is a string literal, '<|im_start|>system\nYou are ...',
    // its line break written as a real one or as `\n`.
    let (at, open) = [
        format!("{IM_START}system\n"),
        format!("{IM_START}system\\n"),
    ]
    .into_iter()
    .find_map(|open| template.find(&open).map(|at| (at, open)))?;
    let from = at + open.len();
    let len = template[from..].find(IM_END)?;
    Some(template[from..from + len].to_string())
}

/// The ids of a ChatML prompt: the system turn (`system`, else the template's default, else
/// none), the user turn, and the opened assistant turn.
pub fn prompt(vocab: &Vocab, system: Option<&str>, user: &str) -> Result<Vec<u32>> {
    let template = vocab.chat_template.as_deref().unwrap_or("");
    if !template.contains(IM_START) {
        bail!(
            "the model's chat template is not ChatML, the one runner applies; use a plain prompt"
        );
    }
    let start = vocab
        .id(IM_START)
        .context("the vocabulary has no <|im_start|>")?;
    let end = vocab
        .id(IM_END)
        .context("the vocabulary has no <|im_end|>")?;
    let system = system
        .map(str::to_string)
        .or_else(|| default_system(template));
    let mut ids: Vec<u32> = vocab.bos.into_iter().collect();
    let mut turn = |role: &str, text: &str, close: bool| -> Result<()> {
        ids.push(start);
        ids.extend(vocab.encode_plain(&format!("{role}\n{text}"))?);
        if close {
            ids.push(end);
            ids.extend(vocab.encode_plain("\n")?);
        }
        Ok(())
    };
    if let Some(system) = &system {
        turn("system", system, true)?;
    }
    turn("user", user, true)?;
    turn("assistant", "", false)?;
    Ok(ids)
}
