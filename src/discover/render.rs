//! Writes discovery's findings as `import {}` blocks. The HCL is built and formatted by
//! `hcl-rs`, never assembled from strings; each block's comment is set as the block's
//! decoration through `hcl-edit`, so no text a tenant holds (an app's display name, a list's
//! name) can ever break out of its comment or its string.

use hcl::edit::structure::Body as EditBody;
use hcl::edit::Decorate;
use hcl::expr::{Traversal, Variable};
use hcl::{Block, Body};

use super::Import;

/// Why rendering failed (an identifier hcl-rs refuses; never expected for discovered names).
#[derive(Debug, thiserror::Error)]
#[error("could not write the import blocks: {0}")]
pub struct RenderError(String);

/// The `import {}` blocks for `imports`, each preceded by its comment, with a header saying
/// where they came from.
pub fn import_blocks(imports: &[Import]) -> Result<String, RenderError> {
    let mut body = Body::builder();
    for import in imports {
        let to = Traversal::builder(
            Variable::new(import.resource_type).map_err(|e| RenderError(e.to_string()))?,
        )
        .attr(import.name.as_str())
        .build();
        body = body.add_block(
            Block::builder("import")
                .add_attribute(("to", to))
                .add_attribute(("id", import.id.as_str()))
                .build(),
        );
    }
    let formatted =
        hcl::format::to_string(&body.build()).map_err(|e| RenderError(e.to_string()))?;
    let mut edit: EditBody = formatted
        .parse()
        .map_err(|e: hcl::edit::parser::Error| RenderError(e.to_string()))?;
    for (index, import) in imports.iter().enumerate() {
        let Some(structure) = edit.get_mut(index) else {
            break;
        };
        let header = if index == 0 { HEADER } else { "\n" };
        structure
            .decor_mut()
            .set_prefix(format!("{header}# {}\n", comment_text(&import.comment)));
    }
    Ok(edit.to_string())
}

/// What the file says about itself.
const HEADER: &str = "# Written by `terraform-provider-expel discover`: import {} blocks for what the tenant\n# already holds. Run `terraform plan -generate-config-out=generated.tf`, review\n# generated.tf, then `terraform apply` imports everything and changes nothing.\n\n";

/// A comment's text on one line: control characters (newlines above all) become spaces.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(name: &str, id: &str, comment: &str) -> Import {
        Import {
            resource_type: "expel_role_assignment",
            name: name.to_owned(),
            id: id.to_owned(),
            comment: comment.to_owned(),
        }
    }

    #[test]
    fn blocks_parse_back_with_their_ids() {
        let text = import_blocks(&[
            import("a", "id-1", "User Administrator for Expel"),
            import(
                "b",
                "quote\" and ${interp}",
                "line one\nresource \"x\" \"y\" {}",
            ),
        ])
        .unwrap();
        let body: hcl::Body = hcl::from_str(&text).unwrap();
        let blocks: Vec<&hcl::Block> = body.blocks().collect();
        assert_eq!(blocks.len(), 2, "{text}");
        assert!(blocks.iter().all(|b| b.identifier() == "import"));
        let id = blocks[1]
            .body()
            .attributes()
            .find(|a| a.key() == "id")
            .unwrap();
        assert_eq!(
            id.expr(),
            &hcl::Expression::from("quote\" and ${interp}"),
            "{text}"
        );
        // The comment stayed one comment line: no block came out of it.
        assert!(
            text.contains("# line one resource \"x\" \"y\" {}\n"),
            "{text}"
        );
        assert!(
            text.contains(
                "# User Administrator for Expel\nimport {\n  to = expel_role_assignment.a\n"
            ),
            "{text}"
        );
    }

    #[test]
    fn nothing_found_is_just_nothing() {
        assert_eq!(import_blocks(&[]).unwrap(), "");
    }
}
