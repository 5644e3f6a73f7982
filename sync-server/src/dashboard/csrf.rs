//! Cross-site request forgery defences: every POST must come from the dashboard's own pages
//! (`Origin` the relay's own host, `Sec-Fetch-Site` same-origin where the browser sends them) and
//! carry the right token (the session's synchronizer token, or for sign-in and set-up the
//! pre-session double-submit cookie's), compared in constant time.

use axum::body::Body;
use axum::http::{HeaderMap, header};
use subtle::ConstantTimeEq;

use super::cookies;
use super::form::Form;
use super::respond::Failure;
use super::session::SignedIn;
use crate::Relay;

/// A signed-in page's posted form, read, and refused ([`Failure::Forbidden`]) unless it carries
/// the session's token: every POST of a signed-in page reads its form through this.
pub async fn session_form(
    relay: &Relay,
    signed_in: &SignedIn,
    headers: &HeaderMap,
    body: Body,
) -> Result<Form, Failure> {
    let form = Form::read(headers, body, relay.connection_limits.body_read_timeout).await?;
    if !tokens_match(form.get("csrf"), &signed_in.session.csrf_token) {
        return Err(Failure::Forbidden);
    }
    Ok(form)
}

/// The sign-in or set-up form, read, and refused ([`Failure::Forbidden`]) unless its token is the
/// pre-session cookie's (a double submit: there is no session yet).
pub async fn presession_form(relay: &Relay, headers: &HeaderMap, body: Body) -> Result<Form, Failure> {
    let form = Form::read(headers, body, relay.connection_limits.body_read_timeout).await?;
    let cookie = cookies::read(headers, cookies::PRESESSION);
    if !cookie.is_some_and(|cookie| tokens_match(form.get("csrf"), cookie)) {
        return Err(Failure::Forbidden);
    }
    Ok(form)
}

/// Whether `given` is the `expected` token (constant time in their contents; an empty expected
/// token matches nothing).
pub fn tokens_match(given: &str, expected: &str) -> bool {
    !expected.is_empty() && given.len() == expected.len() && bool::from(given.as_bytes().ct_eq(expected.as_bytes()))
}

/// Whether a POST's headers say it came from a page of this relay: `Sec-Fetch-Site`, when sent,
/// is `same-origin`; `Origin`, when sent, is `http(s)://` + the request's own `Host`, or `null`
/// with `Sec-Fetch-Site: same-origin` (a browser sends `Origin: null` from a page whose
/// `Referrer-Policy` is `no-referrer`, as the dashboard's are). A client that sends neither, not a
/// browser, still needs the token.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let same_origin_fetch = match headers.get("sec-fetch-site") {
        Some(site) if site.as_bytes() != b"same-origin" => return false,
        Some(_) => true,
        None => false,
    };
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    if origin.as_bytes() == b"null" {
        return same_origin_fetch;
    }
    let (Ok(origin), Some(host)) = (origin.to_str(), headers.get(header::HOST).and_then(|h| h.to_str().ok())) else {
        return false;
    };
    let authority = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://"));
    authority.is_some_and(|a| a.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn tokens_must_be_equal_and_non_empty() {
        assert!(tokens_match("abc123", "abc123"));
        assert!(!tokens_match("abc124", "abc123"));
        assert!(!tokens_match("abc12", "abc123"));
        assert!(!tokens_match("", ""));
    }

    #[test]
    fn only_the_relays_own_origin_may_post() {
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin(&headers(&[host])));
        assert!(same_origin(&headers(&[host, ("origin", "http://127.0.0.1:8080"), ("sec-fetch-site", "same-origin")])));
        assert!(same_origin(&headers(&[("host", "relay.example.org"), ("origin", "https://relay.example.org")])));
        assert!(!same_origin(&headers(&[host, ("origin", "http://evil.example")])));
        assert!(!same_origin(&headers(&[host, ("origin", "null")])));
        assert!(!same_origin(&headers(&[host, ("origin", "null"), ("sec-fetch-site", "cross-site")])));
        // What a browser sends from a dashboard page (`Referrer-Policy: no-referrer`).
        assert!(same_origin(&headers(&[host, ("origin", "null"), ("sec-fetch-site", "same-origin")])));
        assert!(!same_origin(&headers(&[host, ("origin", "http://127.0.0.1:8080.evil.example")])));
        assert!(!same_origin(&headers(&[("origin", "http://127.0.0.1:8080")])), "no Host to compare with");
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[host, ("sec-fetch-site", "same-site")])));
    }
}
