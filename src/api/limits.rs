//! The limits a request is held to beyond async-graphql's own: the depth of the data a
//! query asks for (introspection left out, so the standard introspection query of
//! GraphiQL and other tools passes), how much a list costs in complexity (its page size
//! times its children), and how large a response may grow ([`ResponseBudget`]).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{ServerError, ServerResult, Value};

/// Deepest any selection may go, introspection included: the standard introspection
/// query of graphql-js is 13 deep; the schema refuses anything beyond this.
pub const MAX_DEPTH_WITH_INTROSPECTION: usize = 20;

/// The largest response body (serialized `data`) a request may produce.
pub const MAX_RESPONSE_BYTES: usize = 32 << 20;

/// The memory budget of a request: the size its response has reached, counted while the
/// fields resolve, so a request that would outgrow `max_bytes` stops resolving there
/// (every later field fails at once) instead of building the whole answer first. The
/// complexity limit already bounds a query's items; this bounds their bytes (long
/// texts, wide analytics results) too.
pub struct ResponseBudget {
    /// The most a response may hold, as serialized JSON (about).
    pub max_bytes: usize,
}

/// The message of a request that outgrew its budget; [`super::execute`] answers with it
/// alone.
pub fn over_budget_message(max_bytes: usize) -> String {
    format!("the response would be larger than {} MB: ask for fewer items or fields", (max_bytes >> 20).max(1))
}

impl ExtensionFactory for ResponseBudget {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(Spent { max_bytes: self.max_bytes, bytes: AtomicUsize::new(0) })
    }
}

/// One request's spending.
struct Spent {
    max_bytes: usize,
    bytes: AtomicUsize,
}

#[async_graphql::async_trait::async_trait]
impl Extension for Spent {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if self.bytes.load(Ordering::Relaxed) > self.max_bytes {
            return Err(ServerError::new(over_budget_message(self.max_bytes), None));
        }
        let leaf = info.field.selection_set.node.items.is_empty();
        let name = info.alias.unwrap_or(info.name).len();
        let value = next.run(ctx, info).await?;
        if let Some(v) = &value {
            self.bytes.fetch_add(name + 4 + json_bytes(v, leaf), Ordering::Relaxed);
        }
        Ok(value)
    }
}

/// About how many bytes `value` adds to the response's JSON. Of a field with a
/// selection (`leaf` false) only the lists' and objects' own punctuation counts: its
/// fields are counted as they resolve.
pub fn json_bytes(value: &Value, leaf: bool) -> usize {
    match value {
        Value::Null => 4,
        Value::Number(_) => 8,
        Value::Boolean(_) => 5,
        Value::String(s) => s.len() + 2,
        Value::Enum(e) => e.len() + 2,
        Value::Binary(b) => b.len() * 4 / 3 + 2,
        Value::List(items) => 2 + items.iter().map(|v| json_bytes(v, leaf) + 1).sum::<usize>(),
        Value::Object(fields) if leaf => {
            2 + fields.iter().map(|(k, v)| k.len() + 4 + json_bytes(v, true)).sum::<usize>()
        }
        Value::Object(_) => 2,
    }
}

/// At least as many bytes as `value` takes as JSON, counted without serializing it: a
/// number takes at most 24, a character at most 6 (`\u001f`), a key as much as a string.
pub fn json_bytes_at_most(value: &Value) -> usize {
    let text = |s: &str| 2 + 6 * s.len();
    match value {
        Value::Null | Value::Boolean(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => text(s),
        Value::Enum(e) => text(e),
        Value::Binary(b) => b.len() * 4 / 3 + 4,
        Value::List(items) => 2 + items.iter().map(|v| json_bytes_at_most(v) + 1).sum::<usize>(),
        Value::Object(fields) => 2 + fields.iter().map(|(k, v)| text(k) + 1 + json_bytes_at_most(v) + 1).sum::<usize>(),
    }
}

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

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn a_leaf_counts_whole_and_a_selection_only_its_punctuation() {
        let row = Value::from_json(serde_json::json!({ "name": "陶瓷", "n": 1 })).unwrap_or_default();
        let list = Value::List(vec![row.clone(), row.clone()]);
        // {"name":"陶瓷","n":1}: 2 + (4+4+8) + (1+4+8) by the estimate: 31; the list: 2 + 2 × 32.
        assert_eq!(json_bytes(&row, true), 31);
        assert_eq!(json_bytes(&list, true), 66);
        // As the value of a field with a selection, its fields were counted as they resolved.
        assert_eq!(json_bytes(&list, false), 2 + 2 * 3);
        assert_eq!(json_bytes(&Value::String("x".repeat(1000)), true), 1002);
    }

    #[test]
    fn the_bound_without_serializing_is_never_below_the_serialized_size() {
        let values = [
            serde_json::json!(null),
            serde_json::json!(-9_223_372_036_854_775_807i64),
            serde_json::json!(-1.234_567_890_123_456_7e-300),
            serde_json::json!("\u{1}\u{1f}\"\\\n陶瓷🙂"),
            serde_json::json!({ "\u{1}\"": [true, false, null, 18_446_744_073_709_551_615u64, "", {}] }),
            serde_json::json!([[[[]]], { "a": { "b": { "c": -0.0 } } }]),
        ];
        for json in values {
            let value = Value::from_json(json.clone()).unwrap_or_default();
            let exact = serde_json::to_vec(&value).unwrap_or_default().len();
            assert!(exact > 0, "{json}");
            assert!(json_bytes_at_most(&value) >= exact, "{json}: {} < {exact}", json_bytes_at_most(&value));
        }
    }
}
