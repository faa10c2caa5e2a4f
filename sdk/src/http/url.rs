//! The little URL handling an HTTP client needs: split an absolute http(s) URL into the scheme,
//! authority and path-with-query that `wasi:http` asks for, and resolve a redirect's `Location`.
//!
//! Hand-written rather than the `url` crate, whose IDNA tables would roughly double the size of a plugin
//! component. Hosts are passed through as written: the host's HTTP stack validates them.

use super::HttpError;
use super::encode::push_escaped;
use std::fmt;

/// The scheme of a URL the client can fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// The scheme as written in a URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Https => "https",
        }
    }
}

/// An absolute `http` or `https` URL, split as `wasi:http` wants it. The fragment is dropped: it is
/// never sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    scheme: Scheme,
    authority: String,
    path_and_query: String,
}

impl Url {
    /// Parses an absolute `http://` or `https://` URL.
    ///
    /// Characters that may not appear in a request target (spaces, quotes, non-ASCII…) are
    /// percent-encoded, as Python's `requests` does, so a URL that works with Chaos Toolkit works here.
    pub fn parse(text: &str) -> Result<Self, HttpError> {
        let text = text.trim();
        let invalid = |why: &str| HttpError::InvalidUrl(format!("`{text}`: {why}"));
        let Some((scheme, rest)) = split_scheme(text) else {
            return Err(invalid("no scheme; write http://… or https://…"));
        };
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return Err(invalid("only http and https URLs are supported")),
        };
        let rest = rest.split('#').next().unwrap_or_default();
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path_and_query) = rest.split_at(authority_end);
        check_authority(authority).map_err(|why| invalid(&why))?;
        Ok(Self {
            scheme,
            authority: authority.to_owned(),
            path_and_query: request_target(path_and_query),
        })
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    /// The `host[:port]` part.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The host, without the port (and without the brackets of an IPv6 address).
    pub fn host(&self) -> &str {
        let host = match self.authority.rfind(':') {
            Some(colon) if !self.authority[colon..].contains(']') => &self.authority[..colon],
            _ => &self.authority,
        };
        host.trim_start_matches('[').trim_end_matches(']')
    }

    /// The path and query, always starting with `/`.
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    /// `scheme://authority`: what the host's HTTP grants are written in.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme.as_str(), self.authority)
    }

    /// Appends an already encoded query string (see [`form_urlencode`](super::form_urlencode)) to the
    /// URL's query, after any query it already has.
    pub fn append_query(&mut self, encoded: &str) {
        if encoded.is_empty() {
            return;
        }
        let separator = match self.path_and_query.find('?') {
            None => '?',
            Some(at)
                if at + 1 == self.path_and_query.len() || self.path_and_query.ends_with('&') =>
            {
                self.path_and_query.push_str(encoded);
                return;
            }
            Some(_) => '&',
        };
        self.path_and_query.push(separator);
        self.path_and_query.push_str(encoded);
    }

    /// Resolves `reference` (a redirect's `Location`: absolute, scheme-relative, absolute-path or
    /// relative) against this URL, as RFC 3986 section 5.2 describes.
    pub fn join(&self, reference: &str) -> Result<Self, HttpError> {
        let reference = reference.trim();
        let reference = reference.split('#').next().unwrap_or_default();
        if split_scheme(reference).is_some() {
            return Self::parse(reference);
        }
        if let Some(rest) = reference.strip_prefix("//") {
            return Self::parse(&format!("{}://{rest}", self.scheme.as_str()));
        }
        let path = self.path_and_query.split('?').next().unwrap_or("/");
        let joined = if reference.is_empty() {
            self.path_and_query.clone()
        } else if reference.starts_with('/') {
            reference.to_owned()
        } else if reference.starts_with('?') {
            format!("{path}{reference}")
        } else {
            let directory = &path[..path.rfind('/').map_or(0, |slash| slash + 1)];
            format!("{directory}{reference}")
        };
        let (new_path, query) = match joined.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (joined.as_str(), None),
        };
        let mut path_and_query = remove_dot_segments(new_path);
        if let Some(query) = query {
            path_and_query.push('?');
            path_and_query.push_str(query);
        }
        Ok(Self {
            scheme: self.scheme,
            authority: self.authority.clone(),
            path_and_query: request_target(&path_and_query),
        })
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.origin(), self.path_and_query)
    }
}

/// Splits `scheme:` + `//rest` off `text` when it starts with a scheme (RFC 3986: a letter, then letters,
/// digits, `+`, `-` or `.`).
fn split_scheme(text: &str) -> Option<(&str, &str)> {
    let (scheme, rest) = text.split_once("://")?;
    let mut chars = scheme.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    valid.then_some((scheme, rest))
}

