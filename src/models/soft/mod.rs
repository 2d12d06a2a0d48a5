//! Soft context compression: a teacher encoder–decoder ([`teacher`]) trained from scratch to
//! answer questions and reconstruct spans from a context window's encoder states, compressors
//! that turn those states into M memory vectors ([`compressor`], [`select`], averages over
//! fixed windows in [`pooling`]), the decoder sequences and greedy generation ([`sequence`]),
//! the training losses ([`losses`]), the teacher's training and answering ([`train`]), the
//! compressors' training ([`distill`]), the decoder's side of a memory ([`unpack`]) and the
//! states' principal directions ([`principal`]).

pub mod compressor;
pub mod distill;
pub mod losses;
pub mod matching;
pub mod pooling;
pub mod principal;
pub mod select;
pub mod sequence;
pub mod teacher;
pub mod text;
pub mod train;
pub mod unpack;

#[cfg(test)]
mod tests;
