//! The write fence: once closed, no request that can change GoTo leaves the client; reads go on.
use super::*;
use goto_operator::goto::WriteFence;
use std::sync::atomic::{AtomicBool, Ordering};

#[tokio::test]
async fn a_closed_fence_stops_every_write_and_no_read() {
    let sim = start(SimConfig::default()).await;
    let key =
        OrganizerKey::new(sim.insert_organizer(SeedOrganizer::new("a@example.com", "A", "B")));
    let open = Arc::new(AtomicBool::new(true));
    let mut config = config(&sim);
    let flag = open.clone();
    let fence: WriteFence = Arc::new(move || flag.load(Ordering::SeqCst));
    config.write_fence = Some(fence);
    let client = GoToClient::new(config).unwrap();

    client
        .suspend_organizer(&key)
        .await
        .expect("open fence: writes pass");
    assert_eq!(api_requests(&sim, "PUT").len(), 1);

    open.store(false, Ordering::SeqCst);
    sim.clear_requests();
    let created = client
        .create_organizer(&new_organizer("new@example.com"))
        .await;
    assert!(matches!(created, Err(Error::Transient(_))), "{created:?}");
    let suspended = client.suspend_organizer(&key).await;
    assert!(
        matches!(suspended, Err(Error::Transient(_))),
        "{suspended:?}"
    );
    let deleted = client.delete_organizer(&key).await;
    assert!(matches!(deleted, Err(Error::Transient(_))), "{deleted:?}");
    let writes: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.method != "GET" && r.path.starts_with("/G2M/"))
        .collect();
    assert!(
        writes.is_empty(),
        "a write passed the closed fence: {writes:?}"
    );
    // Reads are not writes: observing GoTo stays possible.
    client.get_organizer(&key).await.expect("reads pass");
    assert_eq!(sim.organizers().len(), 1, "nothing created");
}
