//! Issue 22: what the operator holds per organizer, counted byte by byte. A counting global
//! allocator (this test binary's own) measures two costs that grow with the number of
//! organizers and that docs/benchmarks-notes.md traced the 20,000-organizer peak RSS to:
//!
//! - one GoToOrganizer as the watch cache keeps it (`controller::cached`): 1,266 bytes of heap
//!   for a Ready organizer; 1,594 with its lists as deserialised (the cache's shrinking taken
//!   out), 64 more with the rare meeting audit inline rather than boxed;
//! - the seat inventory of 20,000 organizers, built once per account reconcile
//!   (`controller::seats`): 5.2 MiB at its peak; 10.8 MiB before the claims borrowed from the
//!   objects (this test, run on 7e9209a's `ownership`).
//!
//! Requested bytes, not the allocator's size classes: the budgets hold on any allocator.
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use goto_operator::controller::cached::Cached;
use goto_operator::controller::seats;
use goto_operator::crd::{GoToAccount, GoToOrganizer};
use goto_operator::goto::{DirectorySnapshot, ListedOrganizer, OrganizerKey, OrganizerStatus};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use serde_json::json;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// The counters are the process's: one measurement at a time.
static SERIAL: Mutex<()> = Mutex::new(());

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(live, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// What `f` leaves allocated, and the most it had allocated at once, in bytes.
fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let start = LIVE.load(Ordering::SeqCst);
    PEAK.store(start, Ordering::SeqCst);
    let value = f();
    let kept = LIVE.load(Ordering::SeqCst).saturating_sub(start);
    let peak = PEAK.load(Ordering::SeqCst).saturating_sub(start);
    (value, kept, peak)
}

/// A Ready organizer as the API server serves it to the watch.
fn served(i: usize) -> String {
    json!({
        "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
        "metadata": {
            "name": format!("steady-{i:05}"), "namespace": "bench",
            "uid": format!("3f1c2a4e-1b2c-4d5e-8f90-{i:012}"),
            "resourceVersion": format!("{}", 1_000_000 + i), "generation": 1,
            "creationTimestamp": "2026-12-02T10:00:00Z",
            "finalizers": ["goto-operator.dev/cleanup"],
            "managedFields": [{"manager": "bench", "operation": "Apply",
                "apiVersion": "goto-operator.dev/v1alpha1", "time": "2026-12-02T10:00:00Z",
                "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:email": {}}}}],
        },
        "spec": {"accountRef": {"name": "acme"}, "email": format!("steady-{i:05}@example.com"),
                 "firstName": "Bench", "lastName": format!("Seat {i}")},
        "status": {
            "organizerKey": format!("80123456780{i:05}"), "accountKey": "7012345678901234567",
            "state": "ACTIVE", "maxParticipants": 250, "observedGeneration": 1,
            "lastSyncedAt": "2026-12-02T10:00:01Z",
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "Reconciled",
                 "message": format!("organizer 80123456780{i:05} is active"),
                 "observedGeneration": 1, "lastTransitionTime": "2026-12-02T10:00:01Z"},
                {"type": "Synced", "status": "True", "reason": "InSync",
                 "message": "GoTo matches the spec",
                 "observedGeneration": 1, "lastTransitionTime": "2026-12-02T10:00:01Z"}],
        },
    })
    .to_string()
}

#[test]
fn a_cached_organizer_costs_at_most_1400_bytes() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let texts: Vec<String> = (0..1000).map(served).collect();
    let mut cache = Vec::with_capacity(texts.len());
    let ((), kept, _) = measure(|| {
        for text in &texts {
            let mut o: GoToOrganizer = serde_json::from_str(text).expect("an organizer");
            o.slim();
            cache.push(std::sync::Arc::new(o));
        }
    });
    let per_organizer = kept / texts.len();
    println!("a cached Ready organizer: {per_organizer} bytes of heap");
    assert!(
        per_organizer <= 1400,
        "a cached organizer holds {per_organizer} bytes (1,266 after issue 22's cut, 1,658 before)"
    );
}

#[test]
fn the_seat_inventory_of_20000_organizers_peaks_under_6_mib() {
    let _one = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let n = 20_000;
    let organizers: Vec<GoToOrganizer> = (0..n)
        .map(|i| serde_json::from_str(&served(i)).expect("an organizer"))
        .collect();
    let account: GoToAccount = serde_json::from_value(json!({
        "apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToAccount",
        "metadata": {"name": "acme", "namespace": "bench"},
        "spec": {"accountKey": "7012345678901234567", "credentialsSecretRef": {"name": "goto"}},
    }))
    .expect("an account");
    let listed: Vec<ListedOrganizer> = (0..n)
        .map(|i| ListedOrganizer {
            organizer_key: OrganizerKey::new(format!("80123456780{i:05}")),
            email: format!("steady-{i:05}@example.com"),
            status: Some(OrganizerStatus::Active),
        })
        .collect();
    let now = Time(jiff::Timestamp::now());
    // As the account reconcile does it: the directory's snapshot, then the counts.
    let (seats, _, peak) = measure(|| {
        let snapshot = DirectorySnapshot::of(listed.iter().cloned(), std::time::Duration::ZERO);
        let all: Vec<&GoToOrganizer> = organizers.iter().collect();
        seats::count(&account, &snapshot, &all, now)
    });
    let mib = peak as f64 / (1024.0 * 1024.0);
    println!("the seat inventory of {n} organizers: {mib:.2} MiB at its peak");
    assert_eq!((seats.in_goto, seats.managed), (20_000, 20_000));
    assert!(
        mib < 6.0,
        "the seat inventory took {mib:.2} MiB (5.2 after issue 22's cut, 10.8 before)"
    );
}
