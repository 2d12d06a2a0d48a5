//! The dispatcher: one loop that owns all scheduling state. It fills free slots at once and
//! reacts to events (a child exited, a signal arrived, a deadline or the display tick came), one
//! small handler per event, as nextest's dispatcher does. Each outcome is recorded in the run
//! store ([`super::attempt`]) and told to the reporter; the dispatcher never prints.

use std::collections::VecDeque;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use anyhow::Result;

use super::attempt::{self, Ending};
use super::devices::Slot;
use super::events::Event;
use super::executor;
use super::reporter::{Reporter, RunEvent, Summary};
use super::signals::SignalForwarder;
use super::tracker::Tracker;
use crate::grid::Grid;
use crate::store::provenance::{hostname, now_rfc3339};
use crate::store::{ExperimentDir, ExperimentMeta, RunState, RunStatus};
use crate::task::Task;

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

impl<'a> Dispatcher<'a> {
    /// Runs the plan's runs at `todo` (indices); `skipped` were already complete.
    pub fn run(self, todo: Vec<usize>, skipped: usize) -> Result<Summary> {
        let (tx, rx) = channel();
        let _signals = SignalForwarder::install(tx.clone())?;
        let mut state = State::new(self, todo, skipped, tx);
        loop {
            state.fill_slots();
            if state.is_done() {
                break;
            }
            let wait = state
                .next_wakeup()
                .saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(Event::Exited { slot, status, at }) => state.on_exit(slot, status, at),
                Ok(Event::Signal(signal)) => state.on_signal(signal),
                Err(RecvTimeoutError::Timeout) => state.on_deadlines(),
                Err(RecvTimeoutError::Disconnected) => break,
            }
            state.on_tick();
        }
        state.finish()
    }
}

/// The loop's state: the queue, the slots' runs, whether the launch is stopping.
struct State<'a> {
    d: Dispatcher<'a>,
    queue: VecDeque<(usize, u32)>,
    busy: Vec<Option<InFlight>>,
    stopping: bool,
    signals_seen: usize,
    last_tick: Instant,
    begin: Instant,
    grace: Duration,
    host: String,
    events: Sender<Event>,
    summary: Summary,
    /// Why the launch must fail (the run store could not be written).
    fatal: Option<anyhow::Error>,
    /// The TensorBoard runs (none when `[tracking] tensorboard = false`, or after an error).
    tracker: Option<Tracker>,
}

impl<'a> State<'a> {
    fn new(d: Dispatcher<'a>, todo: Vec<usize>, skipped: usize, events: Sender<Event>) -> Self {
        let summary = Summary {
            total: d.plan.runs.len(),
            skipped,
            ..Summary::default()
        };
        d.reporter
            .begin(d.plan.runs.len(), todo.len(), d.slots.len());
        State {
            queue: todo.into_iter().map(|i| (i, 0)).collect(),
            busy: d.slots.iter().map(|_| None).collect(),
            stopping: false,
            signals_seen: 0,
            last_tick: Instant::now(),
            begin: Instant::now(),
            grace: d
                .meta
                .resources
                .kill_grace
                .unwrap_or(Duration::from_secs(10)),
            host: hostname(),
            events,
            summary,
            fatal: None,
            tracker: d
                .meta
                .tracking
                .tensorboard
                .then(|| Tracker::new(d.store, d.slots.len())),
            d,
        }
    }

    /// Nothing runs and nothing more will start.
    fn is_done(&self) -> bool {
        self.busy.iter().all(Option::is_none) && (self.queue.is_empty() || self.stopping)
    }

    /// The earliest deadline, kill time or display tick.
    fn next_wakeup(&self) -> Instant {
        self.busy
            .iter()
            .flatten()
            .flat_map(|f| [f.deadline.filter(|_| !f.timed_out), f.kill_at])
            .flatten()
            .chain([self.last_tick + TICK])
            .min()
            .unwrap_or_else(|| Instant::now() + TICK)
    }

    /// Starts queued runs on every free slot (none while stopping).
    fn fill_slots(&mut self) {
        while !self.stopping {
            let Some(slot) = self.busy.iter().position(Option::is_none) else {
                return;
            };
            let Some((index, tries)) = self.queue.pop_front() else {
                return;
            };
            self.start(slot, index, tries);
        }
    }

