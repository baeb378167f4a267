//! Boot APIs: reading the files named in the settings and the ids they are served under.
//!
//! Invariant: a boot API without an explicit id gets one derived only from its document title,
//! with a fixed hash (FNV-1a, not std's `DefaultHasher`, whose output may change between Rust
//! releases), so every restart and SIGHUP upserts the same stored API.

use crate::settings::{BootApi, EMBEDDED_SAMPLE_API};
use anyhow::Context;
use std::path::{Path, PathBuf};

/// The boot file name that means "the sample API compiled into the binary".
pub const EMBEDDED_SAMPLE: &str = "embedded:sample-api.yaml";

/// Where `boot.file` is read from: relative paths are relative to the config file's folder.
pub fn resolve(boot: &BootApi, config_path: Option<&Path>) -> PathBuf {
    match config_path.and_then(Path::parent) {
        Some(dir) if boot.file.is_relative() => dir.join(&boot.file),
        _ => boot.file.clone(),
    }
}

/// The document bytes of a boot API.
pub fn read_document(boot: &BootApi, config_path: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    if boot.file.as_os_str() == EMBEDDED_SAMPLE {
        return Ok(EMBEDDED_SAMPLE_API.as_bytes().to_vec());
    }
    let path = resolve(boot, config_path);
    std::fs::read(&path).with_context(|| format!("cannot read API file {}", path.display()))
}

/// A 10-character `[a-z0-9]` REST API id derived from the document title.
pub fn derived_id(title: &str) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in b"tollgate-boot-api:".iter().chain(title.as_bytes()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    (0..10)
        .map(|_| {
            let c = ALPHABET[(h % 36) as usize] as char;
            h /= 36;
            c
        })
        .collect()
}

/// `tollgate check`: imports every boot API and compiles each of its stages, without touching the
/// store. Returns one line per problem (file, JSON pointer, message); empty means all is well.
pub fn check_boot_apis(settings: &crate::settings::Settings) -> Vec<String> {
    use crate::deploy::compile::{compile_stage, UpstreamInterner};
    use crate::deploy::import::{import_document, ImportOptions};
    use crate::deploy::model::Stage;

    let mut out = Vec::new();
    // Config links only: VpcLinks created through the admin API live in the store, which
    // `check` does not open.
    let mut upstreams = UpstreamInterner::with_links(
        crate::deploy::compile::links::VpcLinks::from_config(&settings.vpc_links),
    );
    for boot in &settings.apis {
        let name = boot.file.display().to_string();
        let doc = match read_document(boot, settings.config_path.as_deref()) {
            Ok(d) => d,
            Err(e) => {
                out.push(format!("{name}: {e:#}"));
                continue;
            }
        };
        let api = match import_document(&doc, &ImportOptions::default()) {
            Ok(api) => api,
            Err(problems) => {
                out.extend(
                    problems
                        .0
                        .iter()
                        .map(|p| format!("{name}: {} ({})", p.message, p.pointer)),
                );
                continue;
            }
        };
        for s in &boot.stages {
            // As `run` refuses them: AWS's rule, which keeps line breaks out of resolved values.
            if let Err(e) = crate::admin::deployments::stages::validate_variables(&s.variables) {
                out.push(format!("{name}: stage {}: {}", s.name, e.parts().2));
                continue;
            }
            let stage = Stage {
                stage_name: s.name.clone(),
                deployment_id: "check".into(),
                variables: s.variables.clone(),
                ..Default::default()
            };
            if let Err(problems) = compile_stage(&api, &stage, &mut upstreams) {
                out.extend(
                    problems.0.iter().map(|p| {
                        format!("{name}: stage {}: {} ({})", s.name, p.message, p.pointer)
                    }),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boot(file: &str) -> BootApi {
        BootApi {
            file: file.into(),
            id: None,
            stages: Vec::new(),
        }
    }

    #[test]
    fn derived_ids_are_stable_and_well_formed() {
        let a = derived_id("Pet Store");
        assert_eq!(a, derived_id("Pet Store"));
        assert_ne!(a, derived_id("Pet Store 2"));
        assert_eq!(a.len(), 10);
        assert!(a
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        // Pinned: a change here would give every boot API a new id after an upgrade.
        assert_eq!(derived_id("Pet Store"), "jwbvj7rha4");
    }

    #[test]
    fn relative_files_resolve_against_the_config_folder() {
        let cfg = Path::new("/etc/tollgate/tollgate.toml");
        assert_eq!(
            resolve(&boot("apis/a.yaml"), Some(cfg)),
            Path::new("/etc/tollgate/apis/a.yaml")
        );
        assert_eq!(
            resolve(&boot("/srv/a.yaml"), Some(cfg)),
            Path::new("/srv/a.yaml")
        );
        assert_eq!(resolve(&boot("a.yaml"), None), Path::new("a.yaml"));
    }

    #[test]
    fn embedded_sample_is_read_from_the_binary() {
        let doc = read_document(&boot(EMBEDDED_SAMPLE), None).unwrap();
        assert_eq!(doc, EMBEDDED_SAMPLE_API.as_bytes());
    }
}
