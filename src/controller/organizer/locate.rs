//! Finding the organizer a GoToOrganizer stands for: by the key in status, the adoption
//! annotation, or the email; creating it only when none exists (and never twice).
use crate::controller::error::Error;
use crate::crd::GoToOrganizer;
use crate::goto::{self, GoToClient, NewOrganizer, Organizer, OrganizerKey};

/// How the organizer was found.
#[derive(Debug)]
pub enum Found {
    /// The organizer recorded in status.
    Existing(Organizer),
    /// An organizer that existed before this object (annotation or email match).
    Adopted(Organizer),
    /// Created just now.
    Created(Organizer),
    /// The recorded organizer was deleted out of band; this one was created in its place.
    Recreated {
        previous: String,
        organizer: Organizer,
    },
}

impl Found {
    /// The organizer, however found.
    pub fn organizer(&self) -> &Organizer {
        match self {
            Found::Existing(o) | Found::Adopted(o) | Found::Created(o) => o,
            Found::Recreated { organizer, .. } => organizer,
        }
    }
}

/// Finds (or, when `create` is true, creates) the organizer for Apply.
///
/// `remembered` is the key this process recorded for the object moments ago: the watch cache
/// can hand a reconcile the object from before that status write, and without it the organizer
/// would be found again by email and announced as adopted.
pub async fn for_apply(
    obj: &GoToOrganizer,
    goto: &GoToClient,
    create: bool,
    remembered: Option<String>,
) -> Result<Found, Error> {
    let recorded = obj
        .recorded_organizer_key()
        .map(str::to_string)
        .or(remembered);
    if let Some(key) = recorded {
        return match goto.get_organizer(&OrganizerKey::new(key.clone())).await {
            Ok(o) => Ok(Found::Existing(o)),
            Err(goto::Error::NotFound) if create => Ok(match create_or_adopt(obj, goto).await? {
                Found::Created(organizer) => Found::Recreated {
                    previous: key,
                    organizer,
                },
                other => other,
            }),
            Err(goto::Error::NotFound) => Err(Error::OrganizerNotFound(format!(
                "organizer {key} no longer exists in GoTo (Observe: the operator does not re-create it)"
            ))),
            Err(e) => Err(e.into()),
        };
    }
    if let Some(key) = obj.organizer_key_annotation() {
        return match goto.get_organizer(&OrganizerKey::new(key)).await {
            Ok(o) => {
                check_account(&o, goto)?;
                Ok(Found::Adopted(o))
            }
            Err(goto::Error::NotFound) => Err(Error::InvalidSpec(format!(
                "annotation goto-operator.dev/organizer-key names organizer {key}, which does not exist in account {}",
                goto.account_key()
            ))),
            Err(e) => Err(e.into()),
        };
    }
    if let Some(listed) = goto.find_organizer_by_email(&obj.spec.email).await? {
        return Ok(Found::Adopted(full(goto, listed).await?));
    }
    if !create {
        return Err(Error::OrganizerNotFound(format!(
            "no organizer with email {} in account {} (Observe: the operator does not create it)",
            obj.spec.email,
            goto.account_key()
        )));
    }
    create_or_adopt(obj, goto).await
}

/// Finds the organizer for Cleanup without ever creating one; `None` when there is nothing in
/// GoTo to clean up. Copes with Apply never having run (no key in status).
pub async fn for_cleanup(
    obj: &GoToOrganizer,
    goto: &GoToClient,
) -> Result<Option<Organizer>, Error> {
    let key = obj.claimed_organizer_key();
    match key {
        // A recorded organizer that is gone is done: a newer organizer with the same email
        // belongs to someone else's process and is not ours to delete.
        Some(key) => match goto.get_organizer(&OrganizerKey::new(key)).await {
            Ok(o) => Ok(Some(o)),
            Err(goto::Error::NotFound) => Ok(None),
            Err(e) => Err(e.into()),
        },
        None => match goto.find_organizer_by_email(&obj.spec.email).await? {
            Some(listed) => Ok(Some(full(goto, listed).await?)),
            None => Ok(None),
        },
    }
}

/// Creates the organizer. GoTo's 409 for an existing email (and an ambiguous failure the client
/// resolved by email) come back as that organizer, adopted: never a second seat.
async fn create_or_adopt(obj: &GoToOrganizer, goto: &GoToClient) -> Result<Found, Error> {
    let new = NewOrganizer {
        email: obj.spec.email.clone(),
        first_name: obj.spec.first_name.clone(),
        last_name: obj.spec.last_name.clone(),
    };
    match goto.create_organizer(&new).await {
        Ok(created) => Ok(Found::Created(with_sent_fields(created, &new))),
        Err(goto::Error::AlreadyExists { organizer }) => {
            Ok(Found::Adopted(full(goto, *organizer).await?))
        }
        Err(e) => Err(e.into()),
    }
}

/// The complete organizer behind a list entry: GoTo's list may carry only the key and email,
/// and planning a full PUT from a partial organizer would reset the fields it lacks.
async fn full(goto: &GoToClient, listed: Organizer) -> Result<Organizer, Error> {
    Ok(goto.get_organizer(&listed.organizer_key).await?)
}

/// GoTo's create answer may echo only the key and status: what was sent is what it holds.
fn with_sent_fields(mut created: Organizer, sent: &NewOrganizer) -> Organizer {
    if created.email.is_empty() {
        created.email = sent.email.clone();
    }
    if created.first_name.is_empty() {
        created.first_name = sent.first_name.clone();
    }
    if created.last_name.is_empty() {
        created.last_name = sent.last_name.clone();
    }
    created
}

fn check_account(o: &Organizer, goto: &GoToClient) -> Result<(), Error> {
    match &o.account_key {
        Some(account) if account != goto.account_key() => Err(Error::InvalidSpec(format!(
            "organizer {} belongs to account {account}, not to {}",
            o.organizer_key,
            goto.account_key()
        ))),
        _ => Ok(()),
    }
}