    fn start(&mut self, slot: usize, index: usize, tries: u32) {
        let d = &mut self.d;
        let run = &d.plan.runs[index];
        let device = &d.slots[slot].device;
        match attempt::start(
            d.store,
            d.meta,
            d.task,
            run,
            &d.slots[slot],
            &self.events,
            &self.host,
        ) {
            Ok((pid, attempt)) => {
                if let Some(t) = &mut self.tracker {
                    let started = t.start(slot, d.plan, run);
                    Self::tracking(&mut self.tracker, d.reporter, started);
                }
                d.reporter.event(RunEvent::Started {
                    run,
                    device,
                    attempt,
                });
                self.busy[slot] = Some(InFlight {
                    run: index,
                    pid,
                    started: Instant::now(),
                    started_at: now_rfc3339(),
                    deadline: d.meta.resources.timeout.map(|t| Instant::now() + t),
                    kill_at: None,
                    timed_out: false,
                    tries: tries + 1,
                });
            }
            Err(e) => {
                let error = format!("could not start: {e:#}");
                let recorded = attempt::record_failure(
                    d.store,
                    run,
                    RunState::Failed,
                    &error,
                    device,
                    &self.host,
                );
                if let Err(store_error) = recorded {
                    self.queue.push_front((index, tries));
                    self.fail(store_error);
                    return;
                }
                let d = &mut self.d;
                let (run, device) = (&d.plan.runs[index], &d.slots[slot].device);
                d.reporter.event(RunEvent::Finished {
                    run,
                    device,
                    state: RunState::Failed,
                    duration: Duration::ZERO,
                    error: Some(&error),
                    retrying: false,
                });
                self.summary.failed += 1;
                self.summary
                    .problems
                    .push((run.name.clone(), format!("failed: {error}")));
            }
        }
    }

    /// A child exited: judge the attempt, record it, retry or count it.
    fn on_exit(
        &mut self,
        slot: usize,
        status: std::io::Result<std::process::ExitStatus>,
        at: Instant,
    ) {
        super::faults::point("before-record");
        let Some(flight) = self.busy[slot].take() else {
            return;
        };
        executor::signal_group(flight.pid, libc::SIGTERM);
        let ending = attempt::judge(
            self.d.store,
            &self.d.plan.runs[flight.run],
            &status,
            flight.timed_out,
            self.stopping,
            self.d.meta.resources.timeout,
            self.d.sigterm_is_stop,
        );
        let retrying = !self.stopping
            && matches!(ending.state, RunState::Failed | RunState::TimedOut)
            && flight.tries <= self.d.meta.resources.retries;
        let duration = at.duration_since(flight.started);
        let st = match self.record_ending(&flight, &ending, duration, slot) {
            Ok(st) => st,
            Err(e) => {
                self.summary.not_recorded += 1;
                return self.fail(e);
            }
        };
        let run = &self.d.plan.runs[flight.run];
        if let Some(t) = &mut self.tracker {
            let ended = t.end(slot, self.d.store, run, st.state);
            Self::tracking(&mut self.tracker, self.d.reporter, ended);
        }
        self.d.reporter.event(RunEvent::Finished {
            run,
            device: &self.d.slots[slot].device,
            state: st.state,
            duration,
            error: st.error.as_deref(),
            retrying,
        });
        if retrying {
            self.queue.push_front((flight.run, flight.tries));
        } else {
            self.count(flight.run, &st);
        }
    }

    /// Writes the attempt's status (and, for a completed run, its results line).
    fn record_ending(
        &self,
        flight: &InFlight,
        ending: &Ending,
        duration: Duration,
        slot: usize,
    ) -> Result<RunStatus> {
        let run = &self.d.plan.runs[flight.run];
        let store = self.d.store;
        let mut st = store
            .read_status(&run.id)
            .unwrap_or_else(|| RunStatus::new(&run.id));
        st.state = ending.state;
        st.ended_at = Some(now_rfc3339());
        st.started_at = Some(flight.started_at.clone());
        st.duration_s = Some(duration.as_secs_f64());
        st.exit_code = ending.exit_code;
        st.signal = ending.signal;
        st.error = ending.error.clone();
        st.device = Some(self.d.slots[slot].device.clone());
        if st.state == RunState::Completed {
            match attempt::result_line(store, self.d.meta, self.d.plan, run, &st) {
                Ok(line) => {
                    attempt::record_completed(store, run, &st, &line)?;
                    return Ok(st);
                }
                Err(e) => {
                    st.state = RunState::Failed;
                    st.error = Some(format!("{e:#}"));
                }
            }
        }
        store.write_status(&run.id, &st)?;
        Ok(st)
    }

