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

use super::FlowError;
use crate::AppState;
use crate::exchange::{PREFILL_BASIS, PREFILL_PURPOSE, under_case};

/// What was read for a form.
#[derive(Debug, Default)]
pub(crate) struct Read {
    /// The form's fields filled, as text.
    pub values: BTreeMap<String, String>,
    /// Why nothing (or not everything) could be filled.
    pub refused: Option<String>,
    /// The reads to log.
    pub records: Vec<LogRecord>,
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

/// Reads `person_id`'s `fields` as the portal (authorized, not yet
/// logged): the granted fields, and the record to log.
async fn person_get(
    state: &AppState,
    person_id: &str,
    fields: Vec<String>,
) -> Result<Result<(serde_json::Map<String, Value>, LogRecord), String>, FlowError> {
    let node = &state.exchange;
    let Some(portal) = &node.portal else {
        return Ok(Err(
            "this server holds no key of the portal's exchange member: forms are not pre-filled"
                .into(),
        ));
    };
    let now = Utc::now();
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
    let grant = match node.policy.authorize(&meta, now, &exchange::NoConsents) {
        Ok(g) => g,
        Err(r) => return Ok(Err(r.to_string())),
    };
    let Ok(pid) = person_id.parse::<domain::PersonalId>() else {
        return Ok(Err(format!(
            "{person_id} is not a personal identification number"
        )));
    };
    let person = state
        .store
        .registry()
        .person(&pid)
        .await
        .map_err(|e| FlowError::Internal(e.to_string()))?;
    let record = LogRecord::access(&grant, now, person_id.as_bytes());
    let Some(person) = person else {
        // asked and found nothing: still a read to log
        return Ok(Ok((serde_json::Map::new(), record)));
    };
    let answer = grant.filter(&crate::api::exchange::person_fields(&person));
    let map = match answer {
        Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    Ok(Ok((map, record)))
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
    let (me, record) = match person_get(state, pid, ask).await? {
        Ok(x) => x,
        Err(reason) => {
            out.refused = Some(reason);
            return Ok(out);
        }
    };
    out.records.push(record);
    for (key, field) in &mine {
        if let Some(t) = me.get(field).and_then(|v| text_of(state, field, v)) {
            out.values.insert(key.clone(), t);
        }
    }
    if let Some(spouse_id) = me.get("spouse").and_then(Value::as_str)
        && !spouse.is_empty()
    {
        let ask: Vec<String> = spouse.iter().map(|(_, f)| f.clone()).collect();
        match person_get(state, spouse_id, ask).await? {
            Ok((them, record)) => {
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
