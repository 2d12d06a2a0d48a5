//! The dispatcher: one loop that owns all scheduling state. It fills free slots at once,
//! reacts to child exits, timeouts and signals, records each outcome in the run store,
//! and tells the reporter. It never prints.

use std::collections::VecDeque;
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::devices::Slot;
use super::events::Event;
use super::executor::{self, ChildEnv};
use super::signals::SignalForwarder;
use crate::grid::{Grid, PlannedRun};
use crate::reporter::{Reporter, RunEvent, Summary};
use crate::store::provenance::{hostname, now_rfc3339, RUNNER_VERSION};
use crate::store::results::{self, ResultLine};
use crate::store::{atomic, ExperimentDir, ExperimentMeta, RunState, RunStatus};
use crate::task::{RunContext, Task};

const TICK: Duration = Duration::from_millis(250);

/// A run in flight.
struct InFlight {
    run: usize,
    pid: u32,
    started: Instant,
    started_at: String,
    deadline: Option<Instant>,
    kill_at: Option<Instant>,
    timed_out: bool,
    tries: u32,
}

/// Everything a launch needs to drive its runs.
pub struct Dispatcher<'a> {
    /// The experiment directory.
    pub store: &'a ExperimentDir,
    /// Its metadata (resources, working directory).
    pub meta: &'a ExperimentMeta,
    /// The plan.
    pub plan: &'a Grid,
    /// The task kind.
    pub task: &'a dyn Task,
    /// Where runs can execute.
    pub slots: Vec<Slot>,
    /// Stop starting runs after the first final failure.
    pub fail_fast: bool,
    /// Receives events.
    pub reporter: &'a mut dyn Reporter,
    /// A child ended by SIGTERM was stopped by the scheduler around it (Slurm signals every
    /// process of a cancelled, preempted or out-of-time job): record it as interrupted.
    pub sigterm_is_stop: bool,
}

