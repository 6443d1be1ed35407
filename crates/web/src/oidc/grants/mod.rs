//! The grants the token endpoint serves, one file each, and the request
//! they read.

pub mod authorization_code;
pub mod client_credentials;
pub mod refresh_token;
pub mod request;
