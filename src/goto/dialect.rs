//! Which dialect an endpoint speaks, asked once per client: an account whose endpoint answers
//! like the other dialect gets one clear error ([`Error::WrongApi`], naming the `api` to set)
//! instead of a stream of 404s from every organizer.
//!
//! The probe reads the account's organizer listing the way the configured dialect does (v2:
//! one page of one; v1: `GET /organizers`). Only when that answers 404 is the other dialect's
//! listing tried at the same base URL; a success there is the proof. Anything else is no
//! verdict and never an error of its own: a transient failure (5xx, timeout, 429) is asked
//! again next time; any other answer (403, 404 on both, a body of another shape) is left to the
//! operations, which report it in their own terms.
use reqwest::Method;

use super::client::{ApiRequest, GoToClient};
use super::config::Dialect;
use super::error::Error;
use super::transport::LIST_ACCOUNT;

/// Checks, once per client, that the endpoint speaks `dialect`; the verdict is kept, so a
/// client of the wrong dialect keeps saying so (a client is rebuilt when the account changes).
pub(crate) async fn verify(client: &GoToClient, dialect: Dialect) -> Result<(), Error> {
    if let Some(verdict) = client.inner.dialect_verdict.get() {
        return kept(verdict);
    }
    let verdict = match listing(client, dialect).await {
        Ok(()) => None,
        Err(Error::NotFound) => match listing(client, dialect.other()).await {
            Ok(()) => Some(wrong(client, dialect)),
            Err(error) if error.is_transient() => return Ok(()),
            Err(_) => None,
        },
        // No verdict: asked again next time. Meanwhile the operations say what is wrong.
        Err(error) if error.is_transient() => return Ok(()),
        // Any other answer (403, a body of another shape) is not the other dialect's proof;
        // the operations report it in their own terms.
        Err(_) => None,
    };
    kept(client.inner.dialect_verdict.get_or_init(|| verdict))
}

fn kept(verdict: &Option<String>) -> Result<(), Error> {
    match verdict {
        None => Ok(()),
        Some(message) => Err(Error::WrongApi(message.clone())),
    }
}

/// The message that says what to set.
fn wrong(client: &GoToClient, dialect: Dialect) -> String {
    let other = dialect.other();
    format!(
        "the endpoint {} answers like GoTo's {other} API, not {dialect}: set spec.api: {other} \
         (GoTo's {other} base URL is {})",
        client.inner.api_base_url,
        other.default_base_url()
    )
}

/// One read of the account's organizer listing as `dialect` spells it; `Ok` only for a
/// success whose body has that dialect's shape.
async fn listing(client: &GoToClient, dialect: Dialect) -> Result<(), Error> {
    let (operation, url) = match dialect {
        Dialect::V2 => {
            let mut url =
                client.endpoint(&["accounts", client.account_key().as_str(), "organizers"])?;
            url.query_pairs_mut().append_pair("limit", "1");
            ("list_organizers", url)
        }
        Dialect::V1 => (LIST_ACCOUNT, client.endpoint(&["organizers"])?),
    };
    let request = ApiRequest {
        operation,
        method: Method::GET,
        url,
        body: None,
    };
    let raw = client.call(&request).await?;
    let shaped = match dialect {
        // One page of one: small enough to read whole.
        Dialect::V2 => raw
            .json::<serde_json::Value>(operation)?
            .get("organizers")
            .is_some_and(serde_json::Value::is_array),
        // The whole account: only its first byte is looked at here.
        Dialect::V1 => raw.body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'['),
    };
    if shaped {
        Ok(())
    } else {
        Err(Error::Decode(format!(
            "{operation}: the answer does not have {dialect}'s shape"
        )))
    }
}
