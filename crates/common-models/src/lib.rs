//! Domain types shared by the services of the NPO liaison platform for
//! government bodies of Kazakhstan: identifiers, catalogues, local dates and the
//! event envelope.
//!
//! The crate performs no I/O. Every identifier type is built by a parser, so a
//! value of that type is always valid.

pub mod bin;
pub mod calendar;
pub mod catalogue;
pub mod event;
pub mod kato;
pub mod oked;
mod schema;
pub mod text;
pub mod time;

pub use bin::{Bin, BinError};
pub use calendar::{CalendarError, WorkingCalendar};
pub use catalogue::{
    ActionStatus, AssessmentActivityForm, AssessmentStatus, Catalogue, CatalogueEntry, FormOfWork,
    InformationSource, InteractionChannel, InteractionForm, Labels, LegalForm,
    MeasurementFrequency, NeedsInformationSource, NpoStatus, ParticipantCategory, ProposalStatus,
    RiskLevel, Sphere, TargetGroup, UnknownCode, entries,
};
pub use kato::{KatoCode, KatoError};
pub use oked::{Oked, OkedError};
