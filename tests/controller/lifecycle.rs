//! Create, adopt, update, drift, suspend/resume, re-create, Observe and pause.
use goto_operator::simulator::{OrganizerStatus, SeedOrganizer, SimConfig};
use serde_json::json;

use crate::harness::{Env, OperatorOptions, condition, organizer_key, through_v1};
use crate::wire::{self, Job};

#[tokio::test]
async fn creates_then_sets_locale_with_one_full_put_and_then_writes_nothing() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer(
        "jane",
        json!({"locale": "fr_FR", "timeZone": "Europe/Paris"}),
    )
    .await
    .expect("apply");
    let o = env.wait_ready("jane", "True", "Reconciled").await;
    let key = organizer_key(&o);
    if through_v1() {
        // v1 sends keys as JSON numbers: above 2^53 they survive only if never read as f64.
        assert!(
            key.parse::<u64>().is_ok_and(|k| k > 1 << 53),
            "v1 keys exceed f64's exact range and must survive: {key}"
        );
    } else {
        assert!(
            key.parse::<u64>().is_err(),
            "simulator keys exceed u64 and must survive: {key}"
        );
    }
    // v2 sets locale and time zone with a full PUT after the create; v1 cannot set them at all:
    // they are never sent and reported instead.
    let o = if through_v1() {
        wire::wait_not_supported(&env, "jane", &["locale", "timeZone"]).await
    } else {
        assert_eq!(condition(&o, "Synced").map(|c| c.1), Some("InSync".into()));
        o
    };
    let sim = env.sim.organizer(&key).expect("organizer in GoTo");
    assert_eq!(sim.email, "jane@example.com");
    if through_v1() {
        assert!(
            sim.locale != "fr_FR" && sim.time_zone != "Europe/Paris",
            "v1 has no way to set them: {sim:?}"
        );
    } else {
        assert_eq!(
            (sim.locale.as_str(), sim.time_zone.as_str()),
            ("fr_FR", "Europe/Paris")
        );
    }
    let status = o.status.clone().expect("status");
    assert_eq!(status.state.as_deref(), Some("ACTIVE"));
    assert_eq!(
        status.account_key.as_deref(),
        Some(env.sim.account_key().as_str())
    );
    assert_eq!(status.observed_generation, o.metadata.generation);
    let writes = env.goto_writes();
    let create = env.sim.writes().into_iter().next().expect("a create");
    assert!(wire::is(Job::Create, &create), "{writes:?}");
    for field in wire::create_fields() {
        let body = create.body.as_ref().expect("create body");
        assert!(body.get(field).is_some(), "create lacks {field}: {body}");
    }
    if through_v1() {
        assert_eq!(
            writes.len(),
            1,
            "one create, nothing v1 cannot carry: {writes:?}"
        );
    } else {
        assert_eq!(writes.len(), 2, "one create and one full PUT: {writes:?}");
        assert_eq!(writes[1], wire::line(&env, Job::Update, &key), "{writes:?}");
        let put = env
            .sim
            .writes()
            .into_iter()
            .nth(1)
            .and_then(|r| r.body)
            .expect("PUT body");
        for field in [
            "email",
            "firstName",
            "lastName",
            "locale",
            "timeZone",
            "adminRoles",
        ] {
            assert!(put.get(field).is_some(), "full PUT lacks {field}: {put}");
        }
    }
    env.wait_event("GoToOrganizer", "jane", "Created").await;
    if !through_v1() {
        env.wait_event("GoToOrganizer", "jane", "Updated").await;
    }
    let reasons = env.event_reasons("GoToOrganizer", "jane").await;
    assert!(
        !reasons.iter().any(|r| r == "Adopted"),
        "a new hire is created, not adopted: {reasons:?}"
    );

    // Steady state (v2): a reconcile with nothing to change reads GoTo once and writes nothing.
    // Under v1 a quiet reconcile's read is answered from the account's listing (up to 60 s
    // old), so it may cost no request at all and the request log cannot show that it ran;
    // v1_resync.rs measures v1's steady state instead.
    env.sim.clear_requests();
    if !through_v1() {
        // Two nudges; reconciles of one object never overlap, so seeing the second GET means the
        // first reconcile finished (anything it wrote would be logged before it).
        for touch in ["1", "2"] {
            env.patch_organizer(
                "jane",
                json!({"metadata": {"annotations": {"example.com/touch": touch}}}),
            )
            .await;
            let want = touch.parse::<usize>().expect("number");
            let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
            while env
                .sim
                .requests()
                .iter()
                .filter(|r| r.path.starts_with("/G2M"))
                .count()
                < want
            {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "no reconcile after touch {touch}\n{}",
                    env.logs()
                );
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
        let api_calls: Vec<_> = env
            .sim
            .requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/G2M"))
            .collect();
        assert_eq!(
            api_calls.len(),
            2,
            "steady state costs exactly one GET per reconcile: {api_calls:?}"
        );
        assert!(
            api_calls
                .iter()
                .all(|r| r.method == "GET" && r.path.contains("/organizers/")),
            "{api_calls:?}"
        );
        assert!(env.goto_writes().is_empty());
    }

    // A spec change is one complete PUT (v2); v1 sends nothing and names the field.
    env.patch_organizer("jane", json!({"spec": {"firstName": "Janet"}}))
        .await;
    env.wait_for("jane", "observed generation 2", |o| {
        o.status.as_ref().and_then(|s| s.observed_generation) == o.metadata.generation
            && o.metadata.generation == Some(2)
    })
    .await;
    let sim = env.sim.organizer(&key).expect("organizer");
    if through_v1() {
        wire::wait_not_supported(&env, "jane", &["firstName", "locale", "timeZone"]).await;
        assert_eq!(sim.first_name, "Test", "v1 cannot rename");
        assert_eq!(env.goto_writes(), Vec::<String>::new());
    } else {
        assert_eq!(sim.first_name, "Janet");
        assert_eq!(sim.locale, "fr_FR", "a full PUT keeps what it restates");
        assert_eq!(env.goto_writes().len(), 1, "{:?}", env.goto_writes());
    }
    env.finish().await;
}

