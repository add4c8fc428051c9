//! Masking of sensitive keys in logged request and response bodies.
//!
//! A key is compared after [`normalize`]: Unicode compatibility folding (NFKD: fullwidth
//! `ｐａｓｓｗｏｒｄ` becomes `password`), common Cyrillic and Greek look-alikes folded to
//! the Latin letters they imitate, lower case, and combining marks, separators (`_`, `-`,
//! `.`, spaces, dashes) and invisible characters (zero-width space, joiners, BOM, bidi
//! controls) removed. The key is sensitive when one of the configured words, normalized the
//! same way, is *part* of it — `access_token`, `client_secret`, `newPassword`, `X-API-Key`
//! are all caught by the default words — unless the whole normalized key is on the
//! allow-list. Its value, at any depth of objects and arrays, is replaced by `"********"`
//! before the body leaves the process.

use serde_json::Value;
use unicode_normalization::UnicodeNormalization;
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

/// Masks the values of sensitive keys in JSON documents.
#[derive(Debug, Clone, Default)]
pub(crate) struct Masker {
    /// The sensitive words, normalized, without duplicates or empty ones.
    words: Vec<String>,
    /// Keys never masked, normalized.
    allowed: Vec<String>,
}

impl Masker {
    /// A masker for these sensitive words, except the keys of `allowed`.
    pub(crate) fn new<I, S, A, T>(words: I, allowed: A) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
        A: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        let normalized = |items: Vec<String>| {
            let mut items: Vec<String> = items.into_iter().filter(|s| !s.is_empty()).collect();
            items.sort();
            items.dedup();
            items
        };
        Masker {
            words: normalized(words.into_iter().map(|w| normalize(w.as_ref())).collect()),
            allowed: normalized(allowed.into_iter().map(|w| normalize(w.as_ref())).collect()),
        }
    }

    /// Whether the value under `key` is masked.
    pub(crate) fn is_sensitive(&self, key: &str) -> bool {
        let key = normalize(key);
        self.words.iter().any(|word| key.contains(word.as_str()))
            && self.allowed.binary_search(&key).is_err()
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

/// The form in which keys and words are compared: compatibility-decomposed (NFKD),
/// look-alike Cyrillic and Greek letters folded to Latin, lower case, `ß` as `ss`, without
/// combining marks, separators, invisible characters or controls.
pub(crate) fn normalize(key: &str) -> String {
    if key.is_ascii() {
        // The common case, without the Unicode tables: ASCII has nothing to decompose.
        return key
            .bytes()
            .filter(|b| !(is_separator_byte(*b) || b.is_ascii_control()))
            .map(|b| char::from(b.to_ascii_lowercase()))
            .collect();
    }
    let mut out = String::with_capacity(key.len());
    for c in key.nfkd().map(latin_look_alike) {
        for lower in c.to_lowercase() {
            if lower == 'ß' {
                out.push_str("ss");
            } else if !is_ignored(lower) {
                out.push(lower);
            }
        }
    }
    out
}

fn is_separator_byte(b: u8) -> bool {
    matches!(
        b,
        b'_' | b'-' | b'.' | b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C
    )
}

/// Characters left out of a normalized key: separators, marks and what cannot be seen.
fn is_ignored(c: char) -> bool {
    c.is_whitespace()
        || c == '.'
        || c == '·'
        || matches!(
            c.general_category(),
            GeneralCategory::NonspacingMark
                | GeneralCategory::SpacingMark
                | GeneralCategory::EnclosingMark
                | GeneralCategory::ConnectorPunctuation
                | GeneralCategory::DashPunctuation
                | GeneralCategory::Format
                | GeneralCategory::Control
                | GeneralCategory::SpaceSeparator
                | GeneralCategory::LineSeparator
                | GeneralCategory::ParagraphSeparator
        )
        // Hangul fillers and the Braille blank render as nothing but are letters/symbols.
        || matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}')
}

