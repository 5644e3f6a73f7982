//! The relay's numeric settings from the environment: each a whole number above 0, read once
//! when the relay opens; one that is set but not such a number stops it with a clear message.

use crate::RelayError;

/// `name`'s value, or `default` where it is not set.
pub(crate) fn positive<T: TryFrom<u64>>(name: &str, default: T) -> Result<T, RelayError> {
    parse_positive(name, std::env::var(name).ok(), default)
}

fn parse_positive<T: TryFrom<u64>>(name: &str, value: Option<String>, default: T) -> Result<T, RelayError> {
    let Some(value) = value else { return Ok(default) };
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n > 0)
        .and_then(|n| T::try_from(n).ok())
        .ok_or_else(|| RelayError::Io(format!("{name} must be a whole number above 0")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_setting_is_a_whole_number_above_zero_or_the_default() {
        let parse = |v: Option<&str>| parse_positive::<u32>("HOMEVISIT_X", v.map(str::to_owned), 7);
        assert_eq!(parse(None).unwrap(), 7);
        assert_eq!(parse(Some(" 12 ")).unwrap(), 12);
        for bad in ["0", "-3", "1.5", "many", "", "4294967296"] {
            let e = parse(Some(bad)).unwrap_err().to_string();
            assert_eq!(e, "HOMEVISIT_X must be a whole number above 0", "{bad:?}");
        }
    }
}
