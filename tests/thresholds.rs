//! The threshold statistics against a reference implementation: `runner analyze reference`
//! and scripts/check_thresholds.py (scipy / statsmodels) on the same inputs must agree within
//! 1e-6. Skipped with a message when no python3 with scipy and statsmodels is found
//! (`RUNNER_PYTHON` names the interpreter); `.ci/run` installs them and sets
//! `RUNNER_REQUIRE_REFERENCE=1`, which turns the skip into a failure.

mod common;

use common::{text, Project};

#[test]
fn fits_cochran_q_and_holm_agree_with_scipy_and_statsmodels() {
    let Some(python) = common::reference_python("scipy, statsmodels") else {
        return;
    };
    let p = Project::new();
    let input = p.write(
        "input.json",
        r#"{"curves": [
 {"ratios": [0.1, 0.14, 0.2, 0.28, 0.4, 0.55, 0.75, 1.0], "y": [4.1, 5.3, 8.9, 15.2, 22.8, 27.1, 28.3, 29.0]},
 {"ratios": [0.1, 0.14, 0.2, 0.28, 0.4, 0.55, 0.75, 1.0], "y": [2.0, 3.1, 3.9, 7.5, 12.2, 17.9, 20.1, 21.3]},
 {"ratios": [0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0], "y": [10.0, 16.1, 20.3, 26.0, 29.8, 31.2, 31.0, 31.5]},
 {"ratios": [0.1, 0.13, 0.17, 0.22, 0.29, 0.38, 0.5, 0.65, 0.8, 1.0], "y": [1.5, 2.2, 2.0, 4.8, 9.9, 16.0, 19.5, 21.0, 21.9, 22.4]}
],
"cochran": {"estimates": [-1.2, -0.9, -1.5, -1.1], "se": [0.2, 0.15, 0.3, 0.25]},
"holm": [0.01, 0.04, 0.03, 0.5, 0.2, 0.0004]}"#,
    );
    let out = p.run(&["analyze", "reference", input.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let ours = p.write("ours.json", &String::from_utf8_lossy(&out.stdout));
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check_thresholds.py");
    let check = std::process::Command::new(&python)
        .arg(script)
        .arg(&input)
        .arg(&ours)
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check));
    assert!(text(&check).contains("agree within"), "{}", text(&check));
}
