//! `runner artifacts`: what the artifact store holds (tokenizers, readers, language models).

use crate::error::ExitCode;
use anyhow::Result;

use crate::artifacts::ArtifactStore;

/// `runner artifacts`: lists the store.
pub fn list() -> Result<ExitCode> {
    let store = ArtifactStore::default_location();
    let items = store.list();
    if items.is_empty() {
        println!("no artifacts in {}", store.root().display());
        return Ok(ExitCode::Complete);
    }
    println!("{} artifacts in {}:", items.len(), store.root().display());
    for (id, info) in items {
        let info = match info {
            Ok(info) => info,
            Err(e) => {
                println!("  {id:<32} damaged ({e:#}): remove it and it is built again");
                continue;
            }
        };
        println!(
            "  {id:<32} built {} in {:.1}s by runner {}",
            info.created_at, info.build_seconds, info.runner_version
        );
        println!(
            "  {:<32} {}",
            "",
            crate::grid::identity::canonical_json(&info.config)
        );
    }
    Ok(ExitCode::Complete)
}
