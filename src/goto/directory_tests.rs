use super::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn organizer(key: &str, email: &str) -> ListedOrganizer {
    ListedOrganizer {
        organizer_key: OrganizerKey::new(key),
        email: email.into(),
        status: Some(OrganizerStatus::Active),
    }
}

/// A fake account: a listing takes 500 ms (five pages at 10/s) and is counted.
#[derive(Clone, Default)]
struct Account {
    organizers: Arc<Mutex<Vec<ListedOrganizer>>>,
    listings: Arc<AtomicUsize>,
    fail: Arc<std::sync::atomic::AtomicBool>,
}

impl Account {
    fn with(organizers: Vec<ListedOrganizer>) -> Self {
        let account = Account::default();
        *account.organizers.lock().unwrap() = organizers;
        account
    }

    async fn list(&self) -> Result<Vec<ListedOrganizer>, Error> {
        self.listings.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(500)).await;
        if self.fail.load(Ordering::SeqCst) {
            return Err(Error::Transient("HTTP 503".into()));
        }
        Ok(self.organizers.lock().unwrap().clone())
    }

    fn listings(&self) -> usize {
        self.listings.load(Ordering::SeqCst)
    }
}

async fn find(dir: &Directory, account: &Account, email: &str) -> Option<ListedOrganizer> {
    dir.lookup(email, dir.fresh_enough(), || account.list())
        .await
        .unwrap()
}

