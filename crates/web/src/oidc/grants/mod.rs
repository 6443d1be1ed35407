//! The grants the token endpoint serves, one file each.

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;
