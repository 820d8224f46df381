//! Push notifications as GoTo would send them: a small JSON body naming the account and the
//! organizer, signed with HMAC-SHA256 under a shared key (base64 in `X-Webhook-Signature`; GoTo's
//! exact scheme is assumed, after GoTo Webinar's). Written independently of the operator's
//! `webhook` module, so a mistake on either side shows.
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use jiff::Timestamp;
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

/// What to send, from `POST /_sim/notify` or [`super::SimHandle::notify`].
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotifyRequest {
    /// Where to POST the notification (the operator's webhook URL).
    pub url: String,
    /// The HMAC key (the value of the account's webhook Secret key).
    pub key: String,
    /// The organizer the notification is about.
    pub organizer_key: String,
    /// What happened (free text, e.g. `organizer.updated`).
    #[serde(default = "default_event")]
    pub event: String,
    /// Pad the body to this many bytes (to test size limits).
    #[serde(default)]
    pub pad_to: Option<usize>,
    /// Sign with this key instead (to test bad signatures).
    #[serde(default)]
    pub sign_with: Option<String>,
}

fn default_event() -> String {
    "organizer.updated".into()
}

/// Sends one notification and returns the HTTP status the receiver answered.
pub(crate) async fn send(account_key: &str, request: &NotifyRequest) -> Result<u16, String> {
    let mut body = json!({
        "event": request.event,
        "accountKey": account_key,
        "organizerKey": request.organizer_key,
        "occurredAt": Timestamp::now().to_string(),
    });
    if let Some(size) = request.pad_to {
        let text = body.to_string();
        body["padding"] = json!("x".repeat(size.saturating_sub(text.len() + 14)));
    }
    let body = body.to_string().into_bytes();
    let key = request.sign_with.as_deref().unwrap_or(&request.key);
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).map_err(|e| e.to_string())?;
    mac.update(&body);
    let signature = STANDARD.encode(mac.finalize().into_bytes());
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let response = client
        .post(&request.url)
        .header("content-type", "application/json")
        .header("x-webhook-signature", signature)
        .body(body)
        .send()
        .await
        .map_err(|e| format!("POST {}: {e}", request.url))?;
    Ok(response.status().as_u16())
}
