//! The Llama family of pretrained decoders (SmolLM2, TinyLlama, Llama 2/3 shapes): the model in
//! burn sized from its checkpoint's metadata, loaded from GGUF or a Hugging Face directory,
//! its tokenizer, chat prompts, batched scoring and greedy generation with a key/value cache.

pub mod cache;
pub mod chat;
pub mod config;
pub mod fixture;
pub mod generate;
pub mod load;
pub mod model;
pub mod pretrained;
pub mod rope;
pub mod safetensors;
pub mod score;
pub mod vocab;

pub use config::LlamaConfig;
pub use model::Llama;
pub use pretrained::Pretrained;
pub use score::Windows;
pub use vocab::Vocab;

#[cfg(test)]
mod tests;