/// Checks `host[:port]`, saying what is wrong.
fn check_authority(authority: &str) -> Result<(), String> {
    if authority.contains('@') {
        return Err(
            "credentials in the URL are not supported; send an Authorization header".into(),
        );
    }
    let (host, port) = if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((address, after)) = bracketed.split_once(']') else {
            return Err("unclosed `[` in the IPv6 address".into());
        };
        if address.is_empty() {
            return Err("empty IPv6 address".into());
        }
        match after.strip_prefix(':') {
            Some(port) => (address, Some(port)),
            None if after.is_empty() => (address, None),
            None => return Err(format!("unexpected `{after}` after the IPv6 address")),
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err("no host".into());
    }
    if let Some(bad) = host
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`/".contains(*c))
    {
        return Err(format!("`{bad}` is not allowed in a host name"));
    }
    match port {
        Some(port)
            if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Err(format!("`{port}` is not a port number"))
        }
        Some(port) if port.parse::<u32>().is_ok_and(|n| n > 65535) => {
            Err(format!("port {port} is out of range (0 to 65535)"))
        }
        _ => Ok(()),
    }
}

/// Makes the request target (`/path?query`) from what follows the authority: adds the leading `/` and
/// percent-encodes bytes that may not appear in it, leaving existing `%XX` escapes alone.
fn request_target(path_and_query: &str) -> String {
    let mut out = String::with_capacity(path_and_query.len() + 1);
    if !path_and_query.starts_with('/') {
        out.push('/');
    }
    for &byte in path_and_query.as_bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => out.push(byte as char),
            // RFC 3986 unreserved, gen-delims and sub-delims, plus `%` for existing escapes.
            b'-' | b'.' | b'_' | b'~' | b':' | b'/' | b'?' | b'[' | b']' | b'@' | b'!' | b'$'
            | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=' | b'%' => {
                out.push(byte as char)
            }
            _ => push_escaped(&mut out, byte),
        }
    }
    out
}

/// Removes `.` and `..` segments from an absolute path (RFC 3986 section 5.2.4); `..` never climbs above
/// the root.
fn remove_dot_segments(path: &str) -> String {
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    for (index, part) in parts.iter().enumerate() {
        let last = index + 1 == parts.len();
        match *part {
            "." if last => segments.push(""),
            "." => {}
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            segment => segments.push(segment),
        }
    }
    format!("/{}", segments.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    fn invalid(text: &str) -> String {
        match Url::parse(text).unwrap_err() {
            HttpError::InvalidUrl(message) => message,
            other => panic!("expected InvalidUrl, got {other:?}"),
        }
    }

    #[test]
    fn parse_splits_scheme_authority_and_target() {
        let u = url("  HTTP://localhost:8080/a/b?x=1#frag");
        assert_eq!(u.scheme(), Scheme::Http);
        assert_eq!(u.authority(), "localhost:8080");
        assert_eq!(u.host(), "localhost");
        assert_eq!(u.path_and_query(), "/a/b?x=1");
        assert_eq!(u.origin(), "http://localhost:8080");
        assert_eq!(u.to_string(), "http://localhost:8080/a/b?x=1");
    }

    #[test]
    fn parse_adds_the_root_path() {
        assert_eq!(url("https://example.com").path_and_query(), "/");
        assert_eq!(url("https://example.com?q=1").path_and_query(), "/?q=1");
    }

    #[test]
    fn parse_handles_ipv6() {
        let u = url("http://[::1]:9/x");
        assert_eq!(u.authority(), "[::1]:9");
        assert_eq!(u.host(), "::1");
        assert_eq!(url("http://[::1]/").host(), "::1");
    }

    #[test]
    fn parse_encodes_what_may_not_appear_in_a_request_target() {
        assert_eq!(
            url("http://h/a b/é?q=\"x\"&r=%20").path_and_query(),
            "/a%20b/%C3%A9?q=%22x%22&r=%20"
        );
    }

    #[test]
    fn parse_rejects_what_it_cannot_fetch() {
        assert!(
            invalid("localhost:8080/x").contains("no scheme"),
            "{}",
            invalid("localhost:8080/x")
        );
        assert!(invalid("ftp://h/").contains("only http and https"));
        assert!(invalid("http:///x").contains("no host"));
        assert!(invalid("http://user:pw@h/").contains("credentials"));
        assert!(invalid("http://h:80x/").contains("not a port number"));
        assert!(invalid("http://h:99999/").contains("out of range"));
        assert!(invalid("http://[::1/").contains("unclosed"));
        assert!(invalid("http://a b/").contains("not allowed in a host name"));
    }

    #[test]
    fn append_query_adds_after_an_existing_query() {
        let mut u = url("http://h/p");
        u.append_query("a=1");
        assert_eq!(u.path_and_query(), "/p?a=1");
        u.append_query("b=2");
        assert_eq!(u.path_and_query(), "/p?a=1&b=2");
        u.append_query("");
        assert_eq!(u.path_and_query(), "/p?a=1&b=2");
        let mut v = url("http://h/p?");
        v.append_query("a=1");
        assert_eq!(v.path_and_query(), "/p?a=1");
    }

    #[test]
    fn join_resolves_references_like_rfc_3986() {
        let base = url("http://a/b/c/d;p?q");
        let cases = [
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g/"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../../../g", "http://a/g"),
            ("https://other:8443/x", "https://other:8443/x"),
        ];
        for (reference, expected) in cases {
            assert_eq!(
                base.join(reference).unwrap().to_string(),
                expected,
                "{reference}"
            );
        }
    }
}
