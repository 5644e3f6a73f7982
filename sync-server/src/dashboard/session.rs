//! Dashboard sessions: a random token in the `hv_session` cookie, only its SHA-256 stored, with
//! idle and absolute expiry ([`super::Settings`]); [`SignedIn`] is the extractor every signed-in
//! page and POST uses (no valid session: a GET is sent to sign in, a POST refused).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::cookies;
use super::respond::{Failure, blocking, internal, see_other};
use crate::Relay;
use crate::dashboard_store::{Account, Session};

/// 32 random bytes, hex: a session token, a CSRF token.
pub fn random_token() -> Result<String, Failure> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(internal)?;
    Ok(hex::encode(bytes))
}

/// What is stored of a session token.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Whether `token` looks like one of ours (64 lowercase hex): anything else is not looked up.
pub fn well_formed(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

pub fn now_ms() -> i64 {
    homevisit_model::Timestamp::now().millis()
}

/// A signed-in account with its live session.
pub struct SignedIn {
    pub account: Account,
    pub session: Session,
}

impl FromRequestParts<Arc<Relay>> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, relay: &Arc<Relay>) -> Result<Self, Response> {
        let token = cookies::read(&parts.headers, cookies::SESSION).filter(|t| well_formed(t)).map(token_hash);
        let found = match token {
            Some(hash) => {
                let relay = relay.clone();
                blocking(move || resume(&relay, &hash, now_ms())).await.map_err(IntoResponse::into_response)?
            }
            None => None,
        };
        match found {
            Some(signed_in) => Ok(signed_in),
            None if parts.method == Method::GET || parts.method == Method::HEAD => {
                let mut to_sign_in = see_other("/dashboard/sign-in");
                to_sign_in.headers_mut().insert(header::SET_COOKIE, cookies::clear(cookies::SESSION));
                Err(to_sign_in)
            }
            None => Err(Failure::Forbidden.into_response()),
        }
    }
}

/// The session under `hash` if it has not expired (an expired one is deleted), its idle expiry
/// moved on; with its account.
fn resume(relay: &Relay, hash: &[u8; 32], now: i64) -> Result<Option<SignedIn>, Failure> {
    let store = relay.dashboard();
    let Some(mut session) = store.session(hash).map_err(internal)? else { return Ok(None) };
    if now >= session.expires_ms || now >= session.absolute_expires_ms {
        store.delete_session(hash).map_err(internal)?;
        return Ok(None);
    }
    let Some(account) = store.account(session.account_id).map_err(internal)? else { return Ok(None) };
    let idle = relay.dashboard_settings().idle.as_millis() as i64;
    session.expires_ms = (now + idle).min(session.absolute_expires_ms);
    store.touch_session(hash, session.expires_ms).map_err(internal)?;
    Ok(Some(SignedIn { account, session }))
}

/// Starts a session for `account` and answers with its cookie and a redirect to the overview
/// (the pre-session cookie is cleared). A new token each time: no session fixation. Expired
/// sessions are deleted first.
pub async fn start(relay: &Arc<Relay>, account: &Account) -> Result<Response, Failure> {
    let (token, csrf_token) = (random_token()?, random_token()?);
    let settings = relay.dashboard_settings();
    let now = now_ms();
    let session = Session {
        token_hash: token_hash(&token),
        account_id: account.id,
        csrf_token,
        created_ms: now,
        expires_ms: now + settings.idle.as_millis() as i64,
        absolute_expires_ms: now + settings.absolute.as_millis() as i64,
    };
    let relay = relay.clone();
    blocking(move || {
        let store = relay.dashboard();
        // Sessions nobody presented again are forgotten here, at each sign-in.
        store.delete_expired_sessions(now).map_err(internal)?;
        store.create_session(&session).map_err(internal)
    })
    .await?;
    tracing::info!(account = %account.id, "dashboard: signed in");
    let mut response = see_other("/dashboard/overview");
    let headers = response.headers_mut();
    headers.append(header::SET_COOKIE, cookies::set(cookies::SESSION, &token, None));
    headers.append(header::SET_COOKIE, cookies::clear(cookies::PRESESSION));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_only_their_hash_is_kept() {
        let (a, b) = (random_token().unwrap(), random_token().unwrap());
        assert!(well_formed(&a) && well_formed(&b) && a != b);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_eq!(hex::encode(token_hash("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(!well_formed(&a.to_uppercase()) && !well_formed(&a[1..]) && !well_formed(&format!("{}g", &a[1..])));
    }
}
