//! A small HTTP-agnostic request/response representation, so that the web
//! layer can adapt its own types (axum, reqwest) to and from it.

/// An HTTP request: method, absolute target URI, header fields in order, body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpRequest {
    /// The method, e.g. `POST`.
    pub method: String,
    /// The absolute target URI, e.g. `https://registry.example/person/get?x=1`.
    /// An origin-form target (`/person/get?x=1`) is accepted too; then
    /// `@authority` comes from the `host` header and `@target-uri` and
    /// `@scheme` cannot be covered.
    pub uri: String,
    /// Header fields in the order received; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// An HTTP response: status, header fields in order, body.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// The status code, e.g. 200.
    pub status: u16,
    /// Header fields in the order received; names compare case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// What the signature code needs from a message.
pub trait HttpMessage {
    /// The header fields and the body.
    fn content(&self) -> (&[(String, String)], &[u8]);
    /// The header fields, for adding signature headers.
    fn headers_mut(&mut self) -> &mut Vec<(String, String)>;
    /// The header fields.
    fn headers(&self) -> &[(String, String)] {
        self.content().0
    }
    /// The body.
    fn body(&self) -> &[u8] {
        self.content().1
    }
    /// The request method, for requests.
    fn method(&self) -> Option<&str> {
        None
    }
    /// The target URI, for requests.
    fn uri(&self) -> Option<&str> {
        None
    }
    /// The status code, for responses.
    fn status(&self) -> Option<u16> {
        None
    }

    /// All values of the named field, trimmed and joined by `", "` (the
    /// combined field value); `None` when the field is absent.
    fn header(&self, name: &str) -> Option<String> {
        let values: Vec<&str> = self
            .headers()
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
            .collect();
        if values.is_empty() {
            None
        } else {
            Some(values.join(", "))
        }
    }

    /// Replaces every value of the named field by `value`.
    fn set_header(&mut self, name: &str, value: String) {
        let headers = self.headers_mut();
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        headers.push((name.to_owned(), value));
    }
}

impl HttpMessage for HttpRequest {
    fn content(&self) -> (&[(String, String)], &[u8]) {
        (&self.headers, &self.body)
    }
    fn headers_mut(&mut self) -> &mut Vec<(String, String)> {
        &mut self.headers
    }
    fn method(&self) -> Option<&str> {
        Some(&self.method)
    }
    fn uri(&self) -> Option<&str> {
        Some(&self.uri)
    }
}

impl HttpMessage for HttpResponse {
    fn content(&self) -> (&[(String, String)], &[u8]) {
        (&self.headers, &self.body)
    }
    fn headers_mut(&mut self) -> &mut Vec<(String, String)> {
        &mut self.headers
    }
    fn status(&self) -> Option<u16> {
        Some(self.status)
    }
}

/// The parts of a target URI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct UriParts<'a> {
    pub scheme: Option<&'a str>,
    pub authority: Option<&'a str>,
    pub path: &'a str,
    pub query: Option<&'a str>,
}

/// Splits an absolute or origin-form URI; `None` if it is neither.
pub(crate) fn split_uri(uri: &str) -> Option<UriParts<'_>> {
    let uri = uri.split('#').next().unwrap_or(uri);
    let (scheme, authority, rest) = if let Some((scheme, rest)) = uri.split_once("://") {
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return None;
        }
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, rest) = rest.split_at(end);
        if authority.is_empty() {
            return None;
        }
        (Some(scheme), Some(authority), rest)
    } else if uri.starts_with('/') {
        (None, None, uri)
    } else {
        return None;
    };
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    Some(UriParts {
        scheme,
        authority,
        path,
        query,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_split() {
        let p = split_uri("https://Example.com:443/foo?a=1&b=2#frag").unwrap();
        assert_eq!(p.scheme, Some("https"));
        assert_eq!(p.authority, Some("Example.com:443"));
        assert_eq!(p.path, "/foo");
        assert_eq!(p.query, Some("a=1&b=2"));
        let p = split_uri("http://example.com").unwrap();
        assert_eq!(p.path, "");
        assert_eq!(p.query, None);
        let p = split_uri("/x?").unwrap();
        assert_eq!(p.authority, None);
        assert_eq!(p.query, Some(""));
        assert!(split_uri("example.com/x").is_none());
        assert!(split_uri("https:///x").is_none());
    }

    #[test]
    fn headers_combine() {
        let mut r = HttpResponse {
            status: 200,
            headers: vec![
                ("X-A".into(), " 1 ".into()),
                ("x-a".into(), "2".into()),
                ("x-b".into(), "3".into()),
            ],
            body: vec![],
        };
        assert_eq!(r.header("x-a").as_deref(), Some("1, 2"));
        assert_eq!(r.header("x-c"), None);
        r.set_header("x-a", "9".into());
        assert_eq!(r.header("X-A").as_deref(), Some("9"));
    }
}
