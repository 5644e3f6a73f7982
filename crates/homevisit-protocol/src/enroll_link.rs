//! The enrollment link a coordinator hands a teacher, as text or as a QR code to scan:
//! `homevisit-enroll:<invite code>@<relay address>`, e.g.
//! `homevisit-enroll:3f9a0c…@https://relay.district.example`. It carries nothing secret beyond the
//! single-use invite code itself, and nothing about a person. The phone still checks the address
//! (https, or plain http to this machine only) when it enrolls.

/// What a link names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnrollLink {
    pub relay_url: String,
    pub invite_code: String,
}

/// Why a text is not an enrollment link (never repeats the text: it could be anything scanned).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EnrollLinkError {
    #[error("not a homevisit enrollment link")]
    NotALink,
    #[error("the enrollment link's invite code is not one")]
    BadCode,
    #[error("the enrollment link's relay address is not an http(s) address")]
    BadAddress,
}

const SCHEME: &str = "homevisit-enroll:";
/// Longest link read (a QR code holds ~3 KB; an address and a code need far less).
pub const MAX_LINK_LEN: usize = 2048;
const MAX_CODE_LEN: usize = 128;

impl EnrollLink {
    /// The link's text.
    pub fn format(&self) -> String {
        format!("{SCHEME}{}@{}", self.invite_code, self.relay_url)
    }

    /// Reads a link (surrounding whitespace ignored; the scheme in any case).
    pub fn parse(text: &str) -> Result<EnrollLink, EnrollLinkError> {
        let text = text.trim();
        if text.len() > MAX_LINK_LEN || text.len() < SCHEME.len() || !text.is_char_boundary(SCHEME.len()) {
            return Err(EnrollLinkError::NotALink);
        }
        let (scheme, rest) = text.split_at(SCHEME.len());
        if !scheme.eq_ignore_ascii_case(SCHEME) {
            return Err(EnrollLinkError::NotALink);
        }
        let (code, url) = rest.split_once('@').ok_or(EnrollLinkError::NotALink)?;
        let code_ok = !code.is_empty()
            && code.len() <= MAX_CODE_LEN
            && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !code_ok {
            return Err(EnrollLinkError::BadCode);
        }
        let lower = url.to_ascii_lowercase();
        let scheme_ok = lower.starts_with("https://") || lower.starts_with("http://");
        let host_ok = url.split_once("://").is_some_and(|(_, h)| !h.is_empty() && !h.starts_with('/'));
        if !scheme_ok || !host_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(EnrollLinkError::BadAddress);
        }
        Ok(EnrollLink { relay_url: url.to_string(), invite_code: code.to_string() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_reads_back_what_it_was_made_of() {
        let link =
            EnrollLink { relay_url: "https://relay.district.example:8443".into(), invite_code: "3f9a0c7d".into() };
        assert_eq!(link.format(), "homevisit-enroll:3f9a0c7d@https://relay.district.example:8443");
        assert_eq!(EnrollLink::parse(&link.format()), Ok(link.clone()));
        assert_eq!(EnrollLink::parse(&format!("  HOMEVISIT-ENROLL:3f9a0c7d@{}\n", link.relay_url)), Ok(link));
    }

    #[test]
    fn anything_else_is_refused_without_repeating_it() {
        for (text, error) in [
            ("https://example.org", EnrollLinkError::NotALink),
            ("homevisit-enroll:", EnrollLinkError::NotALink),
            ("homevisit-enroll:abc", EnrollLinkError::NotALink),
            ("homevisit-enroll:@https://r.example", EnrollLinkError::BadCode),
            ("homevisit-enroll:a b@https://r.example", EnrollLinkError::BadCode),
            ("homevisit-enroll:abc@ftp://r.example", EnrollLinkError::BadAddress),
            ("homevisit-enroll:abc@https://", EnrollLinkError::BadAddress),
            ("homevisit-enroll:abc@https://r.example/a b", EnrollLinkError::BadAddress),
            ("homevisit-enrollé:abc@https://r.example", EnrollLinkError::NotALink),
            ("ü", EnrollLinkError::NotALink),
        ] {
            assert_eq!(EnrollLink::parse(text), Err(error), "{text}");
            assert!(!error.to_string().contains(text));
        }
        let long = format!("homevisit-enroll:{}@https://r.example", "a".repeat(MAX_LINK_LEN));
        assert_eq!(EnrollLink::parse(&long), Err(EnrollLinkError::NotALink));
        let long_code = format!("homevisit-enroll:{}@https://r.example", "a".repeat(MAX_CODE_LEN + 1));
        assert_eq!(EnrollLink::parse(&long_code), Err(EnrollLinkError::BadCode));
    }
}
