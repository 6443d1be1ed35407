//! The binary's integration tests: one test binary, one module per area.

mod accessibility;
mod adapter;
mod api;
mod authz_matrix;
mod backoffice;
mod calendar_cli;
mod cli;
mod cluster;
mod cutover;
mod dossiers;
mod event_delivery;
mod exchange;
mod filing_limits;
mod helpers;
mod input;
mod language;
mod login;
mod network;
mod oidc;
mod pages;
mod schema;
mod security;
mod tracker;
mod walk;
