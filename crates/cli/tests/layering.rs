//! The layering ARCHITECTURE.md allows, checked against every crate's Cargo.toml: an `ob-*`
//! dependency the document does not list fails, and so does a crate the document forgets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// A crate's allowed `ob-*` dependencies: (normal, dev-only), by crate folder name.
type Allowed = BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// Reads the block between `<!-- layering:begin -->` and `<!-- layering:end -->`.
fn allowed(architecture: &str) -> Allowed {
    let block = architecture
        .split("<!-- layering:begin -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- layering:end -->").next())
        .expect("ARCHITECTURE.md has the layering block");
    let mut out = Allowed::new();
    for line in block.lines().filter(|l| l.contains(':') && !l.starts_with("```")) {
        let (name, arrows) = line.split_once(':').unwrap();
        let (normal, dev) = arrows.split_once("| dev:").unwrap_or((arrows, ""));
        let words = |s: &str| s.split_whitespace().map(str::to_owned).collect::<BTreeSet<_>>();
        out.insert(name.trim().to_owned(), (words(normal), words(dev)));
    }
    out
}

/// The `ob-*` dependencies of a Cargo.toml: (normal, dev), without the `ob-` prefix.
fn declared(manifest: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut normal, mut dev) = (BTreeSet::new(), BTreeSet::new());
    let mut section = String::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.to_owned();
            continue;
        }
        let Some(name) = line.strip_prefix("ob-").and_then(|l| l.split(['.', ' ', '=']).next()) else { continue };
        match section.as_str() {
            "[dependencies]" | "[build-dependencies]" => normal.insert(name.to_owned()),
            "[dev-dependencies]" => dev.insert(name.to_owned()),
            other => panic!("ob-{name} in {other}: the layering test reads only [dependencies] sections"),
        };
    }
    (normal, dev)
}

#[test]
fn every_crate_depends_only_on_what_architecture_md_allows() {
    let architecture = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let allowed = allowed(&architecture);
    let mut crates = BTreeSet::new();
    for entry in std::fs::read_dir(root().join("crates")).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Ok(manifest) = std::fs::read_to_string(dir.join("Cargo.toml")) else { continue };
        crates.insert(name.clone());
        let (normal_ok, dev_ok) =
            allowed.get(&name).unwrap_or_else(|| panic!("ARCHITECTURE.md's layering lacks `{name}`"));
        let (normal, dev) = declared(&manifest);
        for dep in &normal {
            assert!(normal_ok.contains(dep), "{name} → {dep}: an arrow ARCHITECTURE.md does not allow");
        }
        for dep in &dev {
            assert!(
                normal_ok.contains(dep) || dev_ok.contains(dep),
                "{name} → {dep} (dev): an arrow ARCHITECTURE.md does not allow"
            );
        }
    }
    let listed: BTreeSet<String> = allowed.keys().cloned().collect();
    assert_eq!(listed, crates, "ARCHITECTURE.md's layering names exactly the crates");
}

#[test]
fn the_reader_finds_arrows_in_every_section() {
    let manifest = "[package]\nname = \"x\"\n[dependencies]\nob-model.workspace = true\nob-store = { workspace = true }\n[dev-dependencies]\nob-sim.workspace = true\n";
    let (normal, dev) = declared(manifest);
    assert_eq!(normal.into_iter().collect::<Vec<_>>(), ["model", "store"]);
    assert_eq!(dev.into_iter().collect::<Vec<_>>(), ["sim"]);
    let allowed =
        allowed("<!-- layering:begin -->\n```text\nmodel:\nbureau: store model | dev: sim\n```\n<!-- layering:end -->");
    assert!(allowed["model"].0.is_empty());
    assert!(allowed["bureau"].1.contains("sim"));
}
