//! `goto-operator plan -f FILE|DIR [--delete]`: what reconciling (or deleting) these
//! GoToOrganizer manifests would do, object by object, before anything happens.
//!
//! It is not a second implementation of the controller: each object goes through the
//! controller's own `observe` (reading GoTo and the cluster, writing neither) and its pure
//! `decide`, and the resulting [`Plan`] is printed as the controller would carry it out. The
//! controller's shared state is rebuilt for the preview from one listing of every GoToOrganizer
//! and GoToAccount in the cluster, so cluster-wide ownership (`OwnedElsewhere`) is judged exactly
//! as the controller judges it.
//!
//! Exit code, like `terraform plan -detailed-exitcode`: 0 nothing would be written to GoTo,
//! 2 something would, 1 the preview could not be made (a file, the cluster, or GoTo could not be
//! read, so the outcome is unknown).
//!
//! ```text
//! $ goto-operator plan -f team/
//! GoToOrganizer it/jane-doe: update lastName: "Doe" -> "Smith"
//! GoToOrganizer it/new-hire: create organizer for new.hire@example.com, then set locale
//! GoToOrganizer it/sam-taylor: nothing
//! 2 of 3 object(s) would write to GoTo
//! ```
mod manifests;

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::ListParams;
use kube::runtime::reflector::{self, Store};
use kube::runtime::watcher;
use kube::{Api, Client, Resource, ResourceExt};

use crate::cli::PlanArgs;
use crate::controller::clients::AccountClients;
use crate::controller::organizer::View;
use crate::controller::organizer::observe::observe;
use crate::controller::organizer::{Plan, decide};
use crate::controller::ownership::ClaimIndex;
use crate::crd::organizer::FINALIZER;
use crate::crd::{GoToAccount, GoToOrganizer};
use crate::goto::{Meeting, Unobserved};

/// What the preview says about one object.
#[derive(Debug)]
pub enum Outcome {
    /// The controller's plan.
    Plan(Box<Plan>),
    /// Nothing reaches the controller (e.g. deleting an object that is not in the cluster).
    Note(String),
}

impl Outcome {
    /// Whether carrying it out writes to GoTo.
    pub fn writes(&self) -> bool {
        matches!(self, Outcome::Plan(plan) if plan.writes())
    }

    /// Whether the outcome is unknown because something could not be read.
    pub fn unknown(&self) -> bool {
        matches!(self, Outcome::Plan(plan) if plan.undecided())
    }
}

