//! Signing in (with lock-out after repeated failures), setting up an account from a coordinator's
//! or district administrator's invite, and signing out. The sign-in and set-up forms carry a
//! pre-session double-submit token (`hv_presession`); argon2 runs on blocking threads, at most
//! [`HASHING_AT_ONCE`] at a time. Logs carry account ids, never usernames.

use std::sync::Arc;

use axum::Extension;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use tokio::sync::Semaphore;

use super::i18n::{K, Lang};
use super::respond::{Failure, audit, blocking, internal, see_other};
use super::session::{self, SignedIn, now_ms, random_token, well_formed};
use super::{cookies, csrf, layout};
use crate::Relay;
use crate::audit::AuditEvent;
use crate::dashboard_password::{MAX_PASSWORD_CHARS, PasswordError, decoy_hash, hash_password, verify_password};
use crate::dashboard_store::{Account, DashboardStoreError, MAX_USERNAME_CHARS};

/// Password hashes computed at once (each takes 19 MiB and a CPU for a moment): more sign-ins
/// wait their turn instead of exhausting the relay.
pub const HASHING_AT_ONCE: usize = 2;
static HASHING: Semaphore = Semaphore::const_new(HASHING_AT_ONCE);

/// Runs an argon2 job on a blocking thread, in turn.
async fn hashing<T: Send + 'static>(job: impl FnOnce() -> Result<T, Failure> + Send + 'static) -> Result<T, Failure> {
    let _turn = HASHING.acquire().await.map_err(internal)?;
    blocking(job).await
}

/// The request's pre-session token, or a new one (then it is set as a cookie with the form).
fn presession(headers: &HeaderMap) -> Result<(String, bool), Failure> {
    match cookies::read(headers, cookies::PRESESSION).filter(|t| well_formed(t)) {
        Some(token) => Ok((token.to_string(), false)),
        None => Ok((random_token()?, true)),
    }
}

/// A sign-in or set-up page (`status`, an optional message), setting the pre-session cookie if new.
fn form_page(
    status: StatusCode,
    headers: &HeaderMap,
    render: impl FnOnce(&str) -> Markup,
) -> Result<Response, Failure> {
    let (token, new) = presession(headers)?;
    let mut response = (status, render(&token)).into_response();
    if new {
        response.headers_mut().append(header::SET_COOKIE, cookies::set(cookies::PRESESSION, &token, None));
    }
    Ok(response)
}

pub async fn sign_in_form(Extension(lang): Extension<Lang>, headers: HeaderMap) -> Result<Response, Failure> {
    form_page(StatusCode::OK, &headers, |csrf| sign_in_page(lang, csrf, "", &[]))
}

fn sign_in_page(lang: Lang, csrf: &str, username: &str, messages: &[K]) -> Markup {
    let body = html! {
        (messages_box(lang, messages))
        form method="post" action="/dashboard/sign-in" class="stack" {
            input type="hidden" name="csrf" value=(csrf);
            label for="username" { (lang.t(K::Username)) }
            input id="username" name="username" type="text" autocomplete="username" required
                maxlength=(MAX_USERNAME_CHARS) value=(username);
            label for="password" { (lang.t(K::Password)) }
            input id="password" name="password" type="password" autocomplete="current-password" required
                maxlength=(MAX_PASSWORD_CHARS);
            button type="submit" { (lang.t(K::SignInButton)) }
        }
        p { a href="/dashboard/set-up" { (lang.t(K::SetUpLink)) } }
    };
    layout::public_page(lang, lang.t(K::SignInTitle), "/dashboard/sign-in", body)
}

fn messages_box(lang: Lang, messages: &[K]) -> Markup {
    html! {
        @if !messages.is_empty() {
            div class="error" role="alert" {
                @for m in messages { p { (lang.t(*m)) } }
            }
        }
    }
}

/// What a sign-in attempt came to.
enum Attempt {
    SignedIn(Account),
    Wrong,
    Locked,
}

pub async fn sign_in(
    State(relay): State<Arc<Relay>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    let form = csrf::presession_form(&relay, &headers, body).await?;
    let (username, password) = (form.get("username").trim().to_string(), form.get("password").to_string());
    let store_relay = relay.clone();
    let attempt = hashing(move || attempt(&store_relay, &username, &password, now_ms())).await?;
    let refused = |status, messages: &[K]| {
        let username = form.get("username").trim();
        form_page(status, &headers, |csrf| sign_in_page(lang, csrf, username, messages))
    };
    match attempt {
        Attempt::SignedIn(account) => session::start(&relay, &account).await,
        Attempt::Wrong => refused(StatusCode::UNAUTHORIZED, &[K::WrongPassword]),
        Attempt::Locked => refused(StatusCode::TOO_MANY_REQUESTS, &[K::WrongPassword, K::TryLater]),
    }
}

