//! The exchange node this server runs ([`node`]), the single writer of its
//! message log ([`writer`]) and the file keeping the log's latest signed
//! head outside the database ([`head`]).

pub mod head;
pub mod node;
pub mod writer;

/// `request` (signed) as reqwest posts it to its address: its headers and
/// its body as they were signed.
pub fn post_signed(
    http: &reqwest::Client,
    request: &exchange::HttpRequest,
) -> reqwest::RequestBuilder {
    let mut builder = http.post(&request.uri);
    for (name, value) in &request.headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    builder.body(request.body.clone())
}