#[tokio::test]
async fn adopts_an_existing_organizer_by_email_without_creating() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    let key = env.sim.insert_organizer(SeedOrganizer::new(
        "Jordan.Lee@Example.com",
        "Jordan",
        "Lee",
    ));
    env.apply_organizer(
        "jordan",
        json!({"email": "jordan.lee@example.com", "firstName": "Jordan", "lastName": "Lee"}),
    )
    .await
    .expect("apply");
    let o = env.wait_ready("jordan", "True", "Reconciled").await;
    assert_eq!(organizer_key(&o), key);
    assert!(
        env.goto_writes().is_empty(),
        "adoption writes nothing: {:?}",
        env.goto_writes()
    );
    let note = env.wait_event("GoToOrganizer", "jordan", "Adopted").await;
    assert!(note.contains(&key), "{note}");
    env.finish().await;
}

#[tokio::test]
async fn adopts_the_organizer_named_by_the_annotation_only_when_it_is_the_same_person() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    let key =
        env.sim
            .insert_organizer(SeedOrganizer::new("Pat.Doe@Example.com", "Patricia", "Doe"));
    let other = env.sim.insert_organizer(SeedOrganizer::new(
        "someone.else@example.com",
        "Sam",
        "Else",
    ));
    env.apply_organizer_with(
        "pat",
        json!({"email": "pat.doe@example.com", "firstName": "Pat", "lastName": "Doe"}),
        json!({"goto-operator.dev/organizer-key": key}),
    )
    .await
    .expect("apply");
    env.apply_organizer_with(
        "wrong",
        json!({"email": "wrong@example.com"}),
        json!({"goto-operator.dev/organizer-key": other}),
    )
    .await
    .expect("apply");
    let o = env.wait_ready("pat", "True", "Reconciled").await;
    assert_eq!(organizer_key(&o), key);
    if through_v1() {
        // Adopted all the same; the name v1 cannot change is reported, not sent.
        wire::wait_not_supported(&env, "pat", &["firstName"]).await;
        assert_eq!(
            env.sim.organizer(&key).expect("organizer").first_name,
            "Patricia"
        );
        assert_eq!(env.goto_writes(), Vec::<String>::new());
    } else {
        assert_eq!(
            env.sim.organizer(&key).expect("organizer").first_name,
            "Pat"
        );
    }
    env.wait_event("GoToOrganizer", "pat", "Adopted").await;
    let o = env.wait_ready("wrong", "False", "InvalidSpec").await;
    assert!(
        condition(&o, "Ready").is_some_and(|c| c.2.contains("someone.else@example.com")),
        "{:?}",
        condition(&o, "Ready")
    );
    assert!(
        env.goto_writes()
            .iter()
            .all(|w| !w.starts_with("POST") && !w.contains(&other)),
        "{:?}",
        env.goto_writes()
    );
    assert_eq!(
        env.sim.organizer(&other).expect("untouched").first_name,
        "Sam"
    );
    env.finish().await;
}

