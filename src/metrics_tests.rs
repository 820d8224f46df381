//! Tests of `metrics`.
use super::*;
use crate::goto::Observer;

#[test]
fn organizer_series_that_disappear_are_removed() {
    let m = Metrics::default();
    let labels = |reason: &str| OrganizerLabels {
        namespace: "it".into(),
        account: "acme".into(),
        ready: "False",
        reason: reason.into(),
    };
    let before: std::collections::BTreeMap<_, _> = [(labels("SeatUnavailable"), 1)].into();
    m.set_organizers(&std::collections::BTreeMap::new(), &before);
    let after: std::collections::BTreeMap<_, _> = [(labels("GoToUnavailable"), 1)].into();
    m.set_organizers(&before, &after);
    let text = m.encode();
    assert!(!text.contains("SeatUnavailable"), "{text}");
    assert!(text.contains("GoToUnavailable"), "{text}");
}

#[test]
fn exposition_names_every_family() {
    let m = Metrics::default();
    m.reconciled("organizer", "ok", Duration::from_millis(12));
    m.request("get_organizer", "ok", Duration::from_millis(3));
    m.goto_write("create");
    m.set_leader(true);
    m.webhook_request("bad_signature");
    let labels = OrganizerLabels {
        namespace: "it".into(),
        account: "acme".into(),
        ready: "True",
        reason: "Reconciled".into(),
    };
    let mut counts = std::collections::BTreeMap::new();
    counts.insert(labels.clone(), 3);
    m.set_organizers(&std::collections::BTreeMap::new(), &counts);
    m.time_to_ready(4.2);
    m.set_seats("it", "acme", &[("in_goto", 7)]);
    let m = Arc::new(m);
    let account = m.for_account("team-a", "acme");
    account.budget_waited(Duration::from_millis(150), 10.0);
    account.rate_limited(5.0);
    let text = m.encode();
    for name in [
        "goto_operator_reconciliations_total{controller=\"organizer\",result=\"ok\"} 1",
        "goto_operator_reconcile_duration_seconds_count{controller=\"organizer\"} 1",
        "goto_operator_goto_requests_total{operation=\"get_organizer\",outcome=\"ok\"} 1",
        "goto_operator_goto_writes_total{action=\"create\"} 1",
        "goto_operator_leader 1",
        "goto_operator_deletions_blocked 0",
        "goto_operator_rate_limit_wait_seconds_count{namespace=\"team-a\",account=\"acme\"} 1",
        "goto_operator_rate_limited_total{namespace=\"team-a\",account=\"acme\"} 1",
        "goto_operator_effective_requests_per_second{namespace=\"team-a\",account=\"acme\"} 5.0",
        "goto_operator_webhook_requests_total{result=\"bad_signature\"} 1",
        "goto_operator_organizers{namespace=\"it\",account=\"acme\",ready=\"True\",reason=\"Reconciled\"} 3",
        "goto_operator_time_to_ready_seconds_count 1",
        "goto_operator_seats{namespace=\"it\",account=\"acme\",kind=\"in_goto\"} 7",
        "goto_operator_build_info{version=\"0.1.0\",git_commit=\"",
    ] {
        assert!(text.contains(name), "missing {name} in\n{text}");
    }
    m.forget_account("team-a", "acme");
    assert!(!m.encode().contains("namespace=\"team-a\""));
}

#[test]
fn build_info_names_the_version_and_commit() {
    let text = Metrics::default().encode();
    let line = format!(
        "goto_operator_build_info{{version=\"{VERSION}\",git_commit=\"{}\"}} 1",
        git_commit()
    );
    assert!(text.contains(&line), "missing {line} in\n{text}");
    assert!(!git_commit().is_empty());
}

/// The standard names, so the usual alerts and dashboards work; off Linux none.
#[test]
fn process_metrics_have_the_standard_names() {
    let text = Metrics::default().encode();
    let families = [
        "# TYPE process_cpu_seconds counter",
        "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_virtual_memory_bytes gauge",
        "# TYPE process_open_fds gauge",
        "# TYPE process_max_fds gauge",
        "# TYPE process_start_time_seconds gauge",
        "# TYPE process_threads gauge",
        "\nprocess_cpu_seconds_total ",
        "\nprocess_resident_memory_bytes ",
    ];
    for family in families {
        assert_eq!(
            text.contains(family),
            cfg!(target_os = "linux"),
            "{family} in\n{text}"
        );
    }
    assert!(!text.contains("goto_operator_process"), "{text}");
}