#[tokio::test(start_paused = true)]
async fn concurrent_lookups_share_one_listing() {
    let account = Account::with(
        (0..250)
            .map(|i| organizer(&format!("{}", 1000 + i), &format!("user{i}@example.com")))
            .collect(),
    );
    let dir = Arc::new(Directory::new(Duration::from_secs(60)));
    let lookups: Vec<_> = (0..50)
        .map(|i| {
            let (dir, account) = (dir.clone(), account.clone());
            tokio::spawn(async move {
                // Case and spaces do not matter; half of them ask for people not there.
                let email = format!("  USER{}@Example.com ", i * 10);
                find(&dir, &account, &email).await
            })
        })
        .collect();
    let mut found = 0;
    for lookup in lookups {
        found += usize::from(lookup.await.unwrap().is_some());
    }
    assert_eq!(found, 25);
    assert_eq!(account.listings(), 1, "N concurrent lookups, one listing");
    // And later lookups within the age bound cost nothing.
    assert!(find(&dir, &account, "user7@example.com").await.is_some());
    assert_eq!(account.listings(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_old_index_is_listed_again() {
    let account = Account::with(vec![organizer("1", "a@example.com")]);
    let dir = Directory::new(Duration::from_secs(60));
    assert!(find(&dir, &account, "b@example.com").await.is_none());
    // Created outside the operator: seen once the index is older than the bound.
    account
        .organizers
        .lock()
        .unwrap()
        .push(organizer("2", "b@example.com"));
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert!(find(&dir, &account, "b@example.com").await.is_none());
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert!(find(&dir, &account, "b@example.com").await.is_some());
    assert_eq!(account.listings(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_listing_again_replaces_the_whole_index() {
    // The index is refilled in place: what the new listing lacks must not survive it.
    let account = Account::with(vec![
        organizer("1", "a@example.com"),
        organizer("2", "b@example.com"),
    ]);
    let dir = Directory::new(Duration::from_secs(60));
    assert!(find(&dir, &account, "b@example.com").await.is_some());
    // Outside the operator: b deleted, a's email given to a new organizer 3.
    *account.organizers.lock().unwrap() = vec![organizer("3", "a@example.com")];
    tokio::time::sleep(Duration::from_secs(61)).await;
    assert!(find(&dir, &account, "b@example.com").await.is_none());
    let a = find(&dir, &account, "a@example.com").await.expect("a");
    assert_eq!(a.organizer_key, OrganizerKey::new("3"));
    let snapshot = dir.cached_snapshot().expect("listed");
    assert_eq!((snapshot.count, snapshot.entries.len()), (1, 1));
    assert_eq!(account.listings(), 2);
}

#[tokio::test(start_paused = true)]
async fn creates_and_deletes_update_the_index_without_listing() {
    let account = Account::with(vec![organizer("1", "a@example.com")]);
    let dir = Directory::new(Duration::from_secs(60));
    assert!(find(&dir, &account, "new@example.com").await.is_none());
    // A create whose answer carried only the key and status: indexed by the email sent.
    let created = organizer("2", "New@Example.com");
    dir.record(Change::Upsert(created));
    assert_eq!(
        find(&dir, &account, "new@example.com")
            .await
            .map(|o| o.organizer_key),
        Some(OrganizerKey::new("2"))
    );
    dir.record(Change::Remove(OrganizerKey::new("1")));
    assert!(find(&dir, &account, "a@example.com").await.is_none());
    // An email change moves the entry.
    dir.record(Change::Upsert(organizer("2", "renamed@example.com")));
    assert!(find(&dir, &account, "new@example.com").await.is_none());
    assert!(find(&dir, &account, "renamed@example.com").await.is_some());
    dir.record(Change::Status(
        OrganizerKey::new("2"),
        OrganizerStatus::Suspended,
    ));
    let snapshot = dir.cached_snapshot().unwrap();
    assert_eq!((snapshot.count, snapshot.suspended), (1, 1));
    assert_eq!(snapshot.entries[0].email, "renamed@example.com");
    assert_eq!(account.listings(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_change_made_during_a_listing_survives_it() {
    let account = Account::with(vec![organizer("1", "a@example.com")]);
    let dir = Arc::new(Directory::new(Duration::from_secs(60)));
    let listing = {
        let (dir, account) = (dir.clone(), account.clone());
        tokio::spawn(async move { find(&dir, &account, "x@example.com").await })
    };
    // The listing has read its pages; meanwhile this process creates one organizer and
    // deletes another.
    tokio::time::sleep(Duration::from_millis(100)).await;
    dir.record(Change::Upsert(organizer("2", "b@example.com")));
    dir.record(Change::Remove(OrganizerKey::new("1")));
    assert!(listing.await.unwrap().is_none());
    assert!(find(&dir, &account, "b@example.com").await.is_some());
    assert!(find(&dir, &account, "a@example.com").await.is_none());
    assert_eq!(account.listings(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_fresh_lookup_lists_again_even_when_the_index_is_young() {
    let account = Account::with(vec![organizer("1", "a@example.com")]);
    let dir = Directory::new(Duration::from_secs(60));
    assert!(find(&dir, &account, "b@example.com").await.is_none());
    account
        .organizers
        .lock()
        .unwrap()
        .push(organizer("2", "b@example.com"));
    let fresh = dir
        .lookup("b@example.com", Instant::now(), || account.list())
        .await
        .unwrap();
    assert!(fresh.is_some());
    assert_eq!(account.listings(), 2);
}

#[tokio::test(start_paused = true)]
async fn waiters_behind_a_failed_listing_share_its_error() {
    let account = Account::with(vec![organizer("1", "a@example.com")]);
    account.fail.store(true, Ordering::SeqCst);
    let dir = Arc::new(Directory::new(Duration::from_secs(60)));
    let lookups: Vec<_> = (0..10)
        .map(|_| {
            let (dir, account) = (dir.clone(), account.clone());
            tokio::spawn(async move {
                dir.lookup("a@example.com", dir.fresh_enough(), || account.list())
                    .await
            })
        })
        .collect();
    for lookup in lookups {
        assert!(matches!(lookup.await.unwrap(), Err(Error::Transient(_))));
    }
    assert_eq!(account.listings(), 1);
    // The next lookup tries again.
    account.fail.store(false, Ordering::SeqCst);
    assert!(find(&dir, &account, "a@example.com").await.is_some());
}

#[tokio::test(start_paused = true)]
async fn snapshots_list_when_needed_and_order_keys_numerically() {
    let account = Account::with(vec![
        organizer("10", "b@example.com"),
        organizer("9", "a@example.com"),
    ]);
    let dir = Directory::new(Duration::from_secs(60));
    assert!(dir.cached_snapshot().is_none());
    let snapshot = dir
        .snapshot(dir.fresh_enough(), || account.list())
        .await
        .unwrap();
    let keys: Vec<&str> = snapshot
        .entries
        .iter()
        .map(|e| e.organizer_key.as_str())
        .collect();
    assert_eq!(keys, vec!["9", "10"]);
    assert_eq!((snapshot.count, snapshot.suspended), (2, 0));
}
