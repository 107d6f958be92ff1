//! The registry docs against the built provider's own schema (`terraform providers schema
//! -json`): every resource, data source and attribute has its page and appears in it; every
//! resource page has an example and an import section; every HCL example in the docs and in
//! `examples/` parses (hcl-rs); and no page documents an attribute the schema lacks. Types
//! are read from the schema, so a new resource or data source is covered as soon as it exists.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use expel_acceptance_tests::harness::Workspace;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

/// The provider's schema as terraform reports it (no API is called: no configure).
fn schema() -> Value {
    let workspace = Workspace::new(Vec::new());
    workspace.config("");
    workspace.init();
    let outcome = workspace.ok(&["providers", "schema", "-json"]);
    let all: Value = serde_json::from_str(&outcome.stdout).expect("schema JSON");
    all["provider_schemas"]["registry.terraform.io/expel/expel"].clone()
}

/// Top-level attribute and block names of a block.
fn top_level(block: &Value) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for key in ["attributes", "block_types"] {
        if let Some(map) = block[key].as_object() {
            names.extend(map.keys().cloned());
        }
    }
    names
}

/// Every name a block knows at any depth: attributes, nested blocks and their attributes,
/// and the fields of object-typed attributes.
fn all_names(block: &Value, names: &mut BTreeSet<String>) {
    if let Some(map) = block["attributes"].as_object() {
        for (name, attribute) in map {
            names.insert(name.clone());
            type_fields(&attribute["type"], names);
        }
    }
    if let Some(map) = block["block_types"].as_object() {
        for (name, nested) in map {
            names.insert(name.clone());
            all_names(&nested["block"], names);
        }
    }
}

fn type_fields(ty: &Value, names: &mut BTreeSet<String>) {
    if let Some(parts) = ty.as_array() {
        match (parts.first().and_then(Value::as_str), parts.get(1)) {
            (Some("object"), Some(Value::Object(fields))) => {
                for (name, inner) in fields {
                    names.insert(name.clone());
                    type_fields(inner, names);
                }
            }
            (Some(_), Some(inner)) => type_fields(inner, names),
            _ => {}
        }
    }
}

/// The fenced code blocks of a page whose language is `hcl` or `terraform`.
fn hcl_blocks(page: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in page.lines() {
        let trimmed = line.trim_start();
        match &mut current {
            None if trimmed == "```hcl" || trimmed == "```terraform" => {
                current = Some(String::new())
            }
            Some(_) if trimmed.starts_with("```") => blocks.extend(current.take()),
            Some(block) => {
                block.push_str(line);
                block.push('\n');
            }
            None => {}
        }
    }
    blocks
}

/// The names a page documents as bullets: lines `* \`name\`, \`other\` - …`.
fn documented(page: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in page.lines() {
        let Some(rest) = line.trim_start().strip_prefix("* ") else {
            continue;
        };
        let Some((head, _)) = rest.split_once(" - ") else {
            continue;
        };
        for part in head.split(',') {
            let part = part.trim();
            if let Some(name) = part.strip_prefix('`').and_then(|p| p.strip_suffix('`')) {
                names.insert(name.to_owned());
            }
        }
    }
    names
}

fn check_hcl(what: &str, text: &str, problems: &mut Vec<String>) {
    if let Err(err) = hcl::from_str::<hcl::Body>(text) {
        problems.push(format!(
            "{what}: an example is not valid HCL: {err}\n{text}"
        ));
    }
}

fn read(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

#[test]
fn docs_cover_the_schema_and_nothing_else() {
    let schema = schema();
    let docs = root().join("docs");
    let mut problems = Vec::new();

    // The provider page: every provider argument.
    let index = read(&docs.join("index.md")).expect("docs/index.md");
    for name in top_level(&schema["provider"]["block"]) {
        if !index.contains(&format!("`{name}`")) {
            problems.push(format!(
                "docs/index.md does not document provider argument {name}"
            ));
        }
    }

    let mut pages_expected = BTreeSet::new();
    for (kind, dir, key) in [
        ("resource", "resources", "resource_schemas"),
        ("data source", "data-sources", "data_source_schemas"),
    ] {
        let types = schema[key].as_object().cloned().unwrap_or_default();
        assert!(!types.is_empty(), "the schema lists no {kind}");
        for (type_name, type_schema) in types {
            let short = type_name.trim_start_matches("expel_");
            let relative = format!("{dir}/{short}.md");
            pages_expected.insert(relative.clone());
            let Some(page) = read(&docs.join(&relative)) else {
                problems.push(format!("{kind} {type_name} has no page docs/{relative}"));
                continue;
            };
            let block = &type_schema["block"];
            for name in top_level(block) {
                if !page.contains(&format!("`{name}`")) {
                    problems.push(format!("docs/{relative} does not document `{name}`"));
                }
            }
            let mut known = BTreeSet::new();
            all_names(block, &mut known);
            for name in documented(&page) {
                if !known.contains(&name) {
                    problems.push(format!(
                        "docs/{relative} documents `{name}`, which {type_name} does not have"
                    ));
                }
            }
            let examples = hcl_blocks(&page);
            if !examples.iter().any(|e| e.contains(&type_name)) {
                problems.push(format!("docs/{relative} has no example using {type_name}"));
            }
            if kind == "resource" && !page.contains("## Import") {
                problems.push(format!("docs/{relative} has no Import section"));
            }
        }
    }

    // Pages for types the provider lacks, and every example in the docs.
    for dir in ["resources", "data-sources", "guides"] {
        for entry in std::fs::read_dir(docs.join(dir))
            .into_iter()
            .flatten()
            .flatten()
        {
            let relative = format!("{dir}/{}", entry.file_name().to_string_lossy());
            if dir != "guides" && !pages_expected.contains(&relative) {
                problems.push(format!(
                    "docs/{relative} documents a type the provider lacks"
                ));
            }
            let page = read(&entry.path()).unwrap_or_default();
            for example in hcl_blocks(&page) {
                check_hcl(&format!("docs/{relative}"), &example, &mut problems);
            }
        }
    }
    for example in hcl_blocks(&index) {
        check_hcl("docs/index.md", &example, &mut problems);
    }

    // Every .tf file under examples/.
    let mut stack = vec![root().join("examples")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "tf") {
                let text = read(&path).unwrap_or_default();
                check_hcl(&path.display().to_string(), &text, &mut problems);
            }
        }
    }

    assert!(
        problems.is_empty(),
        "docs problems:\n- {}",
        problems.join("\n- ")
    );
}
