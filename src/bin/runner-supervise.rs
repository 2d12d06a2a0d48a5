//! `runner-supervise --run-dir DIR --grace SECS -- PROGRAM ARGS...`: the small program the
//! launcher starts for each external command (what `runner supervise` does, without loading
//! the whole of runner for every run). See `runner::scheduler::supervisor`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(runner::scheduler::supervisor::main(&args));
}
