//! Percent-encoding for query strings and form bodies.
//!
//! Hand-written rather than taken from a crate because it is a dozen lines and every dependency adds to
//! the size of each plugin component.

/// Percent-encodes `text` for use inside a URL component: every byte except the RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`.
pub fn percent_encode(text: &str) -> String {
    encode(text, false)
}

/// Encodes `pairs` as `application/x-www-form-urlencoded` (`k=v&k2=v2`), the format of both HTML form
/// bodies and query strings. Spaces become `+`, as Python's `urlencode` (and so Chaos Toolkit) writes them.
pub fn form_urlencode<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> String
where
    K: AsRef<str>,
    V: AsRef<str>,
{
    pairs
        .into_iter()
        .map(|(key, value)| {
            format!(
                "{}={}",
                encode(key.as_ref(), true),
                encode(value.as_ref(), true)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str, space_as_plus: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for &byte in text.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(byte as char)
            }
            b' ' if space_as_plus => out.push('+'),
            _ => push_escaped(&mut out, byte),
        }
    }
    out
}

/// Appends `%XX` for `byte`, upper-case as RFC 3986 recommends.
pub(crate) fn push_escaped(out: &mut String, byte: u8) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.push('%');
    out.push(HEX[usize::from(byte >> 4)] as char);
    out.push(HEX[usize::from(byte & 0xf)] as char);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encode_keeps_unreserved_only() {
        assert_eq!(percent_encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(percent_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
    }

    #[test]
    fn form_urlencode_matches_python_urlencode() {
        assert_eq!(
            form_urlencode([("q", "chaos engineering"), ("a&b", "1=2")]),
            "q=chaos+engineering&a%26b=1%3D2"
        );
        assert_eq!(form_urlencode(Vec::<(&str, &str)>::new()), "");
    }
}