#[tokio::test]
async fn suspends_and_resumes() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer("sam", json!({})).await.expect("apply");
    let key = organizer_key(&env.wait_ready("sam", "True", "Reconciled").await);
    env.patch_organizer("sam", json!({"spec": {"suspended": true}}))
        .await;
    env.wait_for("sam", "state SUSPENDED", |o| {
        o.status.as_ref().and_then(|s| s.state.as_deref()) == Some("SUSPENDED")
    })
    .await;
    assert_eq!(
        env.sim.organizer(&key).expect("organizer").status,
        OrganizerStatus::Suspended
    );
    env.wait_event("GoToOrganizer", "sam", "Suspended").await;
    let writes = env.sim.writes();
    assert!(
        writes
            .last()
            .is_some_and(|w| wire::is(Job::Suspend, w) && w.path.contains(&key)),
        "the suspend of {key} was the last write: {writes:?}"
    );
    env.sim.clear_requests();
    env.patch_organizer("sam", json!({"spec": {"suspended": false}}))
        .await;
    env.wait_for("sam", "state ACTIVE", |o| {
        o.status.as_ref().and_then(|s| s.state.as_deref()) == Some("ACTIVE")
    })
    .await;
    assert_eq!(
        env.sim.organizer(&key).expect("organizer").status,
        OrganizerStatus::Active
    );
    let writes = env.sim.writes();
    assert_eq!(writes.len(), 1, "one resume: {writes:?}");
    assert!(
        wire::is(Job::Resume, &writes[0]) && writes[0].path.ends_with(&key),
        "a resume PUT of {key} (v2: status ACTIVE, v1: productType G2M): {writes:?}"
    );
    env.wait_event("GoToOrganizer", "sam", "Resumed").await;
    env.finish().await;
}

fn fast_resync() -> OperatorOptions {
    OperatorOptions {
        resync_seconds: 2,
        ..OperatorOptions::default()
    }
}

