//! `goto-operator plan` end to end: the preview of a directory of manifests, then `kubectl apply`
//! of the same directory, and the simulator's request log showing exactly the writes the plan
//! announced (and none while planning); then `plan --delete` naming the meeting that blocks a
//! deletion or would be cancelled by it.
use goto_operator::simulator::{Seed, SeedMeeting, SeedOrganizer, SimConfig};
use jiff::{Timestamp, ToSpan};
use serde_json::{Value, json};

use crate::common;
use crate::export::{cli, kubectl, unique_account_key};
use crate::harness::{Env, organizer_key, through_v1};
use crate::wire::{self, Job};

fn organizer(name: &str, spec: Value) -> Value {
    let mut full = json!({
        "accountRef": {"name": "acme"},
        "email": format!("{name}@example.com"),
        "firstName": "Test",
        "lastName": "Person",
    });
    if let (Some(full), Some(over)) = (full.as_object_mut(), spec.as_object()) {
        full.extend(over.clone());
    }
    json!({"apiVersion": "goto-operator.dev/v1alpha1", "kind": "GoToOrganizer",
           "metadata": {"name": name}, "spec": full})
}

fn write_manifests(dir: &std::path::Path, docs: &[Value]) {
    let text: String = docs
        .iter()
        .map(|d| format!("---\n{}", serde_norway::to_string(d).expect("yaml")))
        .collect();
    std::fs::write(dir.join("organizers.yaml"), text).expect("write manifests");
}

fn line<'a>(stdout: &'a str, name: &str) -> &'a str {
    stdout
        .lines()
        .find(|l| l.contains(&format!("/{name}: ")))
        .unwrap_or_else(|| panic!("no line for {name} in:\n{stdout}"))
}

