//! Options shared by the commands that run an experiment (launch, resume, reproduce).

/// Options shared by launch and resume.
#[derive(clap::Args, Debug, Clone)]
pub struct RunOptions {
    /// Stop starting runs after the first run that fails (running runs finish).
    #[arg(long)]
    pub fail_fast: bool,
    /// Number of CPU slots (overrides resources.runs_per_device for the CPU).
    #[arg(short = 'j', long)]
    pub jobs: Option<u32>,
    /// Print only failures and the summary.
    #[arg(short, long)]
    pub quiet: bool,
    /// Download nothing: a missing data set is an error (also RUNNER_OFFLINE=1).
    #[arg(long)]
    pub offline: bool,
}

impl RunOptions {
    /// The launch options these arguments (and RUNNER_OFFLINE) give.
    pub fn launch_options(&self) -> crate::scheduler::launch::LaunchOptions {
        let env = std::env::var("RUNNER_OFFLINE").is_ok_and(|v| !v.is_empty() && v != "0");
        crate::scheduler::launch::LaunchOptions {
            offline: self.offline || env,
        }
    }
}
