//! Once-only: the fields of a form the state already knows are read from
//! the population registry as the portal's member of the exchange
//! (purpose `dossier-prefill`, its legal basis), authorized by the
//! exchange's policy like any member's request — only the granted fields
//! come back — and written to the message log, so the person's data
//! tracker shows the read with its case: the dossier's code once filed
//! (`draft <procedure>` while the form is being filled).

use std::collections::BTreeMap;

use chrono::Utc;
use dossier::{Procedure, Whom};
use exchange::{LogRecord, RequestMeta};
use serde_json::Value;

use super::error::FlowError;
use crate::services::exchange::node::{PREFILL_BASIS, PREFILL_PURPOSE};
use crate::services::exchange::writer::under_case;
use crate::state::AppState;

/// What was read for a form.
#[derive(Debug, Default)]
pub(crate) struct Read {
    /// The form's fields filled, as text.
    pub values: BTreeMap<String, String>,
    /// Why nothing (or not everything) could be filled.
    pub refused: Option<String>,
    /// The reads to log.
    pub records: Vec<LogRecord>,
    /// The commune of the applicant's permanent residence, when the form
    /// read it: where the form offers to file by default.
    pub residence_commune: Option<String>,
}

/// The registry field's value as a form shows it.
fn text_of(state: &AppState, field: &str, v: &Value) -> Option<String> {
    match (field, v) {
        (_, Value::Null) => None,
        ("sex", Value::String(s)) => Some(
            match s.as_str() {
                "male" => "Nam",
                "female" => "Nữ",
                other => other,
            }
            .to_string(),
        ),
        ("nationality", Value::String(s)) => Some(if s == "VN" {
            "Việt Nam".to_string()
        } else {
            s.clone()
        }),
        ("ethnicity", Value::String(s)) => Some(
            registry::Ethnicity::by_code(s)
                .map(|e| e.name().to_string())
                .unwrap_or_else(|_| s.clone()),
        ),
        ("permanent_residence" | "temporary_residence", Value::Object(r)) => {
            let commune_code = r.get("commune").and_then(Value::as_str).unwrap_or_default();
            let street = r.get("street").and_then(Value::as_str).unwrap_or_default();
            let commune = state.units.commune(commune_code);
            let province = commune.and_then(|c| state.units.province(&c.province_code));
            Some(
                [
                    street,
                    commune.map_or("", |c| c.name.as_str()),
                    province.map_or("", |p| p.name.as_str()),
                ]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(", "),
            )
        }
        (_, Value::String(s)) => Some(s.clone()),
        (_, other) => Some(other.to_string()),
    }
}

/// The portal's right to read `person_id`'s `fields` (purpose
/// `dossier-prefill`), or why not.
fn authorize(
    state: &AppState,
    person_id: &str,
    fields: Vec<String>,
) -> Result<exchange::Grant, String> {
    let node = &state.exchange;
    let Some(portal) = &node.portal else {
        return Err(
            "this server holds no key of the portal's exchange member: forms are not pre-filled"
                .into(),
        );
    };
    let meta = RequestMeta {
        // the portal runs inside this node, which holds its key
        signed_by: Some(portal.member.clone()),
        consumer: Some(portal.member.clone()),
        provider: Some(node.provider.member.clone()),
        service: "person.get".into(),
        purpose: Some(PREFILL_PURPOSE.into()),
        legal_basis: Some(PREFILL_BASIS.into()),
        case_ref: Some("prefill".into()),
        person_id: Some(person_id.to_string()),
        fields,
    };
    node.policy
        .authorize(&meta, Utc::now(), &exchange::NoConsents)
        .map_err(|r| r.to_string())
}

