//! The one access policy (`src/policy.rs`): every field, argument, filter and order of
//! the schema has an entry; the history, the filters and the counts show a reader only
//! what the table lets them read — on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod common;

use std::collections::BTreeSet;

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};

/// Every `Type.field`, `Type.field(argument)`, `Input.field` and `Order.VALUE` of the
/// schema, as the policy table spells them.
fn schema_paths() -> BTreeSet<String> {
    let document = parse_schema(zhaoshang::api::sdl()).expect("the SDL parses");
    let mut paths = BTreeSet::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(t) = definition else { continue };
        let name = t.node.name.node.to_string();
        match &t.node.kind {
            TypeKind::Object(object) => {
                for field in &object.fields {
                    let field_name = &field.node.name.node;
                    paths.insert(format!("{name}.{field_name}"));
                    for argument in &field.node.arguments {
                        paths.insert(format!("{name}.{field_name}({})", argument.node.name.node));
                    }
                }
            }
            TypeKind::Interface(interface) => {
                for field in &interface.fields {
                    paths.insert(format!("{name}.{}", field.node.name.node));
                }
            }
            TypeKind::InputObject(input) => {
                for field in &input.fields {
                    paths.insert(format!("{name}.{}", field.node.name.node));
                }
            }
            // Orders sort by a field: each value is judged like a filter.
            TypeKind::Enum(e) if name.ends_with("Order") => {
                for value in &e.values {
                    paths.insert(format!("{name}.{}", value.node.value.node));
                }
            }
            _ => {}
        }
    }
    paths
}

#[test]
fn every_field_argument_filter_and_order_of_the_schema_has_a_policy_entry() {
    let paths = schema_paths();
    assert!(paths.len() > 250, "the walk found the schema: {}", paths.len());
    let missing: Vec<_> = paths.iter().filter(|p| zhaoshang::policy::access(p).is_none()).collect();
    assert!(missing.is_empty(), "add these to policy::TABLE: {missing:#?}");
}

#[test]
fn the_policy_table_names_nothing_the_schema_lacks() {
    let paths = schema_paths();
    let stale: Vec<_> = zhaoshang::policy::TABLE.iter().map(|(p, _)| *p).filter(|p| !paths.contains(*p)).collect();
    assert!(stale.is_empty(), "entries for nothing in the schema: {stale:#?}");
}
