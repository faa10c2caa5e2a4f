//! Regex tolerances were written for Python's `re.search`; this runs them on the `regex` crate.
//!
//! Two differences matter in practice and are bridged here:
//! - Python reads `{` as a literal unless it starts a repetition (`{"status": "ok"}` is a valid
//!   pattern), and accepts `{,n}`; the `regex` crate rejects both, so they are rewritten.
//! - Python's `$` also matches before a final newline, which every process's stdout ends with; see
//!   [`search`].
//!
//! What the `regex` crate cannot do at all (look-around, backreferences) is reported when the
//! pattern is compiled, naming the pattern.

use regex::Regex;

/// Compiles a Python pattern.
pub fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(&translate(pattern)).map_err(|e| match e {
        regex::Error::Syntax(detail) => detail
            .lines()
            .last()
            .unwrap_or_default()
            .trim_start_matches("error: ")
            .to_string(),
        other => other.to_string(),
    })
}

/// `re.search(pattern, text) is not None`. Python's `$` (outside multi-line mode) also matches just
/// before a trailing newline: when the text ends with one, searching it without that newline too
/// gives exactly Python's answer for patterns that use `$`.
pub fn search(regex: &Regex, pattern: &str, text: &str) -> bool {
    regex.is_match(text)
        || (uses_end_anchor(pattern)
            && text
                .strip_suffix('\n')
                .is_some_and(|trimmed| regex.is_match(trimmed)))
}

/// Whether the pattern has a `$` outside character classes (and no `\Z`, which must not match
/// before the newline).
fn uses_end_anchor(pattern: &str) -> bool {
    let (mut dollar, mut absolute_end, mut in_class) = (false, false, false);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => absolute_end |= chars.next() == Some('Z'),
            '[' if !in_class => in_class = true,
            ']' if in_class => in_class = false,
            '$' if !in_class => dollar = true,
            _ => {}
        }
    }
    dollar && !absolute_end
}

/// Rewrites Python-only syntax into the `regex` crate's: literal braces escaped, `{,n}` → `{0,n}`,
/// `\Z` → `\z`.
fn translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut in_class = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' => {
                match chars.get(i + 1) {
                    Some('Z') if !in_class => out.push_str("\\z"),
                    Some(&next) => {
                        out.push('\\');
                        out.push(next);
                    }
                    None => out.push('\\'),
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // A `]` right after `[` or `[^` is a literal in both dialects.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            // Python has no nested classes or set operations: these are literals there.
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '{' if !in_class => match repetition(&chars[i..]) {
                Some((min, max, len)) => {
                    out.push('{');
                    out.push_str(if min.is_empty() { "0" } else { &min });
                    if let Some(max) = max {
                        out.push(',');
                        out.push_str(&max);
                    }
                    out.push('}');
                    i += len;
                    continue;
                }
                None => out.push_str("\\{"),
            },
            '}' if !in_class => out.push_str("\\}"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// A Python repetition `{m}`, `{m,}`, `{,n}`, `{m,n}` at the start of `chars`: (min, max if a comma
/// was written, length). `{}` is not one (Python reads it literally).
fn repetition(chars: &[char]) -> Option<(String, Option<String>, usize)> {
    let digits = |from: usize| -> String {
        chars[from..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .collect()
    };
    let min = digits(1);
    let mut at = 1 + min.len();
    let max = if chars.get(at) == Some(&',') {
        let max = digits(at + 1);
        at += 1 + max.len();
        Some(max)
    } else {
        None
    };
    if chars.get(at) != Some(&'}') || (min.is_empty() && max.is_none()) {
        return None;
    }
    Some((min, max, at + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn py_search(pattern: &str, text: &str) -> bool {
        let regex = compile(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
        search(&regex, pattern, text)
    }

    #[test]
    fn searches_like_python() {
        // Each expectation is `re.search(pattern, text) is not None` in CPython 3.11.
        let cases = [
            ("[0-9]{2}", "you are number 87", true),
            ("[0-9]{2}", "you are number 8", false),
            ("ok$", "ok\n", true),
            ("^ok$", "ok\n", true),
            ("^ok$", "ok\n\n", false),
            ("ok\\Z", "ok\n", false),
            ("ok\\Z", "ok", true),
            (r#"{"a": 1}"#, r#"x{"a": 1}"#, true),
            ("a{,2}b", "aab", true),
            ("a{2,}b", "ab", false),
            ("x{}", "x{}", true),
            ("[{}]", "}", true),
            ("[]a]", "]", true),
            ("[^]a]", "b", true),
            ("\\{", "{", true),
            ("[[]", "[", true),
            ("[a&&b]", "&", true),
            ("(?i)OK", "ok", true),
            ("(?P<n>\\d+)", "42", true),
            ("a.c", "a\nc", false),
            ("\\d", "٣", true),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                py_search(pattern, text),
                expected,
                "{pattern:?} in {text:?}"
            );
        }
    }

    #[test]
    fn unsupported_syntax_names_the_reason() {
        let err = compile("(?<=a)b").unwrap_err();
        assert!(err.contains("look-around"), "{err}");
        let err = compile("[0-9").unwrap_err();
        assert!(err.contains("unclosed character class"), "{err}");
    }
}
