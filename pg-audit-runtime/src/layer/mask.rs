//! Masking of sensitive keys in logged request and response bodies: any object key equal to
//! one of the configured names (case-insensitively), at any depth of objects and arrays, has
//! its value replaced by `"********"` before the body leaves the process.

use serde_json::Value;

/// Masks the values of sensitive keys in JSON documents.
#[derive(Debug, Clone, Default)]
pub(crate) struct Masker {
    keys: Vec<String>,
}

impl Masker {
    /// A masker for these key names (compared case-insensitively).
    pub(crate) fn new<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        Masker {
            keys: keys
                .into_iter()
                .map(|key| key.as_ref().to_lowercase())
                .filter(|key| !key.is_empty())
                .collect(),
        }
    }

    /// Whether `key` is one of the sensitive names.
    pub(crate) fn is_sensitive(&self, key: &str) -> bool {
        if key.is_ascii() {
            self.keys.iter().any(|k| k.eq_ignore_ascii_case(key))
        } else {
            let lower = key.to_lowercase();
            self.keys.contains(&lower)
        }
    }

    /// Replaces, in place, the value of every sensitive key at any depth. NUL characters,
    /// which PostgreSQL's `jsonb` cannot store, are replaced by U+FFFD in strings and keys.
    pub(crate) fn mask(&self, value: &mut Value) {
        // An explicit stack: the depth of a document is bounded by the JSON parser
        // (128 levels), but this walk does not rely on it.
        let mut stack: Vec<&mut Value> = vec![value];
        while let Some(value) = stack.pop() {
            match value {
                Value::Object(map) => {
                    if map.keys().any(|k| k.contains('\0')) {
                        let entries = std::mem::take(map);
                        for (key, v) in entries {
                            map.insert(key.replace('\0', "\u{FFFD}"), v);
                        }
                    }
                    for (key, v) in map.iter_mut() {
                        if self.is_sensitive(key) {
                            *v = Value::String(crate::schema::trigger::MASK.into());
                        } else {
                            stack.push(v);
                        }
                    }
                }
                Value::Array(items) => stack.extend(items.iter_mut()),
                Value::String(text) if text.contains('\0') => {
                    *text = text.replace('\0', "\u{FFFD}");
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_at_any_depth_case_insensitively() {
        let masker = Masker::new(crate::settings::DEFAULT_SENSITIVE_FIELDS);
        let mut v =
            json!({"a": [{"b": {"Api_Key": "k", "ok": 1}}], "SSN": {"x": 1}, "ßpassword": 2});
        masker.mask(&mut v);
        assert_eq!(
            v,
            json!({"a": [{"b": {"Api_Key": "********", "ok": 1}}], "SSN": "********", "ßpassword": 2})
        );
    }

    #[test]
    fn replaces_nul_characters_jsonb_rejects() {
        let masker = Masker::new(["password"]);
        let mut v = json!({"a\u{0}": "x\u{0}y"});
        masker.mask(&mut v);
        assert_eq!(v, json!({"a\u{FFFD}": "x\u{FFFD}y"}));
    }
}
