//! The workload: organizers created, updated and deleted over the fault window, some of them
//! getting an out-of-band meeting the moment their deletion is requested. `Book` is what the
//! cluster should end up with, the only truth the verdict compares against.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use goto_operator::simulator::{OrganizerStatus, SeedMeeting, SeedOrganizer};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::json;
use tokio::time::Instant;

use crate::harness::Env;
use crate::profile::Profile;

/// What one organizer should be in the end.
#[derive(Clone, Debug, Default)]
pub struct Desired {
    pub last_name: String,
    pub created: bool,
    pub deleted: bool,
    /// Meetings that block its deletion (must not be cancelled): one booked out of band the
    /// moment its deletion was requested, or one its adopted seat already had.
    pub meetings: Vec<String>,
    /// Its seat existed in GoTo before the object was applied (adopted by email).
    pub adopted: bool,
}

#[derive(Clone, Default)]
pub struct Book(Arc<Mutex<BTreeMap<String, Desired>>>);

impl Book {
    pub fn snapshot(&self) -> BTreeMap<String, Desired> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Desired>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[derive(Debug)]
enum Step {
    Create(String),
    Update(String, u32),
    Delete(String, bool),
}

/// The workload's schedule: creates over the first 60% of the window, updates and deletes after
/// each create, all before 90% of it.
fn schedule(profile: &Profile, rng: &mut StdRng) -> Vec<(Duration, Step)> {
    let w = profile.window.as_secs_f64();
    let mut steps = Vec::new();
    for i in 0..profile.organizers {
        let name = format!("chaos-{i:03}");
        let created = w * 0.6 * (i as f64) / (profile.organizers as f64);
        steps.push((created, Step::Create(name.clone())));
        if rng.random_bool(0.5) {
            let at = rng.random_range(created + 1.0..w * 0.85);
            steps.push((at, Step::Update(name.clone(), 1)));
            if rng.random_bool(0.3) {
                steps.push((
                    rng.random_range(at..w * 0.88),
                    Step::Update(name.clone(), 2),
                ));
            }
        }
        if rng.random_bool(0.35) {
            let at = rng.random_range(created + 3.0..w * 0.9);
            steps.push((at, Step::Delete(name, rng.random_bool(0.4))));
        }
    }
    steps.sort_by(|a, b| a.0.total_cmp(&b.0));
    steps
        .into_iter()
        .map(|(at, step)| (Duration::from_secs_f64(at), step))
        .collect()
}

/// Runs the schedule; every Kubernetes call is retried through API-server restarts. Returns how
/// many calls failed at least once.
pub async fn drive(env: Arc<Env>, book: Book, profile: Profile) -> usize {
    let mut rng = StdRng::seed_from_u64(profile.seed);
    let steps = schedule(&profile, &mut rng);
    let started = Instant::now();
    let mut errors = 0;
    for (at, step) in steps {
        tokio::time::sleep_until(started + at).await;
        match step {
            Step::Create(name) => {
                book.lock().entry(name.clone()).or_default().last_name = "Gen0".into();
                errors += retry(&format!("create {name}"), || {
                    env.apply_organizer(&name, json!({"lastName": "Gen0"}))
                })
                .await;
                if let Some(d) = book.lock().get_mut(&name) {
                    d.created = true;
                }
            }
            Step::Update(name, generation) => {
                if book.lock().get(&name).is_some_and(|d| d.deleted) {
                    continue;
                }
                errors += update(&env, &book, &name, &format!("Gen{generation}")).await;
            }
            Step::Delete(name, with_meeting) => {
                if book.lock().get(&name).is_some_and(|d| d.deleted) {
                    continue;
                }
                errors += delete(&env, &book, &name).await;
                if with_meeting {
                    book_a_meeting(&env, &book, &name);
                }
            }
        }
    }
    errors
}

/// Seats that exist in GoTo before their objects are applied: the first `profile.adopted`
/// names of the workload, every third with a meeting in three days (which blocks its deletion
/// until a person reassigns it at the end). The operator adopts them by email.
pub fn seed_adopted(env: &Env, book: &Book, profile: &Profile) {
    for i in 0..profile.adopted.min(profile.organizers) {
        let name = format!("chaos-{i:03}");
        let mut seat = SeedOrganizer::new(&format!("{name}@example.com"), "Test", "Before");
        let mut desired = Desired {
            last_name: "Gen0".into(),
            adopted: true,
            ..Desired::default()
        };
        if i % 3 == 0 {
            let start = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(72);
            seat.meetings.push(SeedMeeting::new(
                &format!("planned before {name} was adopted"),
                start,
                start + jiff::SignedDuration::from_hours(1),
            ));
        }
        let key = env.sim.insert_organizer(seat);
        desired.meetings = env
            .sim
            .meetings()
            .into_iter()
            .filter(|m| m.organizer_key == key)
            .map(|m| m.meeting_id)
            .collect();
        book.lock().insert(name, desired);
    }
}

/// While the kube-apiserver restarts: deletes half of `n` live objects (booking a meeting for
/// every other one, as a person still planning would) and updates the other half, each call
/// retried until the API server answers again, so they land as the operator's watches
/// reconnect. Returns (deletes, updates) issued.
pub async fn during_restart(
    env: &Env,
    book: &Book,
    restart: usize,
    n: usize,
    seed: u64,
) -> (usize, usize) {
    let mut rng = StdRng::seed_from_u64(seed ^ (restart as u64).wrapping_mul(0x9e37_79b9));
    let mut live: Vec<String> = book
        .snapshot()
        .into_iter()
        .filter(|(_, d)| d.created && !d.deleted)
        .map(|(name, _)| name)
        .collect();
    let mut picked = Vec::new();
    while picked.len() < n && !live.is_empty() {
        picked.push(live.swap_remove(rng.random_range(0..live.len())));
    }
    let (deletes, updates) = picked.split_at(picked.len() / 2);
    let last_name = format!("Restart{restart}");
    let calls = deletes
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let name = name.clone();
            async move {
                delete(env, book, &name).await;
                if i % 2 == 0 {
                    book_a_meeting(env, book, &name);
                }
            }
            .boxed()
        })
        .chain(updates.iter().map(|name| {
            let (name, last_name) = (name.clone(), last_name.clone());
            async move {
                update(env, book, &name, &last_name).await;
            }
            .boxed()
        }));
    futures::future::join_all(calls).await;
    (deletes.len(), updates.len())
}

