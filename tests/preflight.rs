//! The preflight: before anything starts, a launch checks what its spec needs — data sets
//! (downloaded when missing, SHA-256 checked; not when offline), files, programs, GPUs — and
//! stops with one error listing every missing piece and how to fix it, creating nothing.

mod common;

use std::path::Path;

use common::{text, Project};

/// A QA spec on the named data set with the sliding-window reader (no training).
fn qa_spec(name: &str) -> String {
    format!("[experiment]\nname = \"{name}\"\ntask = \"qa-reader\"\n\n[params]\ndataset = \"squad-dev\"\nreader = \"sliding_window\"\neval_questions = 20\nbootstrap = 10\n\n[resources]\ndevices = \"cpu\"\n")
}

#[test]
fn everything_missing_is_listed_at_once_and_nothing_is_created() {
    let p = Project::new();
    p.write(
        "exp.toml",
        "[experiment]\nname = \"e\"\ntask = \"codec\"\n\n[params]\nalgorithm = \"gzip\"\n\n[grid]\ndataset = [\"canterbury\", \"missing/gen.jsonl\"]\n",
    );
    let out = p
        .runner()
        .env("RUNNER_DATA", p.path().join("nodata"))
        .args(["launch", "exp.toml", "--offline"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(
        t.contains("data set `canterbury`") && t.contains("runner data fetch canterbury"),
        "{t}"
    );
    assert!(t.contains("unzip it into"), "how to place it by hand: {t}");
    assert!(t.contains("missing/gen.jsonl does not exist"), "{t}");
    assert!(t.contains("offline"), "{t}");
    assert!(!p.path().join("runs").exists(), "nothing created");
    // A program that is not there, and GPUs that are not either.
    p.write(
        "cmd.toml",
        "[experiment]\nname = \"c\"\ntask = \"command\"\n\n[params]\ncommand = [\"no-such-program-here\", \"{x}\"]\n\n[grid]\nx = [1]\n\n[resources]\ndevices = [\"cuda:0\"]\n",
    );
    let out = p
        .runner()
        .env("CUDA_VISIBLE_DEVICES", "")
        .args(["launch", "cmd.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("program `no-such-program-here` is not found"),
        "{}",
        text(&out)
    );
    assert!(text(&out).contains("no GPU is visible"), "{}", text(&out));
    assert!(!p.path().join("runs").exists());
}

#[test]
fn burn_tasks_asking_for_gpus_need_a_gpu_backend() {
    let p = Project::new();
    p.write(
        "qa.toml",
        &qa_spec("q").replace("devices = \"cpu\"", "devices = [\"cuda:0\"]"),
    );
    // A GPU the driver shows (CUDA_VISIBLE_DEVICES), a build without a GPU backend: refused
    // before anything starts, saying how to build one.
    let out = p
        .runner()
        .env("CUDA_VISIBLE_DEVICES", "0")
        .args(["launch", "qa.toml"])
        .output()
        .unwrap();
    if cfg!(any(feature = "wgpu", feature = "cuda")) {
        return;
    }
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("task `qa-reader` trains burn models"), "{t}");
    assert!(t.contains("--features wgpu"), "{t}");
    assert!(!p.path().join("runs").exists());
    // `runner devices` says what is compiled in and where the spec would go.
    let out = p
        .runner()
        .env("CUDA_VISIBLE_DEVICES", "0")
        .args(["devices", "qa.toml"])
        .output()
        .unwrap();
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("backends compiled in: flex"), "{t}");
    assert!(t.contains("not compiled in: wgpu, cuda"), "{t}");
    assert!(t.contains("no GPU backend compiled in"), "{t}");
}

/// A local HTTP server over `dir` (python3's), stopped when dropped; None without python3.
struct Server(std::process::Child, u16);

impl Server {
    fn start(dir: &Path) -> Option<Server> {
        let port = 20_000 + (std::process::id() % 20_000) as u16;
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .current_dir(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()?;
        common::wait_until(10, || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Some(Server(child, port))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_missing_data_set_is_downloaded_once_and_checked() {
    let squad = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/squad/dev-v1.1.json");
    if !squad.is_file() {
        eprintln!("SKIPPED: no SQuAD file to serve as the mirror");
        return;
    }
    let p = Project::new();
    let mirror = p.path().join("mirror");
    std::fs::create_dir_all(&mirror).unwrap();
    std::fs::copy(&squad, mirror.join("dev-v1.1.json")).unwrap();
    let Some(server) = Server::start(&mirror) else {
        eprintln!("SKIPPED: no python3 for a local mirror");
        return;
    };
    let url = format!("http://127.0.0.1:{}", server.1);
    let data = p.path().join("data");
    p.write("qa.toml", &qa_spec("qa"));
    let run = |args: &[&str]| {
        p.runner()
            .env("RUNNER_DATA", &data)
            .env("RUNNER_DATA_MIRROR", &url)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["launch", "qa.toml", "-q"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("Downloading data set `squad-dev`"),
        "{}",
        text(&out)
    );
    assert!(data.join("squad/dev-v1.1.json").is_file());
    // Present now: the next launch downloads nothing.
    p.write("qa2.toml", &qa_spec("qa2"));
    let out = run(&["launch", "qa2.toml", "-q"]);
    assert!(
        out.status.success() && !text(&out).contains("Downloading"),
        "{}",
        text(&out)
    );
    // A damaged download is refused by its checksum.
    std::fs::remove_file(data.join("squad/dev-v1.1.json")).unwrap();
    std::fs::write(mirror.join("dev-v1.1.json"), b"{\"data\": []}").unwrap();
    p.write("qa3.toml", &qa_spec("qa3"));
    let out = run(&["launch", "qa3.toml"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("checksum mismatch"), "{}", text(&out));
    assert!(!p.path().join("runs/qa3").exists());
    assert!(
        !data.join("squad/dev-v1.1.json").exists(),
        "the damaged download is removed"
    );
}