/// The Latin letter a Cyrillic or Greek letter is commonly used to imitate, case kept (so
/// Greek `Ν` reads as `N` and `ν` as `v`); any other character as it is.
fn latin_look_alike(c: char) -> char {
    match c {
        // Cyrillic.
        'А' | 'а' => 'a',
        'В' => 'B',
        'в' => 'b',
        'С' | 'с' | 'Ϲ' | 'ϲ' => 'c',
        'Ԁ' | 'ԁ' => 'd',
        'Е' | 'е' | 'Ё' | 'ё' => 'e',
        'Һ' | 'һ' => 'h',
        'Н' => 'H',
        'І' | 'і' | 'Ї' | 'ї' | 'Ӏ' | 'ӏ' => 'i',
        'Ј' | 'ј' => 'j',
        'К' | 'к' => 'k',
        'М' | 'м' => 'm',
        'О' | 'о' => 'o',
        'Р' | 'р' => 'p',
        'Ԛ' | 'ԛ' => 'q',
        'Ѕ' | 'ѕ' => 's',
        'Т' | 'т' => 't',
        'Х' | 'х' => 'x',
        'У' | 'у' | 'Ү' | 'ү' => 'y',
        'Ԝ' | 'ԝ' => 'w',
        // Greek.
        'Α' | 'α' => 'a',
        'Β' | 'β' => 'b',
        'Ε' | 'ε' => 'e',
        'Ζ' => 'Z',
        'Η' => 'H',
        'η' => 'n',
        'Ι' | 'ι' => 'i',
        'Κ' | 'κ' => 'k',
        'Μ' => 'M',
        'Ν' => 'N',
        'ν' => 'v',
        'Ο' | 'ο' => 'o',
        'Ρ' | 'ρ' => 'p',
        'Τ' | 'τ' => 't',
        'Υ' | 'υ' => 'u',
        'Χ' | 'χ' => 'x',
        'ω' => 'w',
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn default_masker() -> Masker {
        Masker::new(crate::settings::DEFAULT_SENSITIVE_FIELDS, [""; 0])
    }

    #[test]
    fn masks_at_any_depth_case_insensitively() {
        let mut v = json!({"a": [{"b": {"Api_Key": "k", "ok": 1}}], "SSN": {"x": 1}, "name": 2});
        default_masker().mask(&mut v);
        assert_eq!(
            v,
            json!({"a": [{"b": {"Api_Key": "********", "ok": 1}}], "SSN": "********", "name": 2})
        );
    }

    #[test]
    fn separators_case_and_invisible_characters_are_removed() {
        assert_eq!(normalize("Api_Key"), "apikey");
        assert_eq!(normalize("x-api-key"), "xapikey");
        assert_eq!(normalize("client.secret"), "clientsecret");
        assert_eq!(normalize(" pass word\t"), "password");
        assert_eq!(normalize("pass\u{200B}word"), "password");
        assert_eq!(normalize("pass\u{2060}wo\u{FEFF}rd\u{200D}"), "password");
        assert_eq!(normalize("pass\u{00AD}word"), "password", "soft hyphen");
        assert_eq!(normalize("pass\u{202E}word"), "password", "bidi override");
        assert_eq!(normalize("pass\u{2014}word"), "password", "em dash");
        assert_eq!(
            normalize("pass\u{3000}word"),
            "password",
            "ideographic space"
        );
    }

    #[test]
    fn compatibility_forms_and_accents_fold_to_plain_letters() {
        assert_eq!(normalize("ｐａｓｓｗｏｒｄ"), "password", "fullwidth");
        assert_eq!(
            normalize("ＰＡＳＳＷＯＲＤ"),
            "password",
            "fullwidth capitals"
        );
        assert_eq!(normalize("pásswörd"), "password", "accents");
        assert_eq!(
            normalize("pa\u{0301}ssword"),
            "password",
            "a combining mark"
        );
        assert_eq!(normalize("𝐩𝐚𝐬𝐬𝐰𝐨𝐫𝐝"), "password", "mathematical bold");
        assert_eq!(normalize("ⓟⓐⓢⓢⓦⓞⓡⓓ"), "password", "circled letters");
        assert_eq!(normalize("ſecret"), "secret", "long s");
        assert_eq!(
            normalize("İD"),
            "id",
            "dotted capital I lowercases without its dot"
        );
        assert_eq!(normalize("Straße"), "strasse");
    }

    #[test]
    fn cyrillic_and_greek_look_alikes_fold_to_latin() {
        assert_eq!(normalize("p\u{0430}ssword"), "password", "Cyrillic а");
        assert_eq!(
            normalize("\u{0420}\u{0410}SSW\u{041E}RD"),
            "password",
            "Cyrillic Р А О"
        );
        assert_eq!(normalize("t\u{043E}k\u{0435}n"), "token", "Cyrillic о е");
        assert_eq!(
            normalize("\u{03A4}\u{039F}\u{039A}\u{0395}\u{039D}"),
            "token",
            "Greek ΤΟΚΕΝ"
        );
        assert_eq!(normalize("\u{0455}\u{0455}n"), "ssn", "Cyrillic ѕ");
    }

    #[test]
    fn a_sensitive_word_anywhere_in_the_key_masks_it() {
        let masker = default_masker();
        for key in [
            "password",
            "access_token",
            "refresh_token",
            "client_secret",
            "new_password",
            "newPassword",
            "passwd",
            "pwd",
            "api-key",
            "X-Api-Key",
            "bearer",
            "Cookie",
            "set-cookie",
            "Authorization",
            "ｐａｓｓｗｏｒｄ",
            "p\u{0430}ssword",
            "pass\u{200B}word",
            "password ",
            " PASSWORD",
            "user.password",
            "credit-card-number",
            "CVV2",
        ] {
            assert!(masker.is_sensitive(key), "{key:?} is masked");
        }
        for key in ["username", "email", "id", "total", "note", "", "\u{200B}"] {
            assert!(!masker.is_sensitive(key), "{key:?} is not masked");
        }
    }

    #[test]
    fn allowed_keys_are_compared_after_the_same_normalization() {
        let masker = Masker::new(
            crate::settings::DEFAULT_SENSITIVE_FIELDS,
            ["token_count", "access level"],
        );
        assert!(!masker.is_sensitive("token_count"));
        assert!(!masker.is_sensitive("TokenCount"));
        assert!(!masker.is_sensitive("ｔｏｋｅｎ-count"));
        assert!(!masker.is_sensitive("access_level"));
        assert!(
            masker.is_sensitive("token_count_secret"),
            "only the whole key is allowed"
        );
        assert!(masker.is_sensitive("token"));
        let mut v = json!({"token_count": 3, "access": {"password": "p", "accessLevel": 2}});
        masker.mask(&mut v);
        assert_eq!(
            v,
            json!({"token_count": 3, "access": "********"}),
            "an allowed key is not masked, a sensitive one is whatever it holds"
        );
        let mut nested = json!({"accessLevel": {"password": "p"}});
        masker.mask(&mut nested);
        assert_eq!(
            nested,
            json!({"accessLevel": {"password": "********"}}),
            "below an allowed key masking goes on"
        );
    }

    #[test]
    fn configured_words_are_normalized_too() {
        let masker = Masker::new(["Session-ID", "ＰＩＮ"], [""; 0]);
        assert!(masker.is_sensitive("session_id"));
        assert!(masker.is_sensitive("user.sessionId"));
        assert!(masker.is_sensitive("pin"));
        assert!(
            !masker.is_sensitive("password"),
            "only the configured words"
        );
        let empty = Masker::new([" ", "_", ""], [""; 0]);
        assert!(
            !empty.is_sensitive("anything"),
            "a word that normalizes to nothing matches nothing"
        );
    }

    #[test]
    fn replaces_nul_characters_jsonb_rejects() {
        let masker = Masker::new(["password"], [""; 0]);
        let mut v = json!({"a\u{0}": "x\u{0}y"});
        masker.mask(&mut v);
        assert_eq!(v, json!({"a\u{FFFD}": "x\u{FFFD}y"}));
    }
}