#[tokio::test]
async fn corrects_drift_and_recreates_an_organizer_deleted_out_of_band() {
    let Some(env) = Env::start_with(SimConfig::default(), fast_resync()).await else {
        return;
    };
    env.apply_organizer("kim", json!({"timeZone": "Asia/Tokyo"}))
        .await
        .expect("apply");
    let key = organizer_key(&env.wait_ready("kim", "True", "Reconciled").await);
    env.sim.update_organizer_out_of_band(&key, |o| {
        o.first_name = "Hacked".into();
        o.time_zone = "UTC".into();
    });
    if through_v1() {
        // v1 cannot write names or time zones: the drift is reported on the next resync, never
        // corrected, and nothing is sent.
        wire::wait_not_supported(&env, "kim", &["firstName", "timeZone"]).await;
        let o = env.sim.organizer(&key).expect("organizer");
        assert_eq!(
            (o.first_name.as_str(), o.time_zone.as_str()),
            ("Hacked", "UTC")
        );
        assert_eq!(
            env.goto_writes().len(),
            1,
            "only the create: {:?}",
            env.goto_writes()
        );
    } else {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let o = env.sim.organizer(&key).expect("organizer");
            if o.first_name == "Test" && o.time_zone == "Asia/Tokyo" {
                break;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "drift not corrected: {o:?}\n{}",
                env.logs()
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        env.wait_event_with("GoToOrganizer", "kim", "Updated", "corrected")
            .await;
    }

    assert!(env.sim.remove_organizer_out_of_band(&key));
    let o = env
        .wait_for_within(
            "kim",
            "a new organizer key",
            wire::outside_change_seen_within(),
            |o| {
                o.status
                    .as_ref()
                    .and_then(|s| s.organizer_key.as_deref())
                    .is_some_and(|k| k != key)
            },
        )
        .await;
    let new_key = organizer_key(&o);
    assert_eq!(
        env.sim.organizer(&new_key).expect("recreated").email,
        "kim@example.com"
    );
    let note = env.wait_event("GoToOrganizer", "kim", "Recreated").await;
    assert!(note.contains(&key) && note.contains(&new_key), "{note}");
    env.finish().await;
}

#[tokio::test]
async fn observe_reports_drift_never_writes_and_orphans_on_delete() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    let key = env
        .sim
        .insert_organizer(SeedOrganizer::new("obs@example.com", "Olive", "Server"));
    env.apply_organizer("obs", json!({"email": "obs@example.com", "firstName": "Olivia", "lastName": "Server", "managementPolicy": "Observe"}))
        .await
        .expect("apply");
    let o = env.wait_synced("obs", "False", "Drifted").await;
    assert_eq!(
        condition(&o, "Ready").map(|c| c.1),
        Some("Reconciled".into())
    );
    assert!(
        condition(&o, "Synced").is_some_and(|c| c.2.contains("firstName")),
        "{:?}",
        condition(&o, "Synced")
    );
    assert_eq!(organizer_key(&o), key);
    env.apply_organizer(
        "ghost",
        json!({"email": "nobody@example.com", "managementPolicy": "Observe"}),
    )
    .await
    .expect("apply");
    env.wait_ready("ghost", "False", "OrganizerNotFound").await;
    env.delete_organizer("obs").await;
    env.wait_gone("obs").await;
    env.wait_event("GoToOrganizer", "obs", "Orphaned").await;
    assert!(
        env.goto_writes().is_empty(),
        "Observe never writes: {:?}",
        env.goto_writes()
    );
    assert_eq!(env.sim.organizer(&key).expect("kept").first_name, "Olive");
    env.finish().await;
}

#[tokio::test]
async fn paused_objects_are_left_alone_until_unpaused() {
    let Some(env) = Env::start(SimConfig::default()).await else {
        return;
    };
    env.apply_organizer_with(
        "paula",
        json!({}),
        json!({"goto-operator.dev/paused": "true"}),
    )
    .await
    .expect("apply");
    env.wait_ready("paula", "False", "Paused").await;
    assert!(env.sim.organizer_by_email("paula@example.com").is_none());
    assert!(env.goto_writes().is_empty());
    env.patch_organizer(
        "paula",
        json!({"metadata": {"annotations": {"goto-operator.dev/paused": null}}}),
    )
    .await;
    env.wait_ready("paula", "True", "Reconciled").await;
    assert!(env.sim.organizer_by_email("paula@example.com").is_some());
    env.finish().await;
}
