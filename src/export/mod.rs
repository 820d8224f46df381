//! `goto-operator export`: bring a whole GoTo account under declarative management in one step.
//!
//! It reads the GoToAccount and its Secret through the kubeconfig (the very client the operator
//! builds, [`AccountClients`]), lists every organizer of that GoTo account, drops those any
//! GoToOrganizer in the cluster already claims ([`ownership`]: same GoTo account key, and the
//! same organizer key or email, in any namespace), and writes one manifest per remaining
//! organizer ([`manifest`]): the organizer-key annotation, the observed fields,
//! `managementPolicy: Observe` (or `Manage` with `--manage`) and `deletionPolicy: Orphan`.
//!
//! Applying the output writes nothing to GoTo: the annotation adopts each organizer by key and
//! the spec restates what GoTo holds, so there is no drift to correct. Exporting again afterwards
//! yields nothing, because every organizer is then claimed. Only GETs are sent to GoTo; no
//! credential is printed or written.
//!
//! ```text
//! goto-operator export --namespace it-automation --account acme > acme-organizers.yaml
//! goto-operator export --namespace it-automation --account acme --manage -o organizers/
//! ```
pub mod manifest;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use kube::api::ListParams;
use kube::{Api, Client, ResourceExt};

use crate::cli::ExportArgs;
use crate::controller::clients::AccountClients;
use crate::controller::ownership;
use crate::crd::{GoToAccount, GoToOrganizer, ManagementPolicy};
use crate::email::NormalEmail;
use crate::goto::{GoToApi, ListedOrganizer};

/// Upper bound of one HTTP exchange with GoTo during an export.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What an export found.
#[derive(Debug, Default)]
pub struct Export {
    /// One manifest per unclaimed organizer, sorted by email.
    pub manifests: Vec<GoToOrganizer>,
    /// Organizers some object already claims.
    pub claimed: usize,
    /// Organizers that cannot be written as a GoToOrganizer, with why.
    pub skipped: Vec<String>,
}

/// Runs `goto-operator export`.
pub async fn run(args: ExportArgs) -> crate::Result<()> {
    // kube's rustls needs a process-wide crypto provider; a second install is a harmless no-op.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kube = Client::try_default()
        .await
        .map_err(|e| crate::Error::Invalid(format!("cannot use the kubeconfig: {e}")))?;
    let clients = AccountClients::new(Arc::new(crate::goto::Unobserved), REQUEST_TIMEOUT);
    let (account, goto) = clients
        .resolve(&kube, &args.namespace, &args.account, false)
        .await
        .map_err(|problem| crate::Error::Invalid(problem.to_string()))?;
    let policy = if args.manage {
        ManagementPolicy::Manage
    } else {
        ManagementPolicy::Observe
    };
    let export = collect(&kube, &account, goto.as_ref(), policy).await?;
    for why in &export.skipped {
        eprintln!("warning: skipped {why}");
    }
    match &args.output_dir {
        Some(dir) => write_files(dir, &export.manifests)?,
        None => print!("{}", stream(&export.manifests)?),
    }
    eprintln!(
        "exported {} organizer(s) of GoTo account {}; {} already claimed, {} skipped",
        export.manifests.len(),
        account.spec.account_key,
        export.claimed,
        export.skipped.len()
    );
    Ok(())
}

/// Reads GoTo and the cluster and builds the manifests; writes nothing anywhere.
pub async fn collect(
    kube: &Client,
    account: &GoToAccount,
    goto: &dyn GoToApi,
    policy: ManagementPolicy,
) -> crate::Result<Export> {
    let namespace = account.namespace().unwrap_or_default();
    let all_organizers = list_all::<GoToOrganizer>(kube).await?;
    let all_accounts = list_all::<GoToAccount>(kube).await?;
    let claims = ownership::claims(&all_organizers, &all_accounts);
    let mut taken: BTreeSet<String> = all_organizers
        .iter()
        .filter(|o| o.namespace().as_deref() == Some(namespace.as_str()))
        .map(ResourceExt::name_any)
        .collect();

    let account_key = account.spec.account_key.as_str();
    let mut listed: Vec<ListedOrganizer> = goto.list().await?;
    listed.sort_by(|a, b| {
        (NormalEmail::new(&a.email), a.organizer_key.as_str())
            .cmp(&(NormalEmail::new(&b.email), b.organizer_key.as_str()))
    });
    let mut export = Export::default();
    for organizer in listed {
        let key = organizer.organizer_key.as_str();
        if ownership::claimant(&claims, account_key, key, &organizer.email).is_some() {
            export.claimed += 1;
            continue;
        }
        // The listing holds key, email and status only: the manifest restates the full record.
        // A listing moments old is as good as a read for a manifest: through v1 (whose listing
        // is full) the whole export is one call.
        let Some(organizer) = goto.read_for_drift(&organizer.organizer_key).await? else {
            // Deleted between the listing and this read: nothing left to export.
            continue;
        };
        let name = manifest::object_name(&organizer, &taken);
        // v1 cannot read locale, time zone or roles: they are left unmanaged, not said "none".
        let known = goto.capabilities().profile_updates;
        match manifest::manifest_with(
            &namespace,
            &account.name_any(),
            &name,
            &organizer,
            policy,
            known,
        ) {
            Ok(obj) => {
                taken.insert(name);
                export.manifests.push(obj);
            }
            Err(why) => export.skipped.push(why),
        }
    }
    Ok(export)
}

async fn list_all<K>(kube: &Client) -> crate::Result<Vec<K>>
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let api: Api<K> = Api::all(kube.clone());
    let kind = K::kind(&());
    api.list(&ListParams::default())
        .await
        .map(|list| list.items)
        .map_err(|e| {
            crate::Error::Invalid(format!(
                "cannot list {kind}s in all namespaces (export checks that no object anywhere claims an organizer): {e}"
            ))
        })
}

/// The manifests as one YAML stream.
pub fn stream(manifests: &[GoToOrganizer]) -> crate::Result<String> {
    let mut out = String::new();
    for obj in manifests {
        out.push_str("---\n");
        out.push_str(&manifest::to_yaml(obj).map_err(crate::Error::Invalid)?);
    }
    Ok(out)
}

/// One `<name>.yaml` per manifest in `dir`.
fn write_files(dir: &Path, manifests: &[GoToOrganizer]) -> crate::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| crate::Error::io(format!("creating {}", dir.display()), e))?;
    for obj in manifests {
        let path = dir.join(format!("{}.yaml", obj.name_any()));
        let yaml = manifest::to_yaml(obj).map_err(crate::Error::Invalid)?;
        std::fs::write(&path, yaml)
            .map_err(|e| crate::Error::io(format!("writing {}", path.display()), e))?;
    }
    Ok(())
}
