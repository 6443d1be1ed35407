//! The subset of HTTP structured fields (RFC 8941) that message signatures
//! use: dictionaries whose members are inner lists of strings or byte
//! sequences, with integer, string, token and boolean parameters.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// A bare item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BareItem {
    /// An integer.
    Integer(i64),
    /// A string (printable ASCII).
    String(String),
    /// A token.
    Token(String),
    /// A byte sequence.
    Bytes(Vec<u8>),
    /// A boolean.
    Boolean(bool),
}

/// Parameters, in order.
pub type Params = Vec<(String, BareItem)>;

/// A dictionary member's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// A single item with its parameters.
    Item(BareItem, Params),
    /// An inner list of items (each with parameters) and the list's parameters.
    InnerList(Vec<(BareItem, Params)>, Params),
}

/// A dictionary, in order (a later duplicate key replaces an earlier one).
pub type Dictionary = Vec<(String, Member)>;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn skip_sp(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }
    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at character {}", self.i + 1))
    }

    fn key(&mut self) -> Result<String, String> {
        let start = self.i;
        match self.peek() {
            Some(b'a'..=b'z' | b'*') => self.i += 1,
            _ => return self.err("expected a key"),
        }
        while matches!(
            self.peek(),
            Some(b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' | b'*')
        ) {
            self.i += 1;
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn bare_item(&mut self) -> Result<BareItem, String> {
        match self.peek() {
            Some(b'"') => self.string().map(BareItem::String),
            Some(b':') => self.bytes().map(BareItem::Bytes),
            Some(b'?') => {
                self.i += 1;
                match self.peek() {
                    Some(b'0') => {
                        self.i += 1;
                        Ok(BareItem::Boolean(false))
                    }
                    Some(b'1') => {
                        self.i += 1;
                        Ok(BareItem::Boolean(true))
                    }
                    _ => self.err("expected ?0 or ?1"),
                }
            }
            Some(b'-' | b'0'..=b'9') => self.integer().map(BareItem::Integer),
            Some(b'A'..=b'Z' | b'a'..=b'z' | b'*') => {
                let start = self.i;
                self.i += 1;
                while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~:/".contains(&b))
                {
                    self.i += 1;
                }
                Ok(BareItem::Token(
                    String::from_utf8_lossy(&self.s[start..self.i]).into_owned(),
                ))
            }
            _ => self.err("expected an item"),
        }
    }

    fn integer(&mut self) -> Result<i64, String> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        let digits = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        let n = self.i - digits;
        if n == 0 || n > 15 {
            return self.err("expected an integer of 1 to 15 digits");
        }
        if self.peek() == Some(b'.') {
            return self.err("decimals are not supported");
        }
        std::str::from_utf8(&self.s[start..self.i])
            .ok()
            .and_then(|t| t.parse().ok())
            .map_or_else(|| self.err("bad integer"), Ok)
    }

    fn string(&mut self) -> Result<String, String> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return self.err("unterminated string"),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => {
                            out.push(c as char);
                            self.i += 1;
                        }
                        _ => return self.err("bad escape in string"),
                    }
                }
                Some(c @ 0x20..=0x7e) => {
                    out.push(c as char);
                    self.i += 1;
                }
                Some(_) => return self.err("non-printable character in string"),
            }
        }
    }

    fn bytes(&mut self) -> Result<Vec<u8>, String> {
        self.i += 1; // opening colon
        let start = self.i;
        while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        {
            self.i += 1;
        }
        let end = self.i;
        if self.peek() != Some(b':') {
            return self.err("unterminated byte sequence");
        }
        self.i += 1;
        STANDARD
            .decode(&self.s[start..end])
            .or_else(|_| self.err("bad base64 in byte sequence"))
    }

    fn params(&mut self) -> Result<Params, String> {
        let mut out: Params = Vec::new();
        while self.peek() == Some(b';') {
            self.i += 1;
            self.skip_sp();
            let key = self.key()?;
            let value = if self.peek() == Some(b'=') {
                self.i += 1;
                self.bare_item()?
            } else {
                BareItem::Boolean(true)
            };
            if let Some(slot) = out.iter_mut().find(|(k, _)| *k == key) {
                slot.1 = value;
            } else {
                out.push((key, value));
            }
        }
        Ok(out)
    }

    fn member(&mut self) -> Result<Member, String> {
        if self.peek() == Some(b'(') {
            self.i += 1;
            let mut items = Vec::new();
            loop {
                self.skip_sp();
                if self.peek() == Some(b')') {
                    self.i += 1;
                    let params = self.params()?;
                    return Ok(Member::InnerList(items, params));
                }
                let item = self.bare_item()?;
                let params = self.params()?;
                items.push((item, params));
                match self.peek() {
                    Some(b' ' | b')') => {}
                    _ => return self.err("expected a space or ')' in inner list"),
                }
            }
        }
        let item = self.bare_item()?;
        let params = self.params()?;
        Ok(Member::Item(item, params))
    }
}

