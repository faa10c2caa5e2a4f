//! Printing text chaosrt did not write: plugin metadata, log lines, errors, outputs.
//!
//! A terminal obeys control characters: `\r` and ANSI sequences can erase a line of the consent prompt
//! and draw a harmless one over it, `\n` can start a log line that reads as chaosrt's own, and Unicode
//! bidirectional overrides can reorder what a person reads. Every string that may come from a plugin
//! goes through [`escape`] before it reaches a terminal or a log file, so it is shown, never obeyed.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` would be obeyed by a terminal or a reader rather than shown: C0 and C1 control
/// characters, DEL, and the invisible format characters that reorder or hide text.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'   // zero-width spaces and joiners, LRM, RLM
            | '\u{2028}' | '\u{2029}' // line and paragraph separators
            | '\u{202A}'..='\u{202E}' // bidirectional embeddings and overrides
            | '\u{2060}'..='\u{2064}' // word joiner and invisible operators
            | '\u{2066}'..='\u{2069}' // bidirectional isolates
            | '\u{FEFF}'              // zero-width no-break space
        )
}

/// `text` with every unsafe character written as an escape (`\n`, `\r`, `\t`, `\x1b`, `\u{202e}`);
/// borrowed when there is nothing to escape, which is the usual case.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_unsafe(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:04x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `text` cut to at most `max` bytes (at a character boundary), with a note of how much was cut:
/// plugin text is bounded before it is stored or shown, so a plugin cannot flood a log or a journal.
pub fn clip(text: &str, max: usize) -> Cow<'_, str> {
    if text.len() <= max {
        return Cow::Borrowed(text);
    }
    let end = text.floor_char_boundary(max);
    Cow::Owned(with_cut(text[..end].to_string(), (text.len() - end) as u64))
}

/// `kept` with the note [`clip`] adds when `cut` more bytes were dropped (none when nothing was).
pub fn with_cut(mut kept: String, cut: u64) -> String {
    if cut > 0 {
        let _ = write!(kept, "… ({cut} more bytes cut)");
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_at_a_character_boundary_and_says_how_much() {
        assert_eq!(clip("short", 5), "short");
        assert_eq!(clip("abcdef", 3), "abc… (3 more bytes cut)");
        // `é` is two bytes: a cut inside it keeps the character whole or drops it, never splits it.
        assert_eq!(clip("aé", 2), "a… (2 more bytes cut)");
    }

    #[test]
    fn control_and_format_characters_are_shown_not_obeyed() {
        let cases = [
            (
                "plain text, unicode: é ü 日本",
                "plain text, unicode: é ü 日本",
            ),
            ("a\nb\r\tc", "a\\nb\\r\\tc"),
            ("\x1b[2K\x1b[1A", "\\x1b[2K\\x1b[1A"),
            ("\x7f\x00", "\\x7f\\x00"),
            ("\u{9b}31m", "\\u{009b}31m"),
            ("abc\u{202e}gpj.exe", "abc\\u{202e}gpj.exe"),
            ("x\u{2028}y\u{feff}", "x\\u{2028}y\\u{feff}"),
        ];
        for (input, shown) in cases {
            assert_eq!(escape(input), shown, "{input:?}");
        }
        assert!(matches!(escape("nothing to do"), Cow::Borrowed(_)));
    }
}
