//! `Keyed`: rows by key that a write changes a few at a time — a base shared by every
//! copy and the rows changed since — so that a cache patched by the change feed costs its
//! changed rows, not a copy of the table. The read snapshot and the analytics' work rows
//! keep their rows this way.

use std::collections::HashMap;
use std::sync::Arc;

/// Rows by key: those of the last full build, shared by every copy since, and those
/// changed after it (`None`: deleted).
#[derive(Debug)]
pub struct Keyed<V> {
    base: Arc<HashMap<String, V>>,
    changed: HashMap<String, Option<V>>,
}

impl<V> Default for Keyed<V> {
    fn default() -> Keyed<V> {
        Keyed { base: Arc::new(HashMap::new()), changed: HashMap::new() }
    }
}

impl<V: Clone> Clone for Keyed<V> {
    fn clone(&self) -> Keyed<V> {
        Keyed { base: self.base.clone(), changed: self.changed.clone() }
    }
}

/// Equal when they hold the same rows, however split between base and changes.
impl<V: Clone + PartialEq> PartialEq for Keyed<V> {
    fn eq(&self, other: &Keyed<V>) -> bool {
        self.to_map() == other.to_map()
    }
}

impl<V: Clone> From<HashMap<String, V>> for Keyed<V> {
    fn from(rows: HashMap<String, V>) -> Keyed<V> {
        Keyed { base: Arc::new(rows), changed: HashMap::new() }
    }
}

impl<V: Clone> Keyed<V> {
    /// The row of `key`, if there is one.
    pub fn get(&self, key: &str) -> Option<&V> {
        match self.changed.get(key) {
            Some(row) => row.as_ref(),
            None => self.base.get(key),
        }
    }

    /// Every row, in no particular order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        let kept = self.base.iter().filter(|(key, _)| !self.changed.contains_key(*key)).map(|(_, row)| row);
        kept.chain(self.changed.values().flatten())
    }

    /// Every row by key.
    pub fn to_map(&self) -> HashMap<String, V> {
        let mut all: HashMap<String, V> = (*self.base).clone();
        for (key, row) in &self.changed {
            match row {
                Some(row) => all.insert(key.clone(), row.clone()),
                None => all.remove(key),
            };
        }
        all
    }

    /// How many rows there are: the base's, less those deleted, plus those added since
    /// (counted over the changed rows only).
    pub fn len(&self) -> usize {
        let (mut added, mut deleted) = (0, 0);
        for (key, row) in &self.changed {
            match (self.base.contains_key(key), row.is_some()) {
                (false, true) => added += 1,
                (true, false) => deleted += 1,
                _ => {}
            }
        }
        self.base.len() + added - deleted
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many rows changed since the base was made.
    pub fn changed_len(&self) -> usize {
        self.changed.len()
    }

    /// These rows with `rows` replacing theirs (keys absent from `rows` unchanged); with
    /// `fold`, every changed row goes into a new base (a copy of the table, in memory),
    /// which bounds what each later copy carries.
    pub fn with(&self, rows: HashMap<String, Option<V>>, fold: bool) -> Keyed<V> {
        let mut changed = self.changed.clone();
        changed.extend(rows);
        let patched = Keyed { base: self.base.clone(), changed };
        if fold { Keyed::from(patched.to_map()) } else { patched }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_rows_hide_the_base_and_a_fold_keeps_every_row() {
        let base: HashMap<String, i32> = [("a", 1), ("b", 2), ("c", 3)].map(|(k, v)| (k.to_string(), v)).into();
        let keyed = Keyed::from(base);
        let changes = |rows: &[(&str, Option<i32>)]| rows.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        let patched = keyed.with(changes(&[("a", Some(10)), ("b", None), ("d", Some(4))]), false);
        assert_eq!(
            (patched.get("a"), patched.get("b"), patched.get("c"), patched.get("d")),
            (Some(&10), None, Some(&3), Some(&4))
        );
        assert_eq!(keyed.get("a"), Some(&1), "the copy it was made from is unchanged");
        let mut values: Vec<i32> = patched.values().copied().collect();
        values.sort();
        assert_eq!(values, [3, 4, 10]);
        assert_eq!(patched.changed_len(), 3);
        assert_eq!((keyed.len(), patched.len()), (3, 3), "one deleted, one added");
        let deleted_twice = patched.with(changes(&[("b", None), ("e", None), ("a", None)]), false);
        assert_eq!(deleted_twice.len(), 2, "a deleted row, or a missing one deleted, counts once");
        let folded = patched.with(changes(&[("c", None)]), true);
        assert_eq!(folded.changed_len(), 0);
        assert_eq!(folded.to_map(), [("a", 10), ("d", 4)].map(|(k, v)| (k.to_string(), v)).into());
        assert!(folded == patched.with(changes(&[("c", None)]), false), "equal rows, however split");
    }
}
