//! The workload: organizers created, updated and deleted over the fault window, some of them
//! getting an out-of-band meeting the moment their deletion is requested. `Book` is what the
//! cluster should end up with, the only truth the verdict compares against.
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use goto_operator::simulator::OrganizerStatus;
use goto_operator::simulator::SeedMeeting;
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
    /// A meeting that appeared out of band while its deletion was pending (must not be cancelled).
    pub meeting: Option<String>,
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
                let desired = Desired {
                    last_name: "Gen0".into(),
                    ..Desired::default()
                };
                book.lock().insert(name.clone(), desired);
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
                let last_name = format!("Gen{generation}");
                errors += retry(&format!("update {name}"), || async {
                    env.organizers()
                        .patch(
                            &name,
                            &kube::api::PatchParams::default(),
                            &kube::api::Patch::Merge(json!({"spec": {"lastName": last_name}})),
                        )
                        .await
                })
                .await;
                if let Some(d) = book.lock().get_mut(&name) {
                    d.last_name = last_name;
                }
            }
            Step::Delete(name, with_meeting) => {
                if let Some(d) = book.lock().get_mut(&name) {
                    d.deleted = true;
                }
                errors += retry(&format!("delete {name}"), || async {
                    match env
                        .organizers()
                        .delete(&name, &kube::api::DeleteParams::default())
                        .await
                    {
                        Err(kube::Error::Api(e)) if e.code == 404 => Ok(()),
                        other => other.map(drop),
                    }
                })
                .await;
                if with_meeting {
                    let meeting = book_a_meeting(&env, &name);
                    if let Some(d) = book.lock().get_mut(&name) {
                        d.meeting = meeting;
                    }
                }
            }
        }
    }
    errors
}

/// The person books a meeting right as their offboarding starts, if their seat is still active
/// (a suspended organizer cannot book).
fn book_a_meeting(env: &Env, name: &str) -> Option<String> {
    let organizer = env.sim.organizer_by_email(&format!("{name}@example.com"))?;
    if organizer.status != OrganizerStatus::Active {
        return None;
    }
    let start = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    let end = start + jiff::SignedDuration::from_hours(1);
    Some(env.sim.add_meeting(
        &organizer.organizer_key,
        SeedMeeting::new(&format!("booked while {name} was offboarded"), start, end),
    ))
}

/// Removes every meeting the workload booked (a person reassigned them); returns how many.
pub fn reassign_meetings(env: &Env, book: &Book) -> usize {
    book.snapshot()
        .values()
        .filter_map(|d| d.meeting.as_deref())
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
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(e) => panic!("{what}: still failing after a minute: {e}"),
        }
    }
}

fn tracing_free_note(what: &str, e: &kube::Error) {
    eprintln!("chaos: {what}: {e} (retrying)");
}
