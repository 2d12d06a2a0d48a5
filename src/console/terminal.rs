//! The terminal reporter: an overall progress bar and a line per running run when stderr is a
//! terminal (indicatif); plain status lines otherwise (logs, CI). Lines look like
//! `    DONE [  1.20s] M64_gist_s0 (cuda:0)`.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::summary::{render, short_duration};
use crate::scheduler::reporter::{Note, Reporter, RunEvent, Summary};
use crate::store::RunState;

/// Reports to stderr.
pub struct TerminalReporter {
    bars: Option<Bars>,
    quiet: bool,
}

struct Bars {
    multi: MultiProgress,
    overall: ProgressBar,
    running: HashMap<String, ProgressBar>,
}

impl TerminalReporter {
    /// A reporter; bars only when stderr is a terminal. `quiet` prints only failures and the summary.
    pub fn new(quiet: bool) -> TerminalReporter {
        TerminalReporter { bars: None, quiet }
    }

    fn line(&self, text: &str) {
        match &self.bars {
            Some(b) => {
                let _ = b.multi.println(text);
            }
            None => eprintln!("{text}"),
        }
    }
}

/// The line a note prints.
pub fn note_line(note: &Note) -> String {
    match note {
        Note::Recovered(n) => {
            format!("    Recovered {n} runs left running by a launcher that stopped (finished ones are kept, the others run again)")
        }
        Note::RepairedResults => "    Repaired results.jsonl from the run directories".into(),
        Note::NotInGrid { count, dir } => format!(
            "    Note: {count} run directories are no longer in the grid; they are kept (see `runner status {}`)",
            dir.display()
        ),
        Note::BuildingArtifacts { count, dir } => format!(
            "    Building {count} shared artifacts first (logs in {}/artifact-builds)",
            dir.display()
        ),
        Note::Submitted { what, count, job, after, script } => format!(
            "    Submitted {count} {what} as job array {job}{} ({})",
            after.as_ref().map(|a| format!(", after job {a}")).unwrap_or_default(),
            script.display()
        ),
        Note::Queue { complete, queued, submitted, dir, waiting } => {
            let mut line = format!(
                "    {complete} runs complete, {queued} already in the queue, {submitted} submitted now"
            );
            if !waiting {
                line.push_str(&format!("\n    Follow with `runner status {}`", dir.display()));
            }
            line
        }
        Note::QueueState { running, pending } => {
            format!("    queue: {running} running, {pending} pending")
        }
        Note::Finished { complete, total } => format!("    {complete} of {total} runs complete"),
        Note::Text(text) => format!("    {text}"),
    }
}

impl Reporter for TerminalReporter {
    fn note(&mut self, note: Note) {
        let line = note_line(&note);
        self.line(&line);
    }

    fn begin(&mut self, total: usize, to_run: usize, slots: usize) {
        let done = total - to_run;
        eprintln!(
            "    Starting {to_run} runs ({done} of {total} already done) on {slots} slot{}",
            if slots == 1 { "" } else { "s" }
        );
        if std::io::stderr().is_terminal() && !self.quiet {
            let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let overall = multi.add(ProgressBar::new(to_run as u64));
            overall.set_style(
                ProgressStyle::with_template(
                    "{bar:30.cyan/blue} {pos}/{len} {msg} [{elapsed_precise} ETA {eta}]",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            overall.enable_steady_tick(Duration::from_millis(200));
            self.bars = Some(Bars {
                multi,
                overall,
                running: HashMap::new(),
            });
        }
    }

    fn event(&mut self, event: RunEvent<'_>) {
        match event {
            RunEvent::Started {
                run,
                device,
                attempt,
            } => {
                if let Some(b) = &mut self.bars {
                    let bar = b.multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template("  {spinner} {msg}")
                            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    let retry = if attempt > 1 {
                        format!(" attempt {attempt}")
                    } else {
                        String::new()
                    };
                    bar.set_message(format!("{} ({device}){retry}", run.name));
                    b.running.insert(run.id.clone(), bar);
                } else if !self.quiet && attempt > 1 {
                    self.line(&format!(
                        "   RETRY {} ({device}) attempt {attempt}",
                        run.name
                    ));
                }
            }
            RunEvent::Finished {
                run,
                device,
                state,
                duration,
                error,
                retrying,
            } => {
                if let Some(b) = &mut self.bars {
                    if let Some(bar) = b.running.remove(&run.id) {
                        bar.finish_and_clear();
                        b.multi.remove(&bar);
                    }
                    if !retrying {
                        b.overall.inc(1);
                    }
                }
                let word = match (state, retrying) {
                    (RunState::Completed, _) => "DONE",
                    (RunState::TimedOut, _) => "TIMEOUT",
                    (RunState::Interrupted, _) => "STOPPED",
                    (_, true) => "TRY-FAIL",
                    _ => "FAIL",
                };
                if self.quiet && state == RunState::Completed {
                    return;
                }
                let mut text = format!(
                    "{word:>8} [{:>8}] {} ({device})",
                    short_duration(duration),
                    run.name
                );
                if let (Some(e), false) = (error, state == RunState::Completed) {
                    // The cause, and the last lines of stderr when there are some.
                    let lines: Vec<&str> = e.lines().collect();
                    let mut shown: Vec<&str> = lines.iter().take(1).copied().collect();
                    shown.extend(lines.iter().skip(1).rev().take(3).rev());
                    for line in shown {
                        text.push_str(&format!("\n           {line}"));
                    }
                }
                self.line(&text);
            }
            RunEvent::Stopping { reason } => self.line(&format!("Stopping: {reason}")),
            RunEvent::Tick { running } => {
                if let Some(b) = &mut self.bars {
                    for (run, device, elapsed, progress) in running {
                        if let Some(bar) = b.running.get(&run.id) {
                            let p = progress.map(|p| format!(" {p}")).unwrap_or_default();
                            bar.set_message(format!(
                                "{} ({device}) {}{p}",
                                run.name,
                                short_duration(elapsed)
                            ));
                            bar.tick();
                        }
                    }
                }
            }
        }
    }

    fn finish(&mut self, summary: &Summary) {
        if let Some(b) = self.bars.take() {
            b.overall.finish_and_clear();
            let _ = b.multi.clear();
        }
        eprint!("{}", render(summary));
    }
}
