//! `runner artifacts`: what the artifact store holds (tokenizers, readers, language models).

use crate::error::ExitCode;
use anyhow::Result;

use crate::artifacts::ArtifactStore;

/// `runner artifacts [--verify]`: lists the store; with `verify`, digests every artifact's
/// files again and compares them with the digests recorded when it was built (exit 1 when one
/// changed, or when an artifact's artifact.json is damaged or missing).
pub fn list(verify: bool) -> Result<ExitCode> {
    let store = ArtifactStore::default_location();
    let items = store.list();
    if items.is_empty() {
        println!("no artifacts in {}", store.root().display());
        return Ok(ExitCode::Complete);
    }
    println!("{} artifacts in {}:", items.len(), store.root().display());
    let mut changed = 0;
    for (id, info) in items {
        let info = match info {
            Ok(info) => info,
            Err(e) => {
                // An artifact whose record is damaged or gone cannot be verified: that fails.
                changed += 1;
                println!("  {id:<32} damaged ({e:#}): remove it and it is built again");
                continue;
            }
        };
        let content = info
            .content
            .as_ref()
            .map_or("no content hash recorded".into(), |c| {
                format!("content {}", &c.sha256[..12])
            });
        println!(
            "  {id:<32} built {} in {:.1}s by runner {}; {content}",
            info.created_at, info.build_seconds, info.runner_version
        );
        if let (true, Some(recorded)) = (verify, &info.content) {
            let dir = store.root().join(&id);
            let files = crate::artifacts::content::changed_files(&dir, recorded)?;
            if files.is_empty() {
                println!("  {:<32} verified: every file as built", "");
            } else {
                changed += 1;
                println!(
                    "  {:<32} CHANGED since it was built: {}; remove {} and it is built again",
                    "",
                    files.join(", "),
                    dir.display()
                );
            }
        }
        println!(
            "  {:<32} {}",
            "",
            crate::grid::identity::canonical_json(&info.config)
        );
    }
    Ok(if changed > 0 && verify {
        ExitCode::Incomplete
    } else {
        ExitCode::Complete
    })
}
