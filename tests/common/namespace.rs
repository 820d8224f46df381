//! A fresh namespace per test, so tests never see each other's objects. The test control plane
//! runs no kube-controller-manager, so a deleted namespace stays Terminating and its name is
//! never reused; random names make that harmless.

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{DeleteParams, ObjectMeta, PostParams};
use kube::{Api, Client};

/// Label on every test namespace, to find leftovers with `kubectl get ns -l goto-operator.dev/test`.
pub const TEST_LABEL: &str = "goto-operator.dev/test";

/// A namespace created for one test. Call [`TestNamespace::cleanup`] at the end of the test; if
/// the test panics first, `Drop` deletes the namespace instead.
pub struct TestNamespace {
    name: String,
    client: Client,
    cleaned_up: bool,
}

impl TestNamespace {
    /// Creates `goto-test-<random>` and returns once the apiserver has it.
    pub async fn new(client: &Client) -> Self {
        let name = format!("goto-test-{:016x}", rand::random::<u64>());
        let namespace = Namespace {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                labels: Some([(TEST_LABEL.to_owned(), "true".to_owned())].into()),
                ..ObjectMeta::default()
            },
            ..Namespace::default()
        };
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &namespace)
            .await
            .unwrap_or_else(|e| panic!("cannot create test namespace {name}: {e}"));
        Self {
            name,
            client: client.clone(),
            cleaned_up: false,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Deletes the namespace; a failure here fails the test.
    pub async fn cleanup(mut self) {
        self.cleaned_up = true;
        delete(&self.client, &self.name)
            .await
            .unwrap_or_else(|e| panic!("cannot delete test namespace {}: {e}", self.name));
    }
}

async fn delete(client: &Client, name: &str) -> Result<(), kube::Error> {
    match Api::<Namespace>::all(client.clone())
        .delete(name, &DeleteParams::default())
        .await
    {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.is_not_found() => Ok(()),
        Err(e) => Err(e),
    }
}

impl Drop for TestNamespace {
    /// Best effort after a panic. The test's own runtime may be blocked inside this very drop (a
    /// current-thread runtime is), so the held client cannot be driven; a short-lived thread with
    /// its own runtime and its own client does the deletion instead. Never panics (that would
    /// abort the test binary mid-unwind).
    fn drop(&mut self) {
        if self.cleaned_up {
            return;
        }
        let Some(path) = std::env::var_os(super::KUBECONFIG_ENV).map(PathBuf::from) else {
            return;
        };
        let name = self.name.clone();
        let deleter = std::thread::spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => return eprintln!("cannot delete test namespace {name}: {e}"),
            };
            runtime.block_on(async {
                let work = async {
                    let client = super::client_from_kubeconfig(&path).await;
                    delete(&client, &name).await
                };
                match tokio::time::timeout(Duration::from_secs(10), work).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => eprintln!("cannot delete test namespace {name}: {e}"),
                    Err(_) => eprintln!("deleting test namespace {name} timed out"),
                }
            });
        });
        let _ = deleter.join();
    }
}