impl Dispatcher<'_> {
    /// Runs the plan's runs at `todo` (indices); `skipped` were already complete.
    pub fn run(self, todo: Vec<usize>, skipped: usize) -> Result<Summary> {
        let Dispatcher {
            store,
            meta,
            plan,
            task,
            slots,
            fail_fast,
            reporter,
            sigterm_is_stop,
        } = self;
        let begin = Instant::now();
        let (tx, rx) = channel();
        let _signals = SignalForwarder::install(tx.clone())?;
        let resources = &meta.resources;
        let grace = resources.kill_grace.unwrap_or(Duration::from_secs(10));
        let host = hostname();

        let mut summary = Summary {
            total: plan.runs.len(),
            skipped,
            ..Summary::default()
        };
        reporter.begin(plan.runs.len(), todo.len(), slots.len());
        let mut queue: VecDeque<(usize, u32)> = todo.into_iter().map(|i| (i, 0)).collect();
        let mut busy: Vec<Option<InFlight>> = slots.iter().map(|_| None).collect();
        let mut stopping = false;
        let mut signals_seen = 0;
        let mut last_tick = Instant::now();

        loop {
            if !stopping {
                while let Some(slot) = busy.iter().position(Option::is_none) {
                    let Some((index, tries)) = queue.pop_front() else {
                        break;
                    };
                    let run = &plan.runs[index];
                    match start(store, meta, task, run, &slots[slot], &tx, &host) {
                        Ok((pid, attempt)) => {
                            reporter.event(RunEvent::Started {
                                run,
                                device: &slots[slot].device,
                                attempt,
                            });
                            busy[slot] = Some(InFlight {
                                run: index,
                                pid,
                                started: Instant::now(),
                                started_at: now_rfc3339(),
                                deadline: resources.timeout.map(|t| Instant::now() + t),
                                kill_at: None,
                                timed_out: false,
                                tries: tries + 1,
                            });
                        }
                        Err(e) => {
                            let error = format!("could not start: {e:#}");
                            record_failure(
                                store,
                                run,
                                RunState::Failed,
                                &error,
                                &slots[slot].device,
                                &host,
                            );
                            reporter.event(RunEvent::Finished {
                                run,
                                device: &slots[slot].device,
                                state: RunState::Failed,
                                duration: Duration::ZERO,
                                error: Some(&error),
                                retrying: false,
                            });
                            summary.failed += 1;
                            summary
                                .problems
                                .push((run.name.clone(), format!("failed: {error}")));
                        }
                    }
                }
            }
            if busy.iter().all(Option::is_none) && (queue.is_empty() || stopping) {
                break;
            }

            let now = Instant::now();
            let next = busy
                .iter()
                .flatten()
                .flat_map(|f| [f.deadline.filter(|_| !f.timed_out), f.kill_at])
                .flatten()
                .chain([last_tick + TICK])
                .min()
                .unwrap_or(now + TICK);
            match rx.recv_timeout(next.saturating_duration_since(now)) {
                Ok(Event::Exited { slot, status, at }) => {
                    let Some(flight) = busy[slot].take() else {
                        continue;
                    };
                    let run = &plan.runs[flight.run];
                    let device = &slots[slot].device;
                    let duration = at.duration_since(flight.started);
                    executor::signal_group(flight.pid, libc::SIGTERM);
                    let (state, error, exit_code, signal) = judge(
                        store,
                        run,
                        &status,
                        flight.timed_out,
                        stopping,
                        resources.timeout,
                        sigterm_is_stop,
                    );
                    let retrying = !stopping
                        && matches!(state, RunState::Failed | RunState::TimedOut)
                        && flight.tries <= resources.retries;
                    let mut st = store
                        .read_status(&run.id)
                        .unwrap_or_else(|| RunStatus::new(&run.id));
                    st.state = state;
                    st.ended_at = Some(now_rfc3339());
                    st.started_at = Some(flight.started_at.clone());
                    st.duration_s = Some(duration.as_secs_f64());
                    st.exit_code = exit_code;
                    st.signal = signal;
                    st.error = error.clone();
                    if state == RunState::Completed {
                        if let Err(e) = finish_completed(store, meta, plan, run, &st) {
                            st.state = RunState::Failed;
                            st.error = Some(format!("{e:#}"));
                        }
                    }
                    let _ = store.write_status(&run.id, &st);
                    let state = st.state;
                    reporter.event(RunEvent::Finished {
                        run,
                        device,
                        state,
                        duration,
                        error: st.error.as_deref(),
                        retrying,
                    });
                    if retrying {
                        queue.push_front((flight.run, flight.tries));
                        continue;
                    }
                    match state {
                        RunState::Completed => summary.completed += 1,
                        RunState::Interrupted => summary.interrupted += 1,
                        RunState::TimedOut => summary.timed_out += 1,
                        _ => summary.failed += 1,
                    }
                    if state != RunState::Completed {
                        let error = st.error.clone().unwrap_or_default();
                        summary
                            .problems
                            .push((run.name.clone(), format!("{}: {error}", state.word())));
                        if fail_fast && state != RunState::Interrupted && !stopping {
                            stopping = true;
                            reporter.event(RunEvent::Stopping {
                                reason:
                                    "a run failed and --fail-fast is set; waiting for running runs",
                            });
                        }
                    }
                }
                Ok(Event::Signal(sig)) => {
                    signals_seen += 1;
                    summary.was_interrupted = true;
                    if signals_seen == 1 {
                        stopping = true;
                        reporter.event(RunEvent::Stopping {
                            reason: &format!(
                                "signal {sig}: stopping running runs (SIGTERM, SIGKILL after {}); press Ctrl-C again to kill at once",
                                humantime::format_duration(grace)
                            ),
                        });
                        for f in busy.iter_mut().flatten() {
                            executor::signal_group(f.pid, libc::SIGTERM);
                            f.kill_at = Some(Instant::now() + grace);
                        }
                    } else {
                        reporter.event(RunEvent::Stopping {
                            reason: "second signal: killing running runs now",
                        });
                        for f in busy.iter().flatten() {
                            executor::signal_group(f.pid, libc::SIGKILL);
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {
                    let now = Instant::now();
                    for f in busy.iter_mut().flatten() {
                        if !f.timed_out && f.deadline.is_some_and(|d| d <= now) {
                            f.timed_out = true;
                            executor::signal_group(f.pid, libc::SIGTERM);
                            f.kill_at = Some(now + grace);
                        } else if f.kill_at.is_some_and(|k| k <= now) {
                            executor::signal_group(f.pid, libc::SIGKILL);
                            f.kill_at = None;
                        }
                    }
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
            if last_tick.elapsed() >= TICK {
                last_tick = Instant::now();
                let running = busy
                    .iter()
                    .enumerate()
                    .filter_map(|(s, f)| f.as_ref().map(|f| (s, f)))
                    .map(|(s, f)| {
                        let run = &plan.runs[f.run];
                        let progress = read_progress(&store.run_dir(&run.id));
                        (run, slots[s].device.as_str(), f.started.elapsed(), progress)
                    })
                    .collect();
                reporter.event(RunEvent::Tick { running });
            }
        }
        summary.not_started = queue.len();
        summary.elapsed = begin.elapsed();
        reporter.finish(&summary);
        Ok(summary)
    }
}

/// Prepares the run directory, records the attempt and starts the child.
fn start(
    store: &ExperimentDir,
    meta: &ExperimentMeta,
    task: &dyn Task,
    run: &PlannedRun,
    slot: &Slot,
    tx: &std::sync::mpsc::Sender<Event>,
    host: &str,
) -> Result<(u32, u32)> {
    let dir = store.run_dir(&run.id);
    std::fs::create_dir_all(&dir)?;
    let dir = std::fs::canonicalize(&dir)?;
    let config_path = dir.join("config.json");
    if !config_path.is_file() {
        atomic::write_json(&config_path, &run.config)?;
    }
    store.link_name(run);
    for stale in ["metrics.json", "progress"] {
        let _ = std::fs::remove_file(dir.join(stale));
    }
    let mut status = store
        .read_status(&run.id)
        .filter(|s| s.config_hash == run.id)
        .unwrap_or_else(|| RunStatus::new(&run.id));
    status.attempts += 1;
    let invocation = task.invocation(
        run,
        &RunContext {
            run_dir: &dir,
            workdir: &meta.workdir,
        },
    )?;
    let env = ChildEnv {
        run_dir: &dir,
        run_id: &run.id,
        run_name: &run.name,
        seed: run.seed(),
        threads: meta.resources.threads,
        attempt: status.attempts,
    };
    let pid = executor::spawn(&invocation, &env, slot, tx.clone())?;
    status.state = RunState::Running;
    status.device = Some(slot.device.clone());
    status.host = Some(host.to_string());
    status.pid = Some(pid);
    status.started_at = Some(now_rfc3339());
    status.ended_at = None;
    status.exit_code = None;
    status.signal = None;
    status.error = None;
    store.write_status(&run.id, &status)?;
    Ok((pid, status.attempts))
}

/// Decides how an attempt ended: (state, error, exit code, signal). With `sigterm_is_stop`, a
/// child ended by SIGTERM was stopped by the scheduler around runner: interrupted, not failed.
fn judge(
    store: &ExperimentDir,
    run: &PlannedRun,
    status: &std::io::Result<std::process::ExitStatus>,
    timed_out: bool,
    stopping: bool,
    timeout: Option<Duration>,
    sigterm_is_stop: bool,
) -> (RunState, Option<String>, Option<i32>, Option<i32>) {
    let dir = store.run_dir(&run.id);
    let status = match status {
        Ok(s) => s,
        Err(e) => {
            return (
                RunState::Failed,
                Some(format!("lost track of the child: {e}")),
                None,
                None,
            )
        }
    };
    let (code, signal) = executor::describe_exit(status);
    if timed_out {
        let limit = timeout
            .map(|t| humantime::format_duration(t).to_string())
            .unwrap_or_default();
        return (
            RunState::TimedOut,
            Some(format!("killed after the {limit} time limit")),
            code,
            signal,
        );
    }
    if code == Some(0) {
        return match store.read_metrics(&run.id) {
            Ok(serde_json::Value::Object(_)) => (RunState::Completed, None, code, signal),
            Ok(_) => (
                RunState::Failed,
                Some("metrics.json is not a JSON object".into()),
                code,
                signal,
            ),
            Err(e) => (
                RunState::Failed,
                Some(format!("exited 0 but {e:#}")),
                code,
                signal,
            ),
        };
    }
    if dir.join("metrics.json").is_file() {
        let _ = std::fs::rename(dir.join("metrics.json"), dir.join("metrics.failed.json"));
    }
    let tail = stderr_tail(&dir.join("stderr.log"));
    let what = match (code, signal) {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        _ => "ended abnormally".to_string(),
    };
    if !stopping && sigterm_is_stop && signal == Some(libc::SIGTERM) {
        return (
            RunState::Interrupted,
            Some("stopped by the cluster's scheduler (cancelled, preempted or out of time)".into()),
            code,
            signal,
        );
    }
    let state = if stopping {
        RunState::Interrupted
    } else {
        RunState::Failed
    };
    let error = if tail.is_empty() {
        what
    } else {
        format!("{what}; stderr ends with:\n{tail}")
    };
    (state, Some(error), code, signal)
}

/// Writes the completed run's metrics into results.jsonl.
fn finish_completed(
    store: &ExperimentDir,
    meta: &ExperimentMeta,
    plan: &Grid,
    run: &PlannedRun,
    st: &RunStatus,
) -> Result<()> {
    let metrics = store.read_metrics(&run.id)?;
    let line = ResultLine {
        id: run.id.clone(),
        name: run.name.clone(),
        task: plan.task.clone(),
        config: run.config.clone(),
        metrics,
        duration_s: st.duration_s.unwrap_or_default(),
        device: st.device.clone(),
        host: st.host.clone(),
        attempts: st.attempts,
        finished_at: st.ended_at.clone(),
        runner_version: RUNNER_VERSION.to_string(),
        git: meta.git.clone(),
    };
    results::append(&store.file("results.jsonl"), &line)
}

fn record_failure(
    store: &ExperimentDir,
    run: &PlannedRun,
    state: RunState,
    error: &str,
    device: &str,
    host: &str,
) {
    let _ = std::fs::create_dir_all(store.run_dir(&run.id));
    let mut st = store
        .read_status(&run.id)
        .unwrap_or_else(|| RunStatus::new(&run.id));
    st.state = state;
    st.error = Some(error.to_string());
    st.device = Some(device.to_string());
    st.host = Some(host.to_string());
    st.ended_at = Some(now_rfc3339());
    let _ = store.write_status(&run.id, &st);
}

/// The last lines of a log (at most 20 lines, 2 KB), without runner's own header lines.
pub fn stderr_tail(path: &std::path::Path) -> String {
    let Ok(bytes) = std::fs::read(path) else {
        return String::new();
    };
    let start = bytes.len().saturating_sub(2048);
    let text = String::from_utf8_lossy(&bytes[start..]);
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with("=== runner:"))
        .collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

/// A run's own progress: the first line of its progress file, e.g. `3/10 epoch 3`.
fn read_progress(dir: &std::path::Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("progress")).ok()?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.chars().take(60).collect())
}