/// Sets `spec.lastName` (retried through API-server restarts); returns 1 when a call failed.
async fn update(env: &Env, book: &Book, name: &str, last_name: &str) -> usize {
    let failed = retry(&format!("update {name}"), || async {
        env.organizers()
            .patch(
                name,
                &kube::api::PatchParams::default(),
                &kube::api::Patch::Merge(json!({"spec": {"lastName": last_name}})),
            )
            .await
    })
    .await;
    if let Some(d) = book.lock().get_mut(name) {
        d.last_name = last_name.to_string();
    }
    failed
}

/// Deletes the object (retried through API-server restarts); returns 1 when a call failed.
async fn delete(env: &Env, book: &Book, name: &str) -> usize {
    if let Some(d) = book.lock().get_mut(name) {
        d.deleted = true;
    }
    retry(&format!("delete {name}"), || async {
        match env
            .organizers()
            .delete(name, &kube::api::DeleteParams::default())
            .await
        {
            Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
            other => other.map(drop),
        }
    })
    .await
}

/// The person books a meeting right as their offboarding starts, if their seat is still active
/// (a suspended organizer cannot book).
fn book_a_meeting(env: &Env, book: &Book, name: &str) {
    let Some(organizer) = env.sim.organizer_by_email(&format!("{name}@example.com")) else {
        return;
    };
    if organizer.status != OrganizerStatus::Active {
        return;
    }
    let start = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    let end = start + jiff::SignedDuration::from_hours(1);
    let meeting = env.sim.add_meeting(
        &organizer.organizer_key,
        SeedMeeting::new(&format!("booked while {name} was offboarded"), start, end),
    );
    if let Some(d) = book.lock().get_mut(name) {
        d.meetings.push(meeting);
    }
}

/// Removes every meeting that blocks a deletion (a person reassigned them); returns how many.
pub fn reassign_meetings(env: &Env, book: &Book) -> usize {
    book.snapshot()
        .values()
        .filter(|d| d.deleted)
        .flat_map(|d| d.meetings.clone())
        .filter(|id| env.sim.remove_meeting(id))
        .count()
}

/// Retries a Kubernetes call (the API server restarts under us) for up to a minute; returns 1 when
/// it failed at least once.
async fn retry<F, Fut, T>(what: &str, mut call: F) -> usize
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, kube::Error>>,
{
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut failed = 0;
    loop {
        match call().await {
            Ok(_) => return failed,
            Err(e) if Instant::now() < deadline => {
                failed = 1;
                tracing_free_note(what, &e);
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{what}: still failing after a minute: {e}"),
        }
    }
}

fn tracing_free_note(what: &str, e: &kube::Error) {
    eprintln!("chaos: {what}: {e} (retrying)");
}
