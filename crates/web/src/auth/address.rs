//! The caller's address, for the limits per address. Behind a reverse
//! proxy the address is read from `X-Forwarded-For`, but only when the
//! connection comes from a proxy the server was told to trust
//! (`--trusted-proxy`); otherwise the header is ignored, so a client cannot
//! choose its own address.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::state::AppState;

/// The client's address: the peer's, or, from a trusted proxy, the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientIp(pub Option<IpAddr>);

/// The client's address for `peer` and the `X-Forwarded-For` values.
pub fn client_ip(peer: Option<IpAddr>, forwarded: &[&str], trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let hops: Vec<IpAddr> = forwarded
        .iter()
        .flat_map(|v| v.split(','))
        .filter_map(|h| h.trim().parse().ok())
        .collect();
    Some(
        hops.into_iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .unwrap_or(peer),
    )
}

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientIp(client_ip(
            peer,
            &forwarded,
            state.oidc.trusted_proxies(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn forwarded_addresses_count_only_from_trusted_proxies() {
        let proxy = ip("10.1.1.1");
        let trusted = [proxy];
        // a client cannot choose its address by sending the header
        assert_eq!(
            client_ip(Some(ip("203.0.113.9")), &["1.2.3.4"], &trusted),
            Some(ip("203.0.113.9"))
        );
        // through the proxy: the nearest address the proxy did not add itself
        assert_eq!(
            client_ip(Some(proxy), &["1.2.3.4, 198.51.100.7"], &trusted),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(
            client_ip(Some(proxy), &["198.51.100.7, 10.1.1.1"], &trusted),
            Some(ip("198.51.100.7"))
        );
        assert_eq!(client_ip(Some(proxy), &["garbage"], &trusted), Some(proxy));
        assert_eq!(client_ip(None, &[], &trusted), None);
    }
}
