//! A small memo for pure functions of a label: forms repeat, and a batch table maps the same
//! column headers once per row, so the same label is looked up again and again. A leaf module.

use std::collections::HashMap;
use std::sync::Mutex;

/// Entries kept before the memo is emptied and starts again (bounded memory on hostile input).
const CAPACITY: usize = 20_000;

/// Remembers `label → value` for a pure function of a label. Shared across threads; clones
/// start empty. Keys are hashed with foldhash (fast, and the memo is bounded, so a crafted
/// collision costs at most a slower lookup).
pub struct Memo<V>(Mutex<HashMap<String, V, foldhash::fast::RandomState>>);

impl<V: Clone> Memo<V> {
    pub fn new() -> Self {
        Memo(Mutex::new(HashMap::default()))
    }

    /// The value for `key`, computing it with `f` the first time.
    pub fn get_or(&self, key: &str, f: impl FnOnce() -> V) -> V {
        if let Ok(map) = self.0.lock()
            && let Some(v) = map.get(key)
        {
            return v.clone();
        }
        let v = f();
        if let Ok(mut map) = self.0.lock() {
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(key.to_owned(), v.clone());
        }
        v
    }
}

impl<V: Clone> Default for Memo<V> {
    fn default() -> Self {
        Memo::new()
    }
}

impl<V: Clone> Clone for Memo<V> {
    fn clone(&self) -> Self {
        Memo::new()
    }
}

impl<V> std::fmt::Debug for Memo<V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Memo")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembers_and_stays_bounded() {
        let m: Memo<usize> = Memo::new();
        let mut calls = 0;
        for _ in 0..3 {
            assert_eq!(
                m.get_or("abc", || {
                    calls += 1;
                    3
                }),
                3
            );
        }
        assert_eq!(calls, 1);
        for i in 0..(CAPACITY + 10) {
            m.get_or(&i.to_string(), || i);
        }
        assert!(m.0.lock().map(|g| g.len()).unwrap_or(0) <= CAPACITY);
    }
}
