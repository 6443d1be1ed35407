//! The population registry: people, households, residence and vital
//! events, and the synthetic population generator.

pub mod generate;
