//! The exchange node this server runs ([`node`]), the single writer of its
//! message log ([`writer`]) and the file keeping the log's latest signed
//! head outside the database ([`head`]).

pub mod head;
pub mod node;
pub mod writer;
