//! Email addresses, compared one way everywhere.
//!
//! GoTo matches login ids case-insensitively, so two spellings of one address are the same
//! person. [`NormalEmail`] is the one normalisation every comparison of two emails uses: the
//! account directory, claims and their index, `decide`, the field diff, `export` and the
//! attendance report's selection. Surrounding spaces are trimmed and the rest is case-folded
//! with Unicode's default case folding (the `caseless` crate of unicode-rs), so
//! `" Ada@Example.COM"` and `"ada@example.com"` are one address in every script, not only in
//! ASCII (a Greek final sigma folds like any other sigma).
use std::fmt;

/// An email address in its one normal form (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NormalEmail(String);

impl NormalEmail {
    /// The normal form of `raw`.
    pub fn new(raw: &str) -> Self {
        Self(caseless::default_case_fold_str(raw.trim()))
    }

    /// The normal form as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NormalEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether `a` and `b` are the same address (the same [`NormalEmail`]).
pub fn same(a: &str, b: &str) -> bool {
    a == b || NormalEmail::new(a) == NormalEmail::new(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_however_it_is_spelled() {
        assert!(same(
            " Ada.Lovelace@Example.COM ",
            "ada.lovelace@example.com"
        ));
        assert!(
            same("ÉLODIE@exemple.fr", "élodie@exemple.fr"),
            "not only ASCII"
        );
        assert!(same("ΟΔΥΣΣΕΑΣ@example.gr", "οδυσσεασ@example.gr"));
        assert!(!same("ada@example.com", "ada2@example.com"));
        assert_eq!(NormalEmail::new(" A@B.C ").as_str(), "a@b.c");
    }
}
