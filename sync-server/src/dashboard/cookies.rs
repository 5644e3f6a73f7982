//! The dashboard's cookies: reading one from a request, and building `Set-Cookie` values with the
//! attributes every dashboard cookie has (`HttpOnly; Secure; SameSite=Strict; Path=/dashboard`).

use axum::http::{HeaderMap, HeaderValue, header};

/// The session cookie (32 random bytes, hex).
pub const SESSION: &str = "hv_session";
/// The sign-in and set-up forms' double-submit CSRF token.
pub const PRESESSION: &str = "hv_presession";

/// The value of cookie `name` in the request's `Cookie` headers (the first one named so).
pub fn read<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

/// A cookie with the dashboard's attributes; `max_age_secs`: `None` for a browser-session cookie.
/// `value` must be a cookie-safe token (hex, or a language code).
pub fn set(name: &str, value: &str, max_age_secs: Option<u64>) -> HeaderValue {
    let age = max_age_secs.map(|s| format!("; Max-Age={s}")).unwrap_or_default();
    let text = format!("{name}={value}; HttpOnly; Secure; SameSite=Strict; Path=/dashboard{age}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| clear(name))
}

/// A `Set-Cookie` that removes cookie `name`.
pub fn clear(name: &str) -> HeaderValue {
    let text = format!("{name}=; HttpOnly; Secure; SameSite=Strict; Path=/dashboard; Max-Age=0");
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static("hv_invalid=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_built_with_the_dashboards_attributes() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, HeaderValue::from_static("hv_lang=es; hv_session=abc"));
        h.append(header::COOKIE, HeaderValue::from_static("other=1"));
        assert_eq!(read(&h, SESSION), Some("abc"));
        assert_eq!(read(&h, "other"), Some("1"));
        assert_eq!(read(&h, "hv_sess"), None);
        assert_eq!(set(SESSION, "ff00", None), "hv_session=ff00; HttpOnly; Secure; SameSite=Strict; Path=/dashboard");
        assert_eq!(
            set("hv_lang", "es", Some(60)).to_str().unwrap(),
            "hv_lang=es; HttpOnly; Secure; SameSite=Strict; Path=/dashboard; Max-Age=60"
        );
        assert!(clear(SESSION).to_str().unwrap().ends_with("Max-Age=0"));
        // A value that cannot be a header is never sent: the cookie is cleared instead.
        assert!(set(SESSION, "a\nb", None).to_str().unwrap().starts_with("hv_session=;"));
    }
}
