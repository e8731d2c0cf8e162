//! The limits a request is held to beyond async-graphql's own: the depth of the data a
//! query asks for (introspection left out, so the standard introspection query of
//! GraphiQL and other tools passes), how much a list costs in complexity (its page size
//! times its children), and how large a response may grow.

use std::collections::HashSet;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet};

/// Deepest any selection may go, introspection included: the standard introspection
/// query of graphql-js is 13 deep; the schema refuses anything beyond this.
pub const MAX_DEPTH_WITH_INTROSPECTION: usize = 20;

/// The largest response body (serialized `data`) a request may produce.
pub const MAX_RESPONSE_BYTES: usize = 32 << 20;

/// How many items a list without a page size is counted as in a query's complexity.
pub mod estimate {
    /// Units, industries, scorecards: a district has a few dozen.
    pub const UNITS: usize = 30;
    /// A project's history entries.
    pub const HISTORY: usize = 30;
    /// A project's progress months when `last` is not given.
    pub const PROGRESS: usize = 36;
    /// A project's issues, a unit's targets.
    pub const SMALL: usize = 10;
    /// Projects of a cohort or funnel, alerts, trend points.
    pub const LARGE: usize = 200;
}

/// The complexity of a list of `n` items (at most `max`) each costing `child`.
pub fn list_cost(n: Option<i64>, default: usize, max: usize, child: usize) -> usize {
    let n = n.map_or(default, |n| usize::try_from(n).unwrap_or(0).min(max));
    n.max(1).saturating_mul(child).saturating_add(1)
}

/// How deep the data part of `document` goes: fields of `__schema` and `__type` (and
/// below) do not count, fragments count as their fields.
pub fn data_depth(document: &ExecutableDocument) -> usize {
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(op) => vec![&op.node.selection_set.node],
        DocumentOperations::Multiple(ops) => ops.values().map(|op| &op.node.selection_set.node).collect(),
    };
    let mut on_path = HashSet::new();
    operations.into_iter().map(|set| depth(document, set, &mut on_path)).max().unwrap_or(0)
}

fn depth<'a>(document: &'a ExecutableDocument, set: &'a SelectionSet, on_path: &mut HashSet<&'a str>) -> usize {
    set.items
        .iter()
        .map(|item| match &item.node {
            Selection::Field(field) => {
                let name = field.node.name.node.as_str();
                if name == "__schema" || name == "__type" {
                    0
                } else {
                    1 + depth(document, &field.node.selection_set.node, on_path)
                }
            }
            Selection::InlineFragment(fragment) => depth(document, &fragment.node.selection_set.node, on_path),
            Selection::FragmentSpread(spread) => {
                let name = spread.node.fragment_name.node.as_str();
                // A cycle is a validation error reported by the schema: count it as 0 here.
                match document.fragments.get(&spread.node.fragment_name.node) {
                    Some(fragment) if on_path.insert(name) => {
                        let d = depth(document, &fragment.node.selection_set.node, on_path);
                        on_path.remove(name);
                        d
                    }
                    _ => 0,
                }
            }
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(query: &str) -> usize {
        data_depth(&async_graphql::parser::parse_query(query).expect("parses"))
    }

    #[test]
    fn introspection_does_not_count_toward_the_data_depth() {
        assert_eq!(of("{ a { b { c } } }"), 3);
        assert_eq!(of("{ __schema { types { fields { type { ofType { name } } } } } a }"), 1);
        assert_eq!(of("query { ...F } fragment F on Query { a { b } }"), 2);
        assert_eq!(of("query { ...F } fragment F on Query { a { ...F } }"), 1, "a cycle stops");
    }

    #[test]
    fn a_list_costs_its_page_times_its_children() {
        assert_eq!(list_cost(Some(500), 50, 500, 3), 1501);
        assert_eq!(list_cost(None, 50, 500, 3), 151);
        assert_eq!(list_cost(Some(1_000_000), 50, 500, 1), 501);
        assert_eq!(list_cost(Some(-5), 50, 500, 7), 8);
    }
}
