//! The population registry's services as the exchange runs them
//! (`person.get`, `person.verify`, `household.get`) and the people's
//! consents that rights may rest on.

use chrono::Utc;
use exchange::MemberId;
use store::{ConsentSnapshot, StoreError};

use crate::state::AppState;

/// Why a registry service found no answer.
#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    /// No such person or household.
    #[error("{0}")]
    NotFound(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A registry service and whom it is about, checked before anything is
/// logged or read.
pub enum RegistryTarget {
    /// `person.get`
    PersonGet(domain::PersonalId),
    /// `person.verify`
    PersonVerify(domain::PersonalId),
    /// `household.get`
    Household(HouseholdOf),
}

/// Which household `household.get` asks about.
pub enum HouseholdOf {
    /// By its id.
    Id(registry::HouseholdId),
    /// The household a person belongs to.
    Person(domain::PersonalId),
}

/// What `person.verify` checks against the record.
pub struct Check<'a> {
    /// The full name to check.
    pub full_name: Option<&'a str>,
    /// The birth date to check.
    pub birth_date: Option<&'a str>,
}

/// Runs a registry service; the caller filters the answer by its grant.
pub async fn serve(
    state: &AppState,
    target: &RegistryTarget,
    check: &Check<'_>,
) -> Result<serde_json::Value, RegistryError> {
    let registry = state.store.registry();
    let person = |id: &domain::PersonalId| {
        let id = *id;
        async move {
            registry
                .person(&id)
                .await?
                .ok_or_else(|| RegistryError::NotFound(format!("no person {id} in the registry")))
        }
    };
    match target {
        RegistryTarget::PersonGet(id) => Ok(person_fields(&person(id).await?)),
        RegistryTarget::PersonVerify(id) => {
            let p = person(id).await?;
            let fields = person_fields(&p);
            let mut mismatched = Vec::new();
            if let Some(name) = check.full_name
                && Some(name) != fields["full_name"].as_str()
            {
                mismatched.push("full_name");
            }
            if let Some(date) = check.birth_date
                && Some(date) != fields["birth_date"].as_str()
            {
                mismatched.push("birth_date");
            }
            Ok(serde_json::json!({
                "person_id": fields["person_id"],
                "matches": mismatched.is_empty(),
                "mismatched_fields": mismatched,
                "vital_status": fields["vital_status"],
            }))
        }
        RegistryTarget::Household(of) => {
            let hid = match of {
                HouseholdOf::Id(h) => h.clone(),
                HouseholdOf::Person(id) => person(id)
                    .await?
                    .household
                    .value
                    .map(|m| m.household)
                    .ok_or_else(|| {
                    RegistryError::NotFound("the person belongs to no household".into())
                })?,
            };
            let members = registry.household(&hid).await?;
            let fields: Vec<serde_json::Value> = members.iter().map(person_fields).collect();
            let listed: Vec<serde_json::Value> = fields
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "person_id": f["person_id"],
                        "full_name": f["full_name"],
                        "relationship_to_head": f["relationship_to_head"],
                    })
                })
                .collect();
            // members come head first; the household lives at its head's
            // permanent residence
            Ok(serde_json::json!({
                "household_id": hid.0,
                "head": fields.first().map(|f| f["person_id"].clone()),
                "address": fields.first().map(|f| f["permanent_residence"].clone()),
                "members": listed,
            }))
        }
    }
}

/// A person's record as the service fields name them (values only).
pub fn person_fields(p: &registry::Person) -> serde_json::Value {
    let v = |x: &dyn erased::Ser| x.value();
    serde_json::json!({
        "person_id": p.id.to_string(),
        "full_name": v(&p.full_name.value),
        "former_names": p.former_names.iter().map(|n| n.value.clone()).collect::<Vec<_>>(),
        "birth_date": v(&p.birth_date.value),
        "sex": v(&p.sex.value),
        "nationality": v(&p.nationality.value),
        "ethnicity": v(&p.ethnicity.value),
        "religion": v(&p.religion.value),
        "birth_registration_place": v(&p.birth_registration_place.value),
        "hometown": v(&p.hometown.value),
        "permanent_residence": v(&p.permanent_residence.value),
        "temporary_residence": v(&p.temporary_residence.value),
        "household_id": p.household.value.as_ref().map(|m| m.household.0.clone()),
        "relationship_to_head": p.household.value.as_ref().map(|m| v(&m.relationship)),
        "parents": {
            "father": p.father.value.map(|x| x.to_string()),
            "mother": p.mother.value.map(|x| x.to_string()),
        },
        "spouse": p.spouse.value.map(|x| x.to_string()),
        "vital_status": v(&p.vital_status.value),
    })
}

mod erased {
    /// Anything serialisable, as a JSON value (null if it cannot be).
    pub trait Ser {
        fn value(&self) -> serde_json::Value;
    }
    impl<T: serde::Serialize> Ser for T {
        fn value(&self) -> serde_json::Value {
            serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
        }
    }
}

/// The consents a person has given (none when no person is named).
pub async fn consents_of(
    state: &AppState,
    person: Option<&str>,
) -> Result<ConsentSnapshot, StoreError> {
    match person {
        Some(pid) => state.store.exchange().consents_of(pid).await,
        None => Ok(ConsentSnapshot::default()),
    }
}

/// A consent to give or withdraw.
pub struct ConsentChange<'a> {
    /// The person consenting.
    pub person: &'a domain::PersonalId,
    /// The member the consent is for.
    pub consumer: &'a MemberId,
    /// The purpose code.
    pub purpose: &'a str,
    /// Give (or else withdraw) it.
    pub give: bool,
}

/// Gives or withdraws a consent of a person in the registry; whether it
/// changed anything.
pub async fn change_consent(
    state: &AppState,
    change: &ConsentChange<'_>,
) -> Result<bool, RegistryError> {
    let pid = change.person.to_string();
    if state
        .store
        .registry()
        .person(change.person)
        .await?
        .is_none()
    {
        return Err(RegistryError::NotFound(format!(
            "no person {pid} in the registry"
        )));
    }
    let ex = state.store.exchange();
    let now = Utc::now();
    let changed = if change.give {
        ex.give_consent(&pid, change.consumer, change.purpose, now)
            .await
    } else {
        ex.withdraw_consent(&pid, change.consumer, change.purpose, now)
            .await
    }?;
    Ok(changed)
}
