//! Which GoTo account the report reads, and with which credentials.
//!
//! Credentials never come from flags (they would show in `ps` and in shell history): either a
//! GoToAccount and its Secret read through the kubeconfig, exactly as the operator reads them,
//! or, standalone, the `GOTO_CLIENT_ID` / `GOTO_CLIENT_SECRET` environment variables.
use std::sync::Arc;
use std::time::Duration;

use url::Url;

use super::client::ReportClient;
use crate::cli::AttendanceArgs;
use crate::controller::clients::AccountClients;
use crate::goto::{self, AccountKey, ClientConfig, Credentials, Dialect, GoToClient, V1Client};

/// Environment variable holding the OAuth client id in standalone mode.
pub const CLIENT_ID_ENV: &str = "GOTO_CLIENT_ID";
/// Environment variable holding the OAuth client secret in standalone mode.
pub const CLIENT_SECRET_ENV: &str = "GOTO_CLIENT_SECRET";

/// Upper bound of one HTTP exchange with GoTo during a report.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How the command names its account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AccountSource {
    /// `--account NAMESPACE/NAME` (`api`: what `--api` asked for, checked against the
    /// GoToAccount's).
    Kubernetes {
        namespace: String,
        name: String,
        api: Option<Dialect>,
    },
    /// `--account-key K` with the endpoints and dialect of the flags.
    Standalone {
        account_key: String,
        api: Dialect,
        api_base_url: String,
        token_url: String,
    },
}

impl AccountSource {
    /// Reads the account flags; checks their shape, not the account.
    pub fn from_args(args: &AttendanceArgs) -> crate::Result<Self> {
        match (&args.account, &args.account_key) {
            (Some(account), _) => {
                let (namespace, name) = account
                    .split_once('/')
                    .filter(|(ns, name)| !ns.is_empty() && !name.is_empty() && !name.contains('/'))
                    .ok_or_else(|| {
                        crate::Error::Invalid(format!(
                            "--account {account:?} must be NAMESPACE/NAME"
                        ))
                    })?;
                Ok(Self::Kubernetes {
                    namespace: namespace.to_owned(),
                    name: name.to_owned(),
                    api: args.api,
                })
            }
            (None, Some(key)) => {
                if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(crate::Error::Invalid(format!(
                        "--account-key {key:?} is not a GoTo key (digits only)"
                    )));
                }
                let api = args.api.unwrap_or_default();
                Ok(Self::Standalone {
                    account_key: key.clone(),
                    api,
                    api_base_url: args
                        .api_base_url
                        .clone()
                        .unwrap_or_else(|| api.default_base_url().to_owned()),
                    token_url: args.token_url.clone(),
                })
            }
            (None, None) => Err(crate::Error::Invalid(
                "either --account NAMESPACE/NAME or --account-key is required".into(),
            )),
        }
    }

    /// Builds the account's client. `env` looks up an environment variable (standalone mode).
    pub async fn client(
        &self,
        env: impl Fn(&str) -> Option<String>,
    ) -> crate::Result<ReportClient> {
        let (api, client) = match self {
            Self::Kubernetes {
                namespace,
                name,
                api,
            } => kubernetes_client(namespace, name, *api).await?,
            Self::Standalone {
                account_key,
                api,
                api_base_url,
                token_url,
            } => (
                *api,
                standalone_client(account_key, api_base_url, token_url, env)?,
            ),
        };
        Ok(match api {
            Dialect::V2 => ReportClient::V2(client),
            Dialect::V1 => ReportClient::V1(V1Client::new(client)),
        })
    }
}

fn standalone_client(
    account_key: &str,
    api_base_url: &str,
    token_url: &str,
    env: impl Fn(&str) -> Option<String>,
) -> crate::Result<GoToClient> {
    let value = |var: &str| {
        env(var)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let (Some(client_id), Some(client_secret)) = (value(CLIENT_ID_ENV), value(CLIENT_SECRET_ENV))
    else {
        return Err(crate::Error::Invalid(format!(
            "{CLIENT_ID_ENV} and {CLIENT_SECRET_ENV} must be set in the environment with --account-key (credentials are never read from flags)"
        )));
    };
    let mut config = ClientConfig::new(
        AccountKey::new(account_key),
        Credentials {
            client_id,
            client_secret: client_secret.into(),
        },
    );
    config.api_base_url = parse_url("--api-base-url", api_base_url)?;
    config.token_url = parse_url("--token-url", token_url)?;
    config.request_timeout = REQUEST_TIMEOUT;
    Ok(GoToClient::new(config)?)
}

fn parse_url(flag: &str, value: &str) -> crate::Result<Url> {
    let url = Url::parse(value)
        .map_err(|e| crate::Error::Invalid(format!("{flag} {value:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(crate::Error::Invalid(format!(
            "{flag} {value:?} must be an http or https URL"
        )));
    }
    Ok(url)
}