#[tokio::test]
async fn plan_announces_exactly_the_goto_writes_apply_then_makes() {
    if common::kubectl().is_none() {
        return;
    }
    let mut ada = SeedOrganizer::new("adoptee@example.com", "Test", "Person");
    ada.locale = "en_US".into();
    let config = SimConfig {
        account_key: unique_account_key(),
        seed: Some(Seed {
            organizers: vec![ada],
        }),
        ..SimConfig::default()
    };
    let Some(env) = Env::start(config).await else {
        return;
    };
    let ns = env.namespace().to_string();
    env.apply_organizer("steady", json!({}))
        .await
        .expect("apply");
    env.apply_organizer("drifty", json!({}))
        .await
        .expect("apply");
    env.wait_ready("steady", "True", "Reconciled").await;
    let drifty = organizer_key(&env.wait_ready("drifty", "True", "Reconciled").await);
    let adoptee = env
        .sim
        .organizer_by_email("adoptee@example.com")
        .expect("seeded")
        .organizer_key;

    let dir = tempfile::tempdir().expect("dir");
    let docs = [
        organizer("steady", json!({})),
        organizer("drifty", json!({"firstName": "Renamed"})),
        organizer("newbie", json!({"locale": "fr_FR"})),
        organizer("adoptee", json!({"lastName": "Byron"})),
        organizer("copycat", json!({"email": "drifty@example.com"})),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "unrelated"}}),
    ];
    write_manifests(dir.path(), &docs);
    let path = dir.path().to_str().expect("path").to_string();
    env.sim.clear_requests();

    let run = cli(&["plan", "-f", &path, "--namespace", &ns]).await;
    assert_eq!(
        run.code,
        Some(2),
        "changes: exit 2\n{}{}",
        run.stdout,
        run.stderr
    );
    let out = &run.stdout;
    assert!(line(out, "steady").ends_with(": nothing"), "{out}");
    let drift = line(out, "drifty");
    // Through v1 a name cannot be changed: the plan says so instead of announcing a PUT.
    let renames = if through_v1() {
        "cannot change: firstName"
    } else {
        "update firstName"
    };
    assert!(
        drift.contains(renames) && drift.contains("Test") && drift.contains("Renamed"),
        "{drift}"
    );
    let create = line(out, "newbie");
    assert!(
        create.contains("create organizer for newbie@example.com")
            && create.contains("locale") != through_v1(),
        "v2 sets the locale after the create; v1 cannot: {create}"
    );
    let adopt = line(out, "adoptee");
    assert!(
        adopt.contains(&format!("adopt key {adoptee} (by email)")) && adopt.contains("lastName"),
        "{adopt}"
    );
    let copy = line(out, "copycat");
    assert!(
        copy.contains("OwnedElsewhere") && copy.contains(&format!("{ns}/drifty")),
        "{copy}"
    );
    // v2: newbie, drifty, adoptee write; v1: the create only (the rest cannot be sent).
    let writing = if through_v1() { 1 } else { 3 };
    assert!(
        out.contains(&format!("{writing} of 5 object(s) would write to GoTo")),
        "{out}"
    );
    assert!(
        run.stderr.contains("skipping ConfigMap/unrelated"),
        "{}",
        run.stderr
    );
    assert_eq!(
        env.goto_writes(),
        Vec::<String>::new(),
        "plan wrote to GoTo"
    );
    assert!(
        env.organizers()
            .get_opt("newbie")
            .await
            .expect("get")
            .is_none(),
        "plan wrote to the cluster"
    );

    // Apply: GoTo receives exactly what the plan said: a create and a PUT for newbie, one PUT
    // each for adoptee and drifty, nothing for steady or copycat.
    kubectl(&["apply", "-n", &ns, "-f", &path]).await;
    for name in ["steady", "drifty", "newbie", "adoptee"] {
        env.wait_ready(name, "True", "Reconciled").await;
    }
    env.wait_ready("copycat", "False", "OwnedElsewhere").await;
    let newbie = organizer_key(&env.get("newbie").await);
    let mut writes = env.goto_writes();
    writes.sort();
    let mut expected = vec![wire::line(&env, Job::Create, "")];
    if !through_v1() {
        expected.extend([
            wire::line(&env, Job::Update, &newbie),
            wire::line(&env, Job::Update, &adoptee),
            wire::line(&env, Job::Update, &drifty),
        ]);
    }
    expected.sort();
    assert_eq!(writes, expected);

    let run = cli(&["plan", "-f", &path, "--namespace", &ns]).await;
    assert_eq!(
        run.code,
        Some(0),
        "nothing left to do: exit 0\n{}",
        run.stdout
    );
    assert!(run.stdout.contains("0 of 5 object(s)"), "{}", run.stdout);

    // --delete: drifty's meeting blocks it; newbie would be suspended, re-audited and deleted.
    let start = Timestamp::now() + 48.hours();
    let meeting = env.sim.add_meeting(
        &drifty,
        SeedMeeting::new("Handover", start, start + 1.hour()),
    );
    env.sim.clear_requests();
    let run = cli(&["plan", "--delete", "-f", &path, "--namespace", &ns]).await;
    assert_eq!(run.code, Some(2), "{}{}", run.stdout, run.stderr);
    let out = &run.stdout;
    assert!(line(out, "drifty").contains("block"), "{out}");
    assert!(
        out.contains(&format!("meeting {meeting} \"Handover\"")),
        "the blocking meeting is named:\n{out}"
    );
    assert!(line(out, "newbie").contains("then delete it"), "{out}");
    env.patch_organizer("drifty", json!({"spec": {"onUpcomingMeetings": "Cancel"}}))
        .await;
    let run = cli(&["plan", "--delete", "-f", &path, "--namespace", &ns]).await;
    let cancel = line(&run.stdout, "drifty");
    assert!(
        cancel.contains("delete it (cancelling 1 meeting(s)") && cancel.contains("Handover"),
        "{}",
        run.stdout
    );
    assert_eq!(
        env.goto_writes(),
        Vec::<String>::new(),
        "plan --delete wrote to GoTo"
    );
    assert!(env.sim.organizer(&drifty).is_some());

    // Deleting newbie does what plan --delete said: suspend, then DELETE.
    env.delete_organizer("newbie").await;
    env.wait_gone("newbie").await;
    let writes = env.goto_writes();
    assert_eq!(writes.len(), 2, "{writes:?}");
    assert!(writes[0].contains(&newbie), "suspend first: {writes:?}");
    let delete = if through_v1() {
        format!("DELETE {}/organizers/{newbie}", wire::prefix())
    } else {
        let account = env.sim.account_key();
        format!(
            "DELETE {}/accounts/{account}/organizers/{newbie}",
            wire::prefix()
        )
    };
    assert_eq!(writes[1], delete);
    env.finish().await;
}

#[tokio::test]
async fn a_plan_that_cannot_be_made_exits_1_and_prints_no_plan() {
    if common::kubectl().is_none() {
        return;
    }
    let run = cli(&["plan", "-f", "/nonexistent/organizers.yaml"]).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("error: /nonexistent/organizers.yaml is neither"),
        "{}",
        run.stderr
    );
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join("only-a-secret.yaml"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n",
    )
    .expect("write");
    let run = cli(&["plan", "-f", dir.path().to_str().expect("path")]).await;
    assert_eq!(run.code, Some(1), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("error: no GoToOrganizer in"),
        "{}",
        run.stderr
    );
}