    /// The run store cannot be written (a full disk, a lost mount): start nothing more, let the
    /// running runs end, and fail the launch with the cause (the first one).
    fn fail(&mut self, error: anyhow::Error) {
        if self.fatal.is_none() {
            self.d.reporter.event(RunEvent::Stopping {
                reason: &format!(
                    "the run store cannot be written ({error:#}); waiting for running runs"
                ),
            });
            self.fatal = Some(error);
        }
        self.stopping = true;
    }

    /// Counts a final outcome in the summary; a failure under --fail-fast stops the launch.
    fn count(&mut self, index: usize, st: &RunStatus) {
        match st.state {
            RunState::Completed => self.summary.completed += 1,
            RunState::Interrupted => self.summary.interrupted += 1,
            RunState::TimedOut => self.summary.timed_out += 1,
            _ => self.summary.failed += 1,
        }
        if st.state == RunState::Completed {
            return;
        }
        let name = self.d.plan.runs[index].name.clone();
        let error = st.error.clone().unwrap_or_default();
        self.summary
            .problems
            .push((name, format!("{}: {error}", st.state.word())));
        if self.d.fail_fast && st.state != RunState::Interrupted && !self.stopping {
            self.stopping = true;
            self.d.reporter.event(RunEvent::Stopping {
                reason: "a run failed and --fail-fast is set; waiting for running runs",
            });
        }
    }

    /// Ctrl-C (or SIGTERM, SIGHUP): the first stops gracefully, the second kills at once.
    fn on_signal(&mut self, signal: i32) {
        self.signals_seen += 1;
        self.summary.was_interrupted = true;
        if self.signals_seen == 1 {
            self.stopping = true;
            self.d.reporter.event(RunEvent::Stopping {
                reason: &format!(
                    "signal {signal}: stopping running runs (SIGTERM, SIGKILL after {}); press Ctrl-C again to kill at once",
                    humantime::format_duration(self.grace)
                ),
            });
            let kill_at = Instant::now() + self.grace;
            for f in self.busy.iter_mut().flatten() {
                executor::signal_group(f.pid, libc::SIGTERM);
                f.kill_at = Some(kill_at);
            }
        } else {
            self.d.reporter.event(RunEvent::Stopping {
                reason: "second signal: killing running runs now",
            });
            for f in self.busy.iter().flatten() {
                executor::signal_group(f.pid, libc::SIGKILL);
            }
        }
    }

    /// A time limit passed (SIGTERM, then SIGKILL after the grace period).
    fn on_deadlines(&mut self) {
        let now = Instant::now();
        for f in self.busy.iter_mut().flatten() {
            if !f.timed_out && f.deadline.is_some_and(|d| d <= now) {
                f.timed_out = true;
                executor::signal_group(f.pid, libc::SIGTERM);
                f.kill_at = Some(now + self.grace);
            } else if f.kill_at.is_some_and(|k| k <= now) {
                executor::signal_group(f.pid, libc::SIGKILL);
                f.kill_at = None;
            }
        }
    }

    /// An error of the tracker turns it off and is told once.
    fn tracking(tracker: &mut Option<Tracker>, reporter: &mut dyn Reporter, r: Result<()>) {
        if let Err(e) = r {
            *tracker = None;
            reporter.note(super::reporter::Note::Text(format!(
                "TensorBoard event files are no longer written: {e:#}"
            )));
        }
    }

    /// The periodic display update of the running runs (and their TensorBoard curves).
    fn on_tick(&mut self) {
        if self.last_tick.elapsed() < TICK {
            return;
        }
        self.last_tick = Instant::now();
        if let Some(t) = &mut self.tracker {
            let followed = self.busy.iter().enumerate().try_for_each(|(s, f)| match f {
                Some(f) => t.follow(s, self.d.store, &self.d.plan.runs[f.run]),
                None => Ok(()),
            });
            Self::tracking(&mut self.tracker, self.d.reporter, followed);
        }
        let d = &mut self.d;
        let running = self
            .busy
            .iter()
            .enumerate()
            .filter_map(|(s, f)| f.as_ref().map(|f| (s, f)))
            .map(|(s, f)| {
                let run = &d.plan.runs[f.run];
                let progress = attempt::read_progress(&d.store.run_dir(&run.id));
                (
                    run,
                    d.slots[s].device.as_str(),
                    f.started.elapsed(),
                    progress,
                )
            })
            .collect();
        d.reporter.event(RunEvent::Tick { running });
    }

    fn finish(mut self) -> Result<Summary> {
        self.summary.not_started = self.queue.len();
        self.summary.elapsed = self.begin.elapsed();
        self.d.reporter.finish(&self.summary);
        match self.fatal {
            Some(e) => Err(crate::error::Error::Environment(e).into()),
            None => Ok(self.summary),
        }
    }
}
