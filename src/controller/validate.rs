//! Checks of a GoToOrganizer that the CRD schema cannot make (or that an older CRD let through),
//! so bad input becomes `Ready=False, reason InvalidSpec` with a message a person can act on,
//! before anything is written to GoTo.
use crate::crd::GoToOrganizer;

/// Returns a human-readable reason when the organizer cannot be acted on.
pub fn organizer(obj: &GoToOrganizer) -> Result<(), String> {
    let spec = &obj.spec;
    email(&spec.email)?;
    name("firstName", &spec.first_name)?;
    name("lastName", &spec.last_name)?;
    if let Some(locale) = &spec.locale {
        self::locale(locale)?;
    }
    if let Some(tz) = &spec.time_zone {
        time_zone(tz)?;
    }
    for role in spec.admin_roles.iter().flatten() {
        if role.0.trim().is_empty() {
            return Err("adminRoles must not contain empty role names".into());
        }
    }
    if spec.account_ref.name.trim().is_empty() {
        return Err("accountRef.name must name a GoToAccount in this namespace".into());
    }
    if let Some(key) = obj.organizer_key_annotation() {
        digits("annotation goto-operator.dev/organizer-key", key)?;
    }
    Ok(())
}

/// An email GoTo will accept as a login: `local@domain.tld`, no spaces, at most 254 characters.
pub fn email(value: &str) -> Result<(), String> {
    let bad = || {
        Err(format!(
            "email {value:?} is not a valid address (expected name@domain.tld)"
        ))
    };
    if value.len() > 254 || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad();
    }
    let Some((local, domain)) = value.split_once('@') else {
        return bad();
    };
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(|label| !label.is_empty());
    if local.is_empty() || !domain_ok {
        return bad();
    }
    Ok(())
}

fn name(field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        return Err(format!("{field} must not be empty"));
    }
    if value.chars().count() > 100 || value.chars().any(char::is_control) {
        return Err(format!("{field} must be at most 100 printable characters"));
    }
    Ok(())
}

/// A locale in GoTo's form: a 2-3 letter lowercase language, optionally `_` and a region (`en_US`).
pub fn locale(value: &str) -> Result<(), String> {
    let (lang, region) = match value.split_once('_') {
        Some((l, r)) => (l, Some(r)),
        None => (value, None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok =
        region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()));
    if lang_ok && region_ok {
        Ok(())
    } else {
        Err(format!(
            "locale {value:?} is not of the form ll or ll_RR (for example en_US)"
        ))
    }
}

/// A time zone that exists in the IANA database bundled into the binary.
pub fn time_zone(value: &str) -> Result<(), String> {
    match jiff::tz::db().get(value) {
        Ok(_) => Ok(()),
        Err(_) => Err(format!(
            "timeZone {value:?} is not an IANA time zone (for example America/New_York)"
        )),
    }
}

/// A GoTo key: a non-empty string of ASCII digits (kept as a string; it can exceed 2^64).
pub fn digits(what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() || value.len() > 40 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("{what} must be digits only, got {value:?}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b.co", "jane.doe+x@example.com", "J@EXAMPLE.ORG"] {
            assert!(email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "jane",
            "@example.com",
            "jane@",
            "jane@example",
            "jane@@example.com",
            "ja ne@example.com",
            "jane@example..com",
            "jane@.com",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locales() {
        for ok in ["en", "en_US", "fil_PH"] {
            assert!(locale(ok).is_ok(), "{ok}");
        }
        for bad in ["", "EN", "en-US", "en_us", "english", "en_USA"] {
            assert!(locale(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn time_zones_come_from_the_iana_database() {
        for ok in ["America/New_York", "Europe/Paris", "UTC", "Asia/Kolkata"] {
            assert!(time_zone(ok).is_ok(), "{ok}");
        }
        for bad in ["Mars/Olympus_Mons", "America/Springfield", "", "GMT+25"] {
            let err = time_zone(bad).expect_err(bad);
            assert!(err.contains("IANA"), "{err}");
        }
    }

    #[test]
    fn keys_are_digits() {
        assert!(digits("key", "340282366920938463463374607431768211457").is_ok());
        for bad in ["", "12a", "-1", "1e9", " 1"] {
            assert!(digits("key", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names() {
        assert!(name("firstName", "Jane").is_ok());
        assert!(name("firstName", "   ").is_err());
        assert!(name("firstName", "a\u{7}b").is_err());
        assert!(name("firstName", &"x".repeat(101)).is_err());
    }
}
