//! Which URLs the client may talk to.
//!
//! `apiBaseUrl` and `tokenUrl` come from namespaced GoToAccount objects, so whoever may write a
//! GoToAccount in some namespace chooses where the operator sends requests, with that
//! account's client secret in the token request. The client therefore speaks only https, the
//! one exception being plain http to a loopback host (127.0.0.0/8, ::1, `localhost`), which is
//! how the simulator and the tests run. A URL may not carry a user name or password (they would
//! be sent as credentials of their own). The check runs when a client is built (a GoToAccount
//! with a refused URL gets `Ready=False` and its message) and again on every request, so that
//! nothing built some other way can reach a refused URL. Redirects are never followed
//! (see `client.rs`): a redirect could lead anywhere, plain http included.
use super::error::Error;
use std::net::Ipv6Addr;
use url::{Host, Url};

/// Refuses `url` unless the client may send to it; `what` names the setting in the message
/// (`apiBaseUrl`, `tokenUrl`, or "request URL").
pub(crate) fn check(what: &str, url: &Url) -> Result<(), Error> {
    let Some(host) = url.host() else {
        return Err(Error::Config(format!("{what} has no host")));
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "{what} must not carry a user name or password"
        )));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&host) => Ok(()),
        scheme => Err(Error::Config(format!(
            "{what} must use https (plain http only to a loopback host: 127.0.0.0/8, ::1, \
             localhost), not {scheme}://{}",
            short_host(&host)
        ))),
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => ip.is_loopback(),
        Host::Ipv6(ip) => *ip == Ipv6Addr::LOCALHOST,
        // `url` lower-cases domains; a trailing dot is the same name.
        Host::Domain(name) => name.trim_end_matches('.') == "localhost",
    }
}

/// The host for a message, cut short: the tenant wrote it, but a message is no place for 2 KiB.
fn short_host(host: &Host<&str>) -> String {
    const MAX: usize = 64;
    let text = host.to_string();
    if text.chars().count() > MAX {
        let mut cut: String = text.chars().take(MAX).collect();
        cut.push('…');
        cut
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(url: &str) -> Result<(), String> {
        check("apiBaseUrl", &Url::parse(url).unwrap()).map_err(|e| e.to_string())
    }

    #[test]
    fn https_anywhere_and_http_only_to_loopback() {
        let allowed = [
            "https://api.getgo.com/G2M/rest/v2",
            "https://10.0.0.1/x",
            "http://127.0.0.1:8089/G2M/rest/v2",
            "http://127.8.9.10/x",
            "http://[::1]:8089/oauth/token",
            "http://localhost:8089/x",
            "http://LOCALHOST./x",
        ];
        for url in allowed {
            assert_eq!(verdict(url), Ok(()), "{url}");
        }
        let refused = [
            "http://api.getgo.com/G2M/rest/v2",
            "http://10.0.0.1/x",
            "http://169.254.169.254/latest/meta-data",
            "http://0.0.0.0:8089/x",
            "http://[::ffff:127.0.0.1]/x",
            "http://localhost.evil.example/x",
            "http://kubernetes.default.svc/api",
            "ftp://127.0.0.1/x",
            "file:///etc/passwd",
            "data:text/plain,hi",
            "https://user:pw@api.getgo.com/x",
            "http://user@127.0.0.1/x",
        ];
        for url in refused {
            let error = verdict(url).expect_err(url);
            assert!(
                error.starts_with("GoTo client configuration: apiBaseUrl "),
                "{error}"
            );
        }
    }

    #[test]
    fn messages_name_the_rule_and_not_the_password() {
        let error = verdict("https://user:hunter2@example.com/x").unwrap_err();
        assert!(!error.contains("hunter2"), "{error}");
        let error = verdict("http://example.com/x").unwrap_err();
        assert!(error.contains("must use https"), "{error}");
        assert!(error.contains("http://example.com"), "{error}");
        let long = format!("http://{}.example/x", "a".repeat(500));
        assert!(verdict(&long).unwrap_err().len() < 250);
    }
}