/// Parses a dictionary field value.
pub fn parse_dictionary(input: &str) -> Result<Dictionary, String> {
    let mut p = Parser {
        s: input.as_bytes(),
        i: 0,
    };
    let mut out: Dictionary = Vec::new();
    p.skip_sp();
    if p.peek().is_none() {
        return Ok(out);
    }
    loop {
        let key = p.key()?;
        let value = if p.peek() == Some(b'=') {
            p.i += 1;
            p.member()?
        } else {
            let params = p.params()?;
            Member::Item(BareItem::Boolean(true), params)
        };
        if let Some(slot) = out.iter_mut().find(|(k, _)| *k == key) {
            slot.1 = value;
        } else {
            out.push((key, value));
        }
        p.skip_ows();
        match p.peek() {
            None => return Ok(out),
            Some(b',') => {
                p.i += 1;
                p.skip_ows();
                if p.peek().is_none() {
                    return p.err("trailing comma");
                }
            }
            _ => return p.err("expected ',' between dictionary members"),
        }
    }
}

/// Serialises a string item; `None` if it holds a character a structured
/// field string cannot carry.
pub fn serialize_string(s: &str) -> Option<String> {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => return None,
        }
    }
    out.push('"');
    Some(out)
}

/// Serialises a byte sequence item.
pub fn serialize_bytes(b: &[u8]) -> String {
    format!(":{}:", STANDARD.encode(b))
}

/// Serialises a bare item; `None` if it cannot be serialised.
pub fn serialize_bare(item: &BareItem) -> Option<String> {
    Some(match item {
        BareItem::Integer(n) => n.to_string(),
        BareItem::String(s) => serialize_string(s)?,
        BareItem::Token(t) => t.clone(),
        BareItem::Bytes(b) => serialize_bytes(b),
        BareItem::Boolean(true) => "?1".into(),
        BareItem::Boolean(false) => "?0".into(),
    })
}

/// Serialises parameters.
pub fn serialize_params(params: &Params) -> Option<String> {
    let mut out = String::new();
    for (k, v) in params {
        out.push(';');
        out.push_str(k);
        if *v != BareItem::Boolean(true) {
            out.push('=');
            out.push_str(&serialize_bare(v)?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_signature_input_shape() {
        let d = parse_dictionary(
            r#"sig1=("@method" "content-digest";req);created=1618884473;keyid="k\"1";x, sig2=:AAE=:"#,
        )
        .unwrap();
        assert_eq!(d.len(), 2);
        let Member::InnerList(items, params) = &d[0].1 else {
            panic!("not an inner list")
        };
        assert_eq!(items[0].0, BareItem::String("@method".into()));
        assert_eq!(items[1].1, vec![("req".into(), BareItem::Boolean(true))]);
        assert_eq!(params[0], ("created".into(), BareItem::Integer(1618884473)));
        assert_eq!(params[1], ("keyid".into(), BareItem::String("k\"1".into())));
        assert_eq!(params[2], ("x".into(), BareItem::Boolean(true)));
        assert_eq!(d[1].1, Member::Item(BareItem::Bytes(vec![0, 1]), vec![]));
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            "sig1=(\"a\"",
            "sig1=\"unterminated",
            "Sig=1",
            "a=1,",
            "a=1 b=2",
            "a=:@@:",
            "a=1.5",
        ] {
            assert!(parse_dictionary(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn strings_round_trip() {
        let s = serialize_string(r#"a"b\c"#).unwrap();
        assert_eq!(s, r#""a\"b\\c""#);
        assert!(serialize_string("Nghị định").is_none());
    }
}
