//! Rate limits by client address: log-in attempts per minute per address,
//! on top of each account's own lock-out, so that one address cannot try
//! one password on many accounts. Behind a reverse proxy the address is
//! read from `X-Forwarded-For`, but only when the connection comes from a
//! proxy the server was told to trust (`--trusted-proxy`); otherwise the
//! header is ignored, so a client cannot choose its own address.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::AppState;

/// Log-in attempts allowed per address and minute (a commune's service
/// centre behind one address stays well under it).
pub const LOGIN_ATTEMPTS_PER_MINUTE: u32 = 60;

/// A fixed-window counter per address.
#[derive(Debug)]
pub struct Limiter {
    max: u32,
    window: Duration,
    counts: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl Limiter {
    /// At most `max` hits per `window` for each address.
    pub fn new(max: u32, window: Duration) -> Self {
        Limiter {
            max,
            window,
            counts: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a hit from `ip` at `now`; `Err` says how long to wait.
    pub fn hit(&self, ip: IpAddr, now: Instant) -> Result<(), Duration> {
        let Ok(mut counts) = self.counts.lock() else {
            // a poisoned lock: let the request through (the per-account
            // lock-out still holds) rather than refuse everyone
            return Ok(());
        };
        if counts.len() > 100_000 {
            counts.retain(|_, (since, _)| now.saturating_duration_since(*since) < self.window);
        }
        let entry = counts.entry(ip).or_insert((now, 0));
        if now.saturating_duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        if entry.1 >= self.max {
            return Err(self
                .window
                .saturating_sub(now.saturating_duration_since(entry.0)));
        }
        entry.1 += 1;
        Ok(())
    }
}

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
    fn each_address_has_its_own_window() {
        let limiter = Limiter::new(3, Duration::from_secs(60));
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.hit(ip("10.0.0.1"), t0), Ok(()));
        }
        let wait = limiter.hit(ip("10.0.0.1"), t0 + Duration::from_secs(20));
        assert_eq!(wait, Err(Duration::from_secs(40)));
        assert_eq!(limiter.hit(ip("10.0.0.2"), t0), Ok(()), "another address");
        assert_eq!(
            limiter.hit(ip("10.0.0.1"), t0 + Duration::from_secs(60)),
            Ok(()),
            "a new window"
        );
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
