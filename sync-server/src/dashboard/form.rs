//! A dashboard form's body: `application/x-www-form-urlencoded`, at most 8 KB, read within the
//! relay's body timeout. Any other body cannot carry a form's CSRF token: refused as
//! [`Failure::Forbidden`], as a form without one is.

use axum::body::Body;
use axum::http::{HeaderMap, header};

use super::respond::Failure;

/// Largest form body read (a sign-in is well under 1 KB).
pub const MAX_FORM_BYTES: usize = 8 * 1024;

/// A posted form's fields.
pub struct Form(Vec<(String, String)>);

impl Form {
    pub async fn read(headers: &HeaderMap, body: Body, timeout: std::time::Duration) -> Result<Form, Failure> {
        let is_form = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
        if !is_form {
            return Err(Failure::Forbidden);
        }
        let bytes = tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_FORM_BYTES))
            .await
            .map_err(|_| Failure::BadRequest)?
            .map_err(|_| Failure::TooLarge)?;
        Ok(Self::parse(&bytes))
    }

    pub fn parse(bytes: &[u8]) -> Form {
        Form(form_urlencoded::parse(bytes).into_owned().collect())
    }

    /// The first value of field `name`, or "" if there is none.
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    pub fn pairs(&self) -> impl Iterator<Item = (std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)> {
        self.0.iter().map(|(k, v)| (k.as_str().into(), v.as_str().into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[tokio::test]
    async fn only_small_url_encoded_forms_are_read() {
        let mut headers = HeaderMap::new();
        let t = std::time::Duration::from_secs(5);
        assert!(matches!(Form::read(&headers, Body::from("a=1"), t).await, Err(Failure::Forbidden)));
        headers
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded; charset=UTF-8"));
        let form = Form::read(&headers, Body::from("username=ana%40x&password=a+b&username=second"), t).await.unwrap();
        assert_eq!((form.get("username"), form.get("password"), form.get("csrf")), ("ana@x", "a b", ""));
        let big = "a=".to_string() + &"x".repeat(MAX_FORM_BYTES);
        assert!(matches!(Form::read(&headers, Body::from(big), t).await, Err(Failure::TooLarge)));
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("multipart/form-data; boundary=x"));
        assert!(matches!(Form::read(&headers, Body::from("a=1"), t).await, Err(Failure::Forbidden)));
    }
}
