//! The synthetic population generator.