/// Checks a username and password (blocking: argon2 and the store). An unknown username, and a
/// locked account, are verified against a decoy hash so they take as long as a wrong password.
fn attempt(relay: &Relay, username: &str, password: &str, now: i64) -> Result<Attempt, Failure> {
    let store = relay.dashboard();
    let account = if (1..=MAX_USERNAME_CHARS).contains(&username.chars().count()) {
        store.account_by_username(username).map_err(internal)?
    } else {
        None
    };
    let Some(account) = account else {
        verify_password(password, decoy_hash());
        return Ok(Attempt::Wrong);
    };
    if account.locked_until_ms.is_some_and(|until| until > now) {
        verify_password(password, decoy_hash());
        tracing::info!(account = %account.id, "dashboard: sign-in to a locked account refused");
        return Ok(Attempt::Locked);
    }
    if verify_password(password, &account.password_hash) {
        store.record_sign_in(account.id).map_err(internal)?;
        return Ok(Attempt::SignedIn(account));
    }
    let settings = relay.dashboard_settings();
    let after = store
        .record_failed_sign_in(account.id, now, settings.lock_after, settings.lock_for.as_millis() as i64)
        .map_err(internal)?;
    tracing::info!(account = %account.id, failures = after.failed_sign_ins, "dashboard: failed sign-in");
    if after.locked_until_ms.is_some_and(|until| until > now) {
        // It was not locked before this attempt (a locked account returned above): it is now.
        audit(relay, account.id, &[AuditEvent::DashboardLocked { account: account.id }])?;
        return Ok(Attempt::Locked);
    }
    Ok(Attempt::Wrong)
}

pub async fn set_up_form(Extension(lang): Extension<Lang>, headers: HeaderMap) -> Result<Response, Failure> {
    form_page(StatusCode::OK, &headers, |csrf| set_up_page(lang, csrf, "", &[]))
}

fn set_up_page(lang: Lang, csrf: &str, username: &str, messages: &[K]) -> Markup {
    let body = html! {
        p { (lang.t(K::SetUpIntro)) }
        (messages_box(lang, messages))
        form method="post" action="/dashboard/set-up" class="stack" {
            input type="hidden" name="csrf" value=(csrf);
            label for="invite" { (lang.t(K::InviteCode)) }
            input id="invite" name="invite" type="text" autocomplete="off" required maxlength="128";
            label for="username" { (lang.t(K::Username)) }
            input id="username" name="username" type="text" autocomplete="username" required
                maxlength=(MAX_USERNAME_CHARS) value=(username);
            label for="password" { (lang.t(K::Password)) }
            input id="password" name="password" type="password" autocomplete="new-password" required
                minlength="12" maxlength=(MAX_PASSWORD_CHARS);
            label for="password_again" { (lang.t(K::PasswordAgain)) }
            input id="password_again" name="password_again" type="password" autocomplete="new-password" required
                minlength="12" maxlength=(MAX_PASSWORD_CHARS);
            button type="submit" { (lang.t(K::SetUpButton)) }
        }
        p { a href="/dashboard/sign-in" { (lang.t(K::BackToSignIn)) } }
    };
    layout::public_page(lang, lang.t(K::SetUpTitle), "/dashboard/set-up", body)
}

pub async fn set_up(
    State(relay): State<Arc<Relay>>,
    Extension(lang): Extension<Lang>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    let form = csrf::presession_form(&relay, &headers, body).await?;
    let username = form.get("username").trim().to_string();
    let refused = |message: K| {
        form_page(StatusCode::BAD_REQUEST, &headers, |csrf| set_up_page(lang, csrf, &username, &[message]))
    };
    if form.get("password") != form.get("password_again") {
        return refused(K::PasswordsDiffer);
    }
    let (invite, password) = (form.get("invite").trim().to_string(), form.get("password").to_string());
    let (store_relay, name) = (relay.clone(), username.clone());
    let created = hashing(move || {
        let hash = match hash_password(&password) {
            Ok(hash) => hash,
            Err(PasswordError::Length) => return Ok(Err(K::PasswordLength)),
            Err(e) => return Err(internal(e)),
        };
        match store_relay.dashboard().create_account_from_invite(&invite, &name, &hash) {
            Ok(account) => {
                let set_up = AuditEvent::DashboardAccountSetUp { school: account.school_id, role: account.role };
                audit(&store_relay, account.id, &[set_up])?;
                Ok(Ok(account))
            }
            Err(DashboardStoreError::BadInvite) => Ok(Err(K::BadInvite)),
            Err(DashboardStoreError::UsernameTaken) => Ok(Err(K::UsernameTaken)),
            Err(DashboardStoreError::BadUsername) => Ok(Err(K::BadUsername)),
            Err(e) => Err(internal(e)),
        }
    })
    .await?;
    match created {
        Ok(account) => {
            tracing::info!(account = %account.id, role = account.role.as_str(), "dashboard: account set up from an invite");
            session::start(&relay, &account).await
        }
        Err(message) => refused(message),
    }
}

pub async fn sign_out(
    State(relay): State<Arc<Relay>>,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Failure> {
    csrf::session_form(&relay, &signed_in, &headers, body).await?;
    let hash = signed_in.session.token_hash;
    let store_relay = relay.clone();
    blocking(move || store_relay.dashboard().delete_session(&hash).map_err(internal)).await?;
    tracing::info!(account = %signed_in.account.id, "dashboard: signed out");
    let mut response = see_other("/dashboard/sign-in");
    response.headers_mut().insert(header::SET_COOKIE, cookies::clear(cookies::SESSION));
    Ok(response)
}

/// `/dashboard`: the overview when signed in, else the sign-in page.
pub async fn root(signed_in: Result<SignedIn, Response>) -> Response {
    match signed_in {
        Ok(_) => see_other("/dashboard/overview"),
        Err(_) => see_other("/dashboard/sign-in"),
    }
}
