//! One test per exit code (README: Exit codes): 0 every run complete; 1 some run failed; 2 bad
//! input (a spec, an argument, an experiment in use, a directory that is none); 3 the
//! environment failed (here: a cluster command); 130 Ctrl-C.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{sleepy_spec, spawn, text, wait_until, Project};

fn command_spec(name: &str, command: &str) -> String {
    format!(
        "[experiment]\nname = \"{name}\"\ntask = \"command\"\n\n[params]\ncommand = '''{command}'''\n\n[grid]\nx = [1, 2]\n\n[resources]\ndevices = \"cpu\"\n"
    )
}

#[test]
fn zero_when_every_run_completes() {
    let p = Project::new();
    p.write(
        "ok.toml",
        &command_spec("ok", "echo '{{\"x\": {x}}}' > $RUNNER_RUN_DIR/metrics.json"),
    );
    let out = p.run(&["launch", "ok.toml", "-q"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn one_when_a_run_fails() {
    let p = Project::new();
    p.write(
        "bad.toml",
        &command_spec(
            "bad",
            "test {x} = 1 && echo '{{}}' > $RUNNER_RUN_DIR/metrics.json",
        ),
    );
    let out = p.run(&["launch", "bad.toml", "-q"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

#[test]
fn two_for_bad_input() {
    let p = Project::new();
    p.write(
        "typo.toml",
        &format!(
            "{}\n[resources]\ntimeot = \"1m\"\n",
            command_spec("t", "true")
        ),
    );
    let out = p.run(&["launch", "typo.toml"]);
    assert_eq!(out.status.code(), Some(2), "a spec: {}", text(&out));
    let out = p.run(&["resume", "nowhere"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "not an experiment: {}",
        text(&out)
    );
    assert!(
        text(&out).contains("is not an experiment directory"),
        "{}",
        text(&out)
    );
    let out = p.run(&["codec", "x.txt", "--level", "extreme"]);
    assert_eq!(out.status.code(), Some(2), "an argument: {}", text(&out));
    let out = p.run(&["tasks", "codex"]);
    assert!(
        text(&out).contains("did you mean `codec`?"),
        "{}",
        text(&out)
    );
    assert_eq!(out.status.code(), Some(2));
    // An experiment in use by another launcher.
    p.write("slow.toml", &sleepy_spec("slow", 1, "3", ""));
    let mut first = spawn(&p, &["launch", "slow.toml"], false);
    wait_until(10, || p.path().join("runs/slow/plan.json").exists());
    std::thread::sleep(std::time::Duration::from_millis(300));
    let out = p.run(&["resume", "runs/slow"]);
    assert_eq!(out.status.code(), Some(2), "in use: {}", text(&out));
    first.kill().unwrap();
    let _ = first.wait();
}

#[test]
fn three_when_the_environment_fails() {
    let p = Project::new();
    // A cluster whose controller does not answer: the Slurm commands fail.
    let bin = p.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    for tool in ["scontrol", "sbatch", "squeue", "sacct", "scancel"] {
        let path = bin.join(tool);
        std::fs::write(&path, "#!/bin/sh\necho 'slurm_load_ctl_conf error: Unable to contact slurm controller' >&2\nexit 1\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    p.write("ok.toml", &command_spec("ok", "true"));
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = p
        .runner()
        .env("PATH", path)
        .args(["launch", "ok.toml", "--backend", "slurm"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("no Slurm controller answers"),
        "{}",
        text(&out)
    );
}

#[test]
fn one_hundred_thirty_after_ctrl_c() {
    let p = Project::new();
    p.write("slow.toml", &sleepy_spec("slow", 2, "5", ""));
    let child = spawn(&p, &["launch", "slow.toml"], true);
    wait_until(10, || {
        std::fs::read_dir(p.path().join("runs/slow/runs")).is_ok_and(|mut d| d.next().is_some())
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    // SAFETY: plain syscall on our child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out));
}