/// What `grant` lets the portal see of `person` (read under it), and the
/// record of the read to log (a read that found no one is logged too).
fn answer(
    grant: &exchange::Grant,
    person_id: &str,
    person: Option<&registry::Person>,
) -> (serde_json::Map<String, Value>, LogRecord) {
    let record = LogRecord::access(grant, Utc::now(), person_id.as_bytes());
    let map = match person.map(|p| grant.filter(&crate::services::population::person_fields(p))) {
        Some(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    (map, record)
}

fn parse_pid(person_id: &str) -> Result<domain::PersonalId, String> {
    person_id
        .parse::<domain::PersonalId>()
        .map_err(|_| format!("{person_id} is not a personal identification number"))
}

/// Reads what `procedure`'s form takes from the registry about the
/// applicant `person_id` (and their spouse on record).
pub(crate) async fn read(
    state: &AppState,
    procedure: &Procedure,
    person_id: Option<&str>,
) -> Result<Read, FlowError> {
    let mut out = Read::default();
    let fields = procedure.schema().fields();
    let wanted = |whom: Whom| -> Vec<(String, String)> {
        fields
            .iter()
            .filter_map(|f| {
                f.prefill
                    .as_ref()
                    .filter(|p| p.whom == whom)
                    .map(|p| (f.key.clone(), p.field.clone()))
            })
            .collect()
    };
    let mine = wanted(Whom::Applicant);
    let spouse = wanted(Whom::Spouse);
    if mine.is_empty() && spouse.is_empty() {
        return Ok(out);
    }
    let Some(pid) = person_id else {
        out.refused = Some(
            "the population registry holds citizens: fill in these fields yourself".to_string(),
        );
        return Ok(out);
    };
    let mut ask: Vec<String> = mine.iter().map(|(_, f)| f.clone()).collect();
    if !spouse.is_empty() {
        ask.push("spouse".into());
    }
    ask.sort();
    ask.dedup();
    let authorized = authorize(state, pid, ask).and_then(|g| Ok((g, parse_pid(pid)?)));
    let (grant, id) = match authorized {
        Ok(x) => x,
        Err(reason) => {
            out.refused = Some(reason);
            return Ok(out);
        }
    };
    let registry = state.store.registry();
    // the spouse's record comes with the applicant's (one read), and is
    // used only if the applicant's granted answer names that spouse and
    // the spouse's own read is authorized
    let internal = |e: store::StoreError| FlowError::Internal(e.to_string());
    let (person, spouse_record) = if spouse.is_empty() {
        (registry.person(&id).await.map_err(internal)?, None)
    } else {
        match registry.person_and_spouse(&id).await.map_err(internal)? {
            Some((p, s)) => (Some(p), s),
            None => (None, None),
        }
    };
    let (me, record) = answer(&grant, pid, person.as_ref());
    out.records.push(record);
    out.residence_commune = me
        .get("permanent_residence")
        .and_then(|r| r.get("commune"))
        .and_then(Value::as_str)
        .map(str::to_string);
    for (key, field) in &mine {
        if let Some(t) = me.get(field).and_then(|v| text_of(state, field, v)) {
            out.values.insert(key.clone(), t);
        }
    }
    if let Some(spouse_id) = me.get("spouse").and_then(Value::as_str)
        && !spouse.is_empty()
    {
        let ask: Vec<String> = spouse.iter().map(|(_, f)| f.clone()).collect();
        let authorized =
            authorize(state, spouse_id, ask).and_then(|g| Ok((g, parse_pid(spouse_id)?)));
        match authorized {
            Ok((grant, sid)) => {
                let them = match spouse_record.filter(|s| s.id == sid) {
                    Some(s) => Some(s),
                    // not read with the applicant (changed in between): on its own
                    None => registry.person(&sid).await.map_err(internal)?,
                };
                let (them, record) = answer(&grant, spouse_id, them.as_ref());
                out.records.push(record);
                for (key, field) in &spouse {
                    if let Some(t) = them.get(field).and_then(|v| text_of(state, field, v)) {
                        out.values.insert(key.clone(), t);
                    }
                }
            }
            Err(reason) => out.refused = Some(reason),
        }
    }
    Ok(out)
}

/// Writes the reads to the message log under `case_ref`. A read that
/// cannot be logged is an error for the operators (the dossier it served
/// is kept: it was accepted).
pub(crate) async fn log(state: &AppState, read: &Read, case_ref: &str) -> bool {
    let records: Vec<LogRecord> = read
        .records
        .iter()
        .map(|r| under_case(r, case_ref))
        .collect();
    let mut ok = true;
    for result in state.exchange.log.append_all(records).await {
        if let Err(e) = result {
            tracing::error!(error = %e, case = case_ref, "a registry read for a form could not be logged");
            metrics::counter!(crate::metrics::PREFILL_LOG_FAILURES).increment(1);
            ok = false;
        }
    }
    ok
}
