//! The one-stop shop's flows, shared by the JSON API and the pages:
//! who is acting, filing a dossier and acting on one ([`flow`]), pre-filling
//! a form from the registry through the exchange ([`prefill`]), what is
//! known of the days filed on ([`days`]), the forms being filled and
//! what was read for them ([`drafts`]), a result as a sealed document
//! ([`result`]), and why a flow stopped ([`error`]).

pub mod days;
pub mod drafts;
pub mod error;
pub mod flow;
pub mod issued;
pub mod prefill;
pub mod records;
pub mod result;