/// Runs `goto-operator plan`; returns the process exit code.
pub async fn run(args: PlanArgs) -> crate::Result<i32> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let kube = Client::try_default()
        .await
        .map_err(|e| crate::Error::Invalid(format!("cannot use the kubeconfig: {e}")))?;
    let namespace = args
        .namespace
        .clone()
        .unwrap_or_else(|| kube.default_namespace().to_string());
    let (objects, skipped) = manifests::read(&args.filename, &namespace)?;
    for what in skipped {
        eprintln!("note: skipping {what} (plan previews GoToOrganizers)");
    }
    if objects.is_empty() {
        return Err(crate::Error::Invalid(format!(
            "no GoToOrganizer in {}",
            args.filename
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let ctx = context(&kube).await?;
    let now = jiff::Timestamp::now();
    let (mut writing, mut unknown) = (0, 0);
    for manifest in &objects {
        let outcome = preview(&ctx, manifest, args.delete, now).await?;
        print!("{}", render(manifest, &outcome));
        writing += usize::from(outcome.writes());
        unknown += usize::from(outcome.unknown());
    }
    println!(
        "{writing} of {} object(s) would write to GoTo{}",
        objects.len(),
        if unknown > 0 {
            format!("; {unknown} could not be previewed (GoTo or the cluster could not be read)")
        } else {
            String::new()
        }
    );
    Ok(if unknown > 0 {
        1
    } else if writing > 0 {
        2
    } else {
        0
    })
}

/// The outcome for one manifest: the live object (if any) with the manifest's spec and
/// annotations, as `kubectl apply` would leave it, or, with `delete`, the live object marked
/// for deletion.
pub async fn preview(
    ctx: &View,
    manifest: &GoToOrganizer,
    delete: bool,
    now: jiff::Timestamp,
) -> crate::Result<Outcome> {
    let api: Api<GoToOrganizer> =
        Api::namespaced(ctx.kube.clone(), &manifest.namespace().unwrap_or_default());
    let live = api.get_opt(&manifest.name_any()).await?;
    let obj = match (delete, live) {
        (true, None) => {
            return Ok(Outcome::Note(
                "nothing (not in the cluster, nothing to delete)".into(),
            ));
        }
        (true, Some(live)) if !live.finalizers().iter().any(|f| f == FINALIZER) => {
            return Ok(Outcome::Note(
                "nothing (the operator never took it on: it goes at once, GoTo untouched)".into(),
            ));
        }
        (true, Some(mut live)) => {
            live.meta_mut().deletion_timestamp = Some(Time(now));
            live
        }
        (false, live) => applied(manifest, live, now),
    };
    let observation = observe(&obj, ctx.facts(&obj), ctx).await;
    Ok(Outcome::Plan(Box::new(decide(
        &observation.observed,
        &obj.spec,
        now,
    ))))
}

/// The object as it would be after `kubectl apply` of `manifest`: a new object is the youngest
/// (created now), an existing one keeps its identity, status and other annotations.
fn applied(
    manifest: &GoToOrganizer,
    live: Option<GoToOrganizer>,
    now: jiff::Timestamp,
) -> GoToOrganizer {
    let mut obj = manifest.clone();
    match live {
        None => {
            obj.metadata.creation_timestamp = Some(Time(now));
            obj.metadata.generation = Some(1);
        }
        Some(live) => {
            let mut annotations = live.metadata.annotations.clone().unwrap_or_default();
            annotations.extend(manifest.metadata.annotations.clone().unwrap_or_default());
            obj.metadata = live.metadata;
            obj.metadata.annotations = Some(annotations);
            obj.status = live.status;
        }
    }
    obj
}

/// Upper bound of one request to GoTo from `plan`.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// What `observe` reads, rebuilt from one listing of the cluster.
async fn context(kube: &Client) -> crate::Result<View> {
    let organizers = listed::<GoToOrganizer>(kube).await?;
    let claim_index = ClaimIndex::of(organizers.state().iter().map(AsRef::as_ref));
    let accounts = listed::<GoToAccount>(kube).await?;
    let clients = AccountClients::new(Arc::new(Unobserved), REQUEST_TIMEOUT);
    let mut view = View::new(kube.clone(), Arc::new(clients), organizers, accounts);
    view.claim_index = claim_index;
    Ok(view)
}

/// A reflector store holding every object of kind `K` in the cluster.
async fn listed<K>(kube: &Client) -> crate::Result<Store<K>>
where
    K: Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let items = Api::<K>::all(kube.clone())
        .list(&ListParams::default())
        .await
        .map_err(|e| {
            crate::Error::Invalid(format!(
                "cannot list {}s in all namespaces (plan judges ownership cluster-wide, as the controller does): {e}",
                K::kind(&())
            ))
        })?
        .items;
    let (store, mut writer) = reflector::store();
    writer.apply_watcher_event(&watcher::Event::Init);
    for item in items {
        writer.apply_watcher_event(&watcher::Event::InitApply(item));
    }
    writer.apply_watcher_event(&watcher::Event::InitDone);
    Ok(store)
}

/// The lines printed for one object: the plan, then every meeting a deletion would cancel or is
/// blocked by.
pub fn render(manifest: &GoToOrganizer, outcome: &Outcome) -> String {
    let mut out = format!(
        "GoToOrganizer {}/{}: ",
        manifest.namespace().unwrap_or_default(),
        manifest.name_any()
    );
    match outcome {
        Outcome::Note(note) => out.push_str(note),
        Outcome::Plan(plan) => out.push_str(&plan.describe()),
    }
    out.push('\n');
    if let Outcome::Plan(plan) = outcome
        && let Some(meetings) = plan.audit()
    {
        for m in meetings {
            out.push_str(&format!("    {}\n", meeting_line(m)));
        }
    }
    out
}

fn meeting_line(m: &Meeting) -> String {
    match &m.start_time {
        Some(start) => format!("meeting {} {:?} at {start}", m.meeting_id, m.subject),
        None => format!("meeting {} {:?}", m.meeting_id, m.subject),
    }
}