/// The client the operator itself would use for this GoToAccount: same Secret keys, endpoints
/// and request budget (built by the controller's [`AccountClients`], not re-implemented here).
async fn kubernetes_client(
    namespace: &str,
    name: &str,
    asked: Option<Dialect>,
) -> crate::Result<(Dialect, GoToClient)> {
    // kube's rustls needs a process-wide crypto provider; a second install is a harmless no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kube = kube::Client::try_default().await.map_err(|e| {
        crate::Error::Invalid(format!("cannot use the kubeconfig for --account: {e}"))
    })?;
    let clients = AccountClients::new(Arc::new(crate::goto::Unobserved), REQUEST_TIMEOUT);
    let (account, client) = clients
        .resolve_pipeline(&kube, namespace, name)
        .await
        .map_err(|problem| crate::Error::Invalid(problem.to_string()))?;
    let api = account.spec.api;
    if let Some(asked) = asked.filter(|asked| *asked != api) {
        return Err(crate::Error::Invalid(format!(
            "--api {asked}, but GoToAccount {namespace}/{name} speaks api {api}; leave --api out"
        )));
    }
    Ok((api, client))
}

/// Whether the standalone endpoint flags were changed, so `--account` can say they are ignored.
pub fn endpoint_flags_given(args: &AttendanceArgs) -> bool {
    args.api_base_url.is_some() || args.token_url != goto::DEFAULT_TOKEN_URL
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn args(extra: &[&str]) -> AttendanceArgs {
        #[derive(Parser)]
        struct Wrapper {
            #[command(flatten)]
            args: AttendanceArgs,
        }
        let mut argv = vec!["x", "--from", "2026-01-01", "--to", "2026-01-31"];
        argv.extend_from_slice(extra);
        Wrapper::try_parse_from(argv).unwrap().args
    }

    #[test]
    fn account_flags_are_parsed() {
        assert_eq!(
            AccountSource::from_args(&args(&["--account", "team-a/goto"])).unwrap(),
            AccountSource::Kubernetes {
                namespace: "team-a".into(),
                name: "goto".into(),
                api: None,
            }
        );
        match AccountSource::from_args(&args(&["--account-key", "42", "--api", "v1"])).unwrap() {
            AccountSource::Standalone {
                api, api_base_url, ..
            } => {
                assert_eq!(api, Dialect::V1);
                assert_eq!(api_base_url, goto::DEFAULT_V1_API_BASE_URL, "v1's own URL");
            }
            other => panic!("{other:?}"),
        }
        let wrapper = |extra: &[&str]| {
            #[derive(clap::Parser)]
            struct Wrapper {
                #[command(flatten)]
                args: AttendanceArgs,
            }
            let mut argv = vec!["x", "--from", "2026-01-01", "--to", "2026-01-31"];
            argv.extend_from_slice(extra);
            <Wrapper as clap::Parser>::try_parse_from(argv).map(|w| w.args)
        };
        let error = wrapper(&["--account-key", "42", "--api", "v3"])
            .err()
            .unwrap();
        assert!(error.to_string().contains("use v1 or v2"), "{error}");
        for bad in ["goto", "/goto", "team-a/", "a/b/c"] {
            let error = AccountSource::from_args(&args(&["--account", bad])).unwrap_err();
            assert!(error.to_string().contains("NAMESPACE/NAME"), "{bad}");
        }
        let error = AccountSource::from_args(&args(&["--account-key", "42x"])).unwrap_err();
        assert!(error.to_string().contains("digits only"));
    }

    #[tokio::test]
    async fn standalone_needs_both_variables_and_never_echoes_them() {
        let source = AccountSource::from_args(&args(&["--account-key", "42"])).unwrap();
        let only_id = |var: &str| (var == CLIENT_ID_ENV).then(|| "id".to_owned());
        let error = source.client(only_id).await.unwrap_err().to_string();
        assert!(error.contains("GOTO_CLIENT_SECRET must be set"), "{error}");
        let blank = |_: &str| Some("  ".to_owned());
        assert!(source.client(blank).await.is_err());
        let both = |var: &str| Some(format!("value-of-{var}"));
        let client = source.client(both).await.unwrap();
        assert_eq!(client.api().account_key().as_str(), "42");
        assert!(!format!("{client:?}").contains("value-of-GOTO_CLIENT_SECRET"));
    }

    #[tokio::test]
    async fn bad_urls_are_refused() {
        let source = AccountSource::from_args(&args(&[
            "--account-key",
            "42",
            "--api-base-url",
            "not a url",
        ]))
        .unwrap();
        let error = source.client(|_| Some("x".into())).await.unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("--api-base-url \"not a url\"")
        );
        assert!(!endpoint_flags_given(&args(&["--account-key", "42"])));
    }
}
