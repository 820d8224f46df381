//! `goto-operator probe URL`: one plain-HTTP GET that succeeds on a 2xx answer.
//!
//! The image holds nothing but the binary (no shell, no curl), so this is how a check from inside
//! the container reaches the operator's own `/healthz` and `/readyz`
//! (`podman exec CONTAINER /goto-operator probe http://127.0.0.1:8080/readyz`); `make demo` waits
//! for the operator with it too. It uses the HTTP client the binary already links (reqwest), with
//! no proxy and no redirects: the answer must come from the address named. Only `http://` URLs:
//! the probes are served without TLS.
use std::time::Duration;

use crate::{Error, Result};

/// As the Helm chart's probes (`timeoutSeconds: 3`).
const TIMEOUT: Duration = Duration::from_secs(3);

/// GETs `url` and returns the status line (e.g. `HTTP/1.1 200 OK`) when the status is 2xx.
pub async fn probe(url: &str) -> Result<String> {
    let parsed = check_url(url)?;
    // reqwest is built without a default crypto provider; an error means one is installed.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        // The operator's own port: an HTTP_PROXY meant for egress must not answer for it.
        .no_proxy()
        .user_agent(concat!("goto-operator-probe/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Invalid(format!("building the HTTP client: {e}")))?;
    let response = client.get(parsed).send().await.map_err(|e| {
        if e.is_timeout() {
            Error::Invalid(format!("{url}: no answer within {TIMEOUT:?}"))
        } else {
            Error::Invalid(format!("{url}: {}", error_chain(&e)))
        }
    })?;
    let status_line = format!("{:?} {}", response.version(), response.status());
    if response.status().is_success() {
        Ok(status_line)
    } else {
        Err(Error::Invalid(format!("{url}: {status_line:?}")))
    }
}

/// The URL, if it is one the probe can reach: `http://` with a host.
fn check_url(url: &str) -> Result<url::Url> {
    let parsed =
        url::Url::parse(url).map_err(|e| Error::Invalid(format!("{url}: not a URL ({e})")))?;
    if parsed.scheme() != "http" {
        return Err(Error::Invalid(format!(
            "{url}: only http:// URLs can be probed"
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::Invalid(format!("{url}: no host")));
    }
    Ok(parsed)
}

/// An error with its causes ("error sending request: ... Connection refused"): reqwest's own
/// message alone does not say why.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A one-shot server answering `response` to the first connection.
    async fn serve_once(response: &'static str) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.expect("accept");
            let mut buf = [0u8; 1024];
            let n = socket.read(&mut buf).await.expect("read");
            assert!(String::from_utf8_lossy(&buf[..n]).starts_with("GET /readyz HTTP/1.1\r\n"));
            socket.write_all(response.as_bytes()).await.expect("write");
        });
        format!("http://{addr}/readyz")
    }

    #[tokio::test]
    async fn a_2xx_answer_passes() {
        let url = serve_once("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").await;
        assert_eq!(probe(&url).await.expect("probe"), "HTTP/1.1 200 OK");
    }

    #[tokio::test]
    async fn a_503_fails_with_the_status() {
        let url =
            serve_once("HTTP/1.1 503 Service Unavailable\r\ncontent-length: 9\r\n\r\nnot ready")
                .await;
        let err = probe(&url).await.expect_err("503 must fail").to_string();
        assert!(err.contains("503"), "{err}");
    }

    #[tokio::test]
    async fn a_redirect_is_not_followed() {
        let url = serve_once(
            "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:1/\r\ncontent-length: 0\r\n\r\n",
        )
        .await;
        let err = probe(&url).await.expect_err("302 must fail").to_string();
        assert!(err.contains("302"), "{err}");
    }

    #[tokio::test]
    async fn nobody_listening_fails() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let err = probe(&format!("http://{addr}/healthz"))
            .await
            .expect_err("refused")
            .to_string();
        assert!(err.contains(&addr.to_string()), "{err}");
    }

    #[tokio::test]
    async fn garbage_is_not_an_answer() {
        let url = serve_once("garbage\r\n\r\n").await;
        assert!(probe(&url).await.is_err());
    }

    #[test]
    fn only_http_urls_with_a_host_are_probed() {
        assert!(check_url("http://127.0.0.1:8080/healthz").is_ok());
        assert!(check_url("http://localhost/healthz").is_ok());
        assert!(check_url("https://127.0.0.1:8080/healthz").is_err());
        assert!(check_url("127.0.0.1:8080/healthz").is_err());
        assert!(check_url("file:///etc/passwd").is_err());
    }
}
