//! The notification signature: HMAC-SHA256 of the raw body under the account's key, sent
//! base64-encoded in `X-Webhook-Signature`. GoTo's exact scheme is assumed (after GoTo
//! Webinar's); everything that depends on it is in this file.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The header carrying the signature.
pub const HEADER: &str = "x-webhook-signature";

/// Whether `signature` (the header's value) is the HMAC-SHA256 of `body` under `key`. The
/// comparison is constant-time (`Mac::verify_slice`), so timing does not reveal how much of a
/// forged signature was right.
pub fn verify(key: &[u8], body: &[u8], signature: &str) -> bool {
    let Ok(expected) = STANDARD.decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// Whether the header's value can be a signature at all (base64 of 32 bytes): a request
/// without one is refused before anything is read for it.
pub fn well_formed(signature: &str) -> bool {
    STANDARD
        .decode(signature.trim())
        .is_ok_and(|bytes| bytes.len() == 32)
}

/// The header value for `body` under `key` (what a sender computes).
pub fn sign(key: &[u8], body: &[u8]) -> String {
    match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mut mac) => {
            mac.update(body);
            STANDARD.encode(mac.finalize().into_bytes())
        }
        // HMAC accepts keys of any length; this arm cannot be reached.
        Err(_) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_base64_of_32_bytes_is_well_formed() {
        assert!(well_formed(&sign(b"k", b"body")));
        for bad in ["", "not base64!", "AAAA", &STANDARD.encode([0u8; 33])] {
            assert!(!well_formed(bad), "{bad:?}");
        }
    }

    #[test]
    fn a_signature_verifies_only_for_its_key_and_body() {
        let sig = sign(b"k3y", b"{\"organizerKey\":\"7\"}");
        assert!(verify(b"k3y", b"{\"organizerKey\":\"7\"}", &sig));
        assert!(!verify(b"other", b"{\"organizerKey\":\"7\"}", &sig));
        assert!(!verify(b"k3y", b"{\"organizerKey\":\"8\"}", &sig));
        assert!(!verify(b"k3y", b"{}", "not base64 !"));
        assert!(!verify(b"k3y", b"{}", ""));
        let mut truncated = sig.clone();
        truncated.truncate(8);
        assert!(!verify(b"k3y", b"{\"organizerKey\":\"7\"}", &truncated));
    }

    #[test]
    fn the_known_answer_of_rfc_4231_case_2() {
        // HMAC-SHA256("Jefe", "what do ya want for nothing?")
        let expected = STANDARD.encode([
            0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24, 0x26, 0x08, 0x95,
            0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9,
            0x64, 0xec, 0x38, 0x43,
        ]);
        assert_eq!(sign(b"Jefe", b"what do ya want for nothing?"), expected);
    }
}
