//! `goto-operator probe URL`: one plain-HTTP GET that succeeds on a 2xx answer.
//!
//! The image holds nothing but the binary (no shell, no curl), so this is how a check from inside
//! the container reaches the operator's own `/healthz` and `/readyz`
//! (`podman exec CONTAINER /goto-operator probe http://127.0.0.1:8080/readyz`); `make demo` waits
//! for the operator with it too. Only `http://` URLs: the probes are served without TLS.
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{Error, Result};

/// As the Helm chart's probes (`timeoutSeconds: 3`).
const TIMEOUT: Duration = Duration::from_secs(3);
/// The probe endpoints answer a few bytes; a larger answer is cut here.
const MAX_RESPONSE: u64 = 64 * 1024;

/// GETs `url` and returns the status line (e.g. `HTTP/1.1 200 OK`) when the status is 2xx.
pub async fn probe(url: &str) -> Result<String> {
    let (authority, path) = split_url(url)?;
    let exchange = async {
        let mut stream = TcpStream::connect(authority)
            .await
            .map_err(|e| Error::io(format!("connect to {authority}"), e))?;
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| Error::io(format!("send to {authority}"), e))?;
        let mut response = Vec::new();
        stream
            .take(MAX_RESPONSE)
            .read_to_end(&mut response)
            .await
            .map_err(|e| Error::io(format!("read from {authority}"), e))?;
        Ok::<_, Error>(response)
    };
    let response = tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| Error::Invalid(format!("{url}: no answer within {TIMEOUT:?}")))??;
    check_status(url, &response)
}

/// `http://host:port/path` into (`host:port`, `/path`).
fn split_url(url: &str) -> Result<(&str, &str)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| Error::Invalid(format!("{url}: only http:// URLs can be probed")))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, "/"),
    };
    if !authority.contains(':') {
        return Err(Error::Invalid(format!(
            "{url}: give the port (host:port), as the metrics address has one"
        )));
    }
    Ok((authority, path))
}

fn check_status(url: &str, response: &[u8]) -> Result<String> {
    let text = String::from_utf8_lossy(response);
    let status_line = text.lines().next().unwrap_or_default().trim().to_owned();
    let code = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status_line.starts_with("HTTP/") && code.len() == 3 && code.starts_with('2') {
        Ok(status_line)
    } else {
        Err(Error::Invalid(format!("{url}: {status_line:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let url = serve_once("HTTP/1.1 503 Service Unavailable\r\n\r\nnot ready").await;
        let err = probe(&url).await.expect_err("503 must fail").to_string();
        assert!(err.contains("503"), "{err}");
    }

    #[tokio::test]
    async fn nobody_listening_fails() {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        assert!(probe(&format!("http://{addr}/healthz")).await.is_err());
    }

    #[test]
    fn urls_are_split_and_checked() {
        assert_eq!(
            split_url("http://127.0.0.1:8080/healthz").expect("ok"),
            ("127.0.0.1:8080", "/healthz")
        );
        assert_eq!(
            split_url("http://127.0.0.1:8080").expect("ok"),
            ("127.0.0.1:8080", "/")
        );
        assert!(split_url("https://127.0.0.1:8080/healthz").is_err());
        assert!(split_url("http://localhost/healthz").is_err());
        assert!(check_status("u", b"garbage").is_err());
        assert!(check_status("u", b"HTTP/1.1 2000 weird\r\n").is_err());
    }
}
