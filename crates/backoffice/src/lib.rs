//! What the national portal and the provinces' one-stop back offices
//! exchange, without I/O:
//!
//! - [`packet`]: the national integration profile's packets as provinces
//!   already send them (QCVN 120:2019/BTTTT; Decision 31/2021/QĐ-TTg Art.
//!   30): `DongBoHoSoMC` (a dossier, created or updated) and
//!   `CapNhatTienDoHoSoMC` (one processing step), in their JSON form, every
//!   field named as the profile names it, and any field it does not name
//!   kept as sent;
//! - [`map`]: a dossier as those packets, and a packet read back into what
//!   it says of a dossier, every problem of it at once, each naming its
//!   field;
//! - [`inbox`]: whether a message about a dossier is applied, and how (the
//!   lawful acts that take the dossier from what is known to what the
//!   message says), acknowledged and ignored (a duplicate, or older than
//!   what is known), held until the message before it arrives, or
//!   quarantined with a reason the sender's operator can act on. Statuses
//!   are never rewritten: 5, 6 and 8 stay themselves;
//! - [`office`]: a connected back office's configuration, checked;
//! - [`cutover`]: a closed provincial portal's export of dossiers read, and
//!   each dossier brought under the 2025 units or put on a review list.
//!
//! Times in the packets are `yyyyMMddHHmmss` in Vietnam's civil time
//! ([`stamp`]).

pub mod cutover;
pub mod inbox;
pub mod map;
pub mod office;
pub mod packet;
pub mod stamp;

pub use inbox::{Unlawful, Verdict, by_status, by_version, from_filing};
pub use map::{
    Problem, Reported, ReportedStep, ResultDocument, SubmittedFile, dossier_packet,
    progress_packets, read_packet, read_step,
};
pub use office::{Delivery, Office, OfficeKey};
pub use packet::{CapNhatTienDoHoSoMC, DongBoHoSoMC};
