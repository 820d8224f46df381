//! Tests of `v1` that need no server (the client against the simulator's v1 routes is in
//! tests/goto_client).
use super::*;
use crate::goto::{AccountKey, Dialect, GoToApi};

#[test]
fn an_array_answer_must_hold_exactly_the_one_organizer_asked_for() {
    assert_eq!(only(vec![7]).unwrap(), 7);
    assert!(matches!(only(Vec::<u8>::new()), Err(Error::Decode(_))));
    assert!(matches!(only(vec![1, 2]), Err(Error::Decode(_))));
}

#[test]
fn v1_says_it_cannot_change_profiles() {
    let config = crate::goto::ClientConfig::new(
        AccountKey::new("1"),
        crate::goto::Credentials {
            client_id: "id".into(),
            client_secret: secrecy::SecretString::from("s"),
        },
    );
    let v1 = V1Client::new(GoToClient::new(config).unwrap());
    assert!(!v1.capabilities().profile_updates);
    assert_eq!(v1.dialect(), Dialect::V1);
}
