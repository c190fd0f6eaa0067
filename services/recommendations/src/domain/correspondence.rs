//! The correspondence register of a government body: incoming and outgoing appeals,
//! requests and answers, information for the media, analytical materials and
//! working-group documents, each with a registration number, a counterpart, a channel
//! and, for incoming entries, a deadline for the answer.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use common_models::{InteractionChannel, InteractionForm};
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use utoipa::ToSchema;

use super::experts::parse_id;
use super::{Errors, multiline_text, parse_date, present, text};

/// Declares an enum of stable snake_case codes with `code`, `from_code` and the list of
/// codes that error messages name.
macro_rules! codes {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $code:literal,)+ }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every code, in declaration order.
            pub const CODES: &'static [&'static str] = &[$($code),+];

            /// Returns the stable code.
            pub fn code(self) -> &'static str {
                match self { $(Self::$variant => $code,)+ }
            }

            /// Looks up the value with exactly this code.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some(Self::$variant),)+ _ => None }
            }

            /// Parses `raw`, naming the valid codes in the error.
            pub fn parse(raw: &str) -> Result<Self, String> {
                Self::from_code(raw).ok_or_else(|| {
                    format!("unknown code '{raw}'; expected one of {}", Self::CODES.join(", "))
                })
            }
        }
    };
}

codes! {
    /// Direction of an entry: received or sent by the body.
    pub enum CorrespondenceDirection {
        Incoming = "incoming",
        Outgoing = "outgoing",
    }
}

codes! {
    /// Type of a registered document.
    pub enum CorrespondenceKind {
        /// An appeal of an NPO, a person or an organisation.
        Appeal = "appeal",
        /// A request for information or action.
        Request = "request",
        /// An answer to an appeal or a request.
        Answer = "answer",
        /// Information prepared for publication in the media.
        MediaInformation = "media_information",
        /// An information or analytical material the body prepared.
        AnalyticalMaterial = "analytical_material",
        /// A document of a working group, such as minutes or a draft plan.
        WorkingGroupDocument = "working_group_document",
        Other = "other",
    }
}

codes! {
    /// Who sent an incoming entry or receives an outgoing one.
    pub enum CounterpartKind {
        /// An NPO of the registry, named by its registry id.
        Npo = "npo",
        /// A government body of the ministry's register, named by its id.
        GovernmentBody = "government_body",
        /// A private person, whose name is personal data.
        Person = "person",
        Media = "media",
        Other = "other",
    }
}

codes! {
    /// Answer status of an incoming entry.
    pub enum CorrespondenceStatus {
        AwaitingAnswer = "awaiting_answer",
        /// An outgoing entry of the register answers it.
        Answered = "answered",
        NoAnswerNeeded = "no_answer_needed",
    }
}

impl CorrespondenceDirection {
    /// Returns the prefix of the registration numbers the register assigns.
    pub fn number_prefix(self) -> &'static str {
        match self {
            Self::Incoming => "ВХ",
            Self::Outgoing => "ИСХ",
        }
    }

    /// Formats the `sequence`-th number of `year` in this direction, such as
    /// `ВХ-2026/15`.
    pub fn number(self, year: i32, sequence: i32) -> String {
        format!("{}-{year}/{sequence}", self.number_prefix())
    }
}

/// Longest registration number, in characters.
const MAX_NUMBER: usize = 50;

/// Sender or recipient of an entry as a request names it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CounterpartInput {
    #[serde(default)]
    #[schema(value_type = CounterpartKind, required = true, example = "npo")]
    pub kind: String,
    /// Registry id of the NPO, required when `kind` is `npo`.
    #[schema(example = "0190c1c8-4c2a-7d31-8e6b-3f1f2a0b9c11")]
    pub npo_id: Option<String>,
    /// Id of the government body, required when `kind` is `government_body`.
    #[schema(example = "akimat-ulytau")]
    pub government_body: Option<String>,
    /// Name of the counterpart, required for a person, the media and others. For an
    /// NPO it defaults to the registry's name.
    #[schema(example = "Жастар әлемі")]
    pub name: Option<String>,
}

/// Sender or recipient of an entry. The name of a person is personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Counterpart {
    pub kind: CounterpartKind,
    /// Registry id, for an NPO.
    pub npo_id: Option<String>,
    /// Government body id, for a government body.
    pub government_body: Option<String>,
    pub name: Option<String>,
}

impl CounterpartInput {
    /// Parses the counterpart at `pointer`. Whether the NPO or the body exists is
    /// checked by the caller.
    fn parse(&self, errors: &mut Errors, pointer: &str) -> Option<Counterpart> {
        let at = |field: &str| format!("{pointer}/{field}");
        let kind = present(errors, &at("kind"), &self.kind)
            .and_then(|raw| errors.check(at("kind"), CounterpartKind::parse(raw)));
        let npo_id = parse_id(errors, &at("npo_id"), self.npo_id.as_deref());
        let government_body = errors
            .check(
                at("government_body"),
                text(self.government_body.as_deref(), 200),
            )
            .flatten();
        let name = errors
            .check(at("name"), text(self.name.as_deref(), 500))
            .flatten();
        let kind = kind?;

        let needs = |field: &str, value: &Option<String>, wanted: bool, errors: &mut Errors| {
            if wanted && value.is_none() && !errors.has(&at(field)) {
                errors.add(
                    at(field),
                    format!("is required for a {} counterpart", kind.code()),
                );
            } else if !wanted && value.is_some() {
                errors.add(
                    at(field),
                    format!(
                        "is not used for a {} counterpart; leave it out",
                        kind.code()
                    ),
                );
            }
        };
        needs("npo_id", &npo_id, kind == CounterpartKind::Npo, errors);
        needs(
            "government_body",
            &government_body,
            kind == CounterpartKind::GovernmentBody,
            errors,
        );
        let named = !matches!(kind, CounterpartKind::Npo | CounterpartKind::GovernmentBody);
        if named && name.is_none() && !errors.has(&at("name")) {
            errors.add(
                at("name"),
                format!("is required for a {} counterpart", kind.code()),
            );
        }
        Some(Counterpart {
            kind,
            npo_id,
            government_body,
            name,
        })
    }
}

/// Body of a request that registers an entry.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrespondenceInput {
    #[serde(default)]
    #[schema(value_type = CorrespondenceDirection, required = true, example = "incoming")]
    pub direction: String,
    #[serde(default)]
    #[schema(value_type = CorrespondenceKind, required = true, example = "appeal")]
    pub kind: String,
    /// Registration number, unique in the body's register. Left out, the register
    /// assigns the next of the year of `registered_on`: `ВХ-2026/15` for incoming and
    /// `ИСХ-2026/7` for outgoing entries.
    #[schema(example = "ВХ-2026/15")]
    pub number: Option<String>,
    /// Day of registration (default today), not after today.
    #[schema(value_type = Option<NaiveDate>, example = "2026-11-10")]
    pub registered_on: Option<String>,
    #[schema(required = true)]
    pub counterpart: Option<CounterpartInput>,
    #[serde(default)]
    #[schema(
        required = true,
        example = "О выделении помещения для молодёжного центра"
    )]
    pub subject: String,
    #[serde(default)]
    #[schema(value_type = InteractionChannel, required = true, example = "email")]
    pub channel: String,
    /// Form of the interaction (default `mediated`, as appeals and letters are).
    #[schema(value_type = Option<InteractionForm>, example = "mediated")]
    pub form: Option<String>,
    /// Incoming entry of the same register that this outgoing entry answers. The
    /// incoming entry becomes answered on this entry's day.
    #[schema(example = "0190c1c8-4c2a-7d31-8e6b-3f1f2a0b9c11")]
    pub answers_id: Option<String>,
    /// Day by which an incoming entry must be answered, not before `registered_on`.
    #[schema(value_type = Option<NaiveDate>, example = "2026-12-10")]
    pub answer_due_on: Option<String>,
    /// `awaiting_answer` (the default) or `no_answer_needed`, for incoming entries.
    #[schema(value_type = Option<CorrespondenceStatus>, example = "awaiting_answer")]
    pub status: Option<String>,
    /// Recommendation of this service that the entry concerns.
    pub recommendation_id: Option<String>,
    /// Request between officers of this service that the entry concerns.
    pub officer_request_id: Option<String>,
    /// Where the document is kept, such as a path or an address in the body's document
    /// system.
    #[schema(example = "edo://2026/vh/15")]
    pub file_ref: Option<String>,
}

/// Fields of an entry that an update may change.
#[derive(Debug, Clone, PartialEq)]
pub struct Editable {
    pub kind: CorrespondenceKind,
    pub counterpart: Counterpart,
    pub subject: String,
    pub channel: InteractionChannel,
    pub form: InteractionForm,
    pub answer_due_on: Option<NaiveDate>,
    pub status: Option<CorrespondenceStatus>,
    pub recommendation_id: Option<String>,
    pub officer_request_id: Option<String>,
    pub file_ref: Option<String>,
}

/// A valid entry to register.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryFacts {
    pub direction: CorrespondenceDirection,
    pub number: Option<String>,
    pub registered_on: NaiveDate,
    pub answers_id: Option<String>,
    pub editable: Editable,
}

fn parse_subject(errors: &mut Errors, raw: &str) -> Option<String> {
    let subject = errors
        .check("/subject", multiline_text(Some(raw), 2000))
        .flatten();
    if subject.is_none() && !errors.has("/subject") {
        errors.add("/subject", "is required");
    }
    subject
}

fn parse_channel(errors: &mut Errors, raw: &str) -> Option<InteractionChannel> {
    present(errors, "/channel", raw)
        .and_then(|raw| errors.check("/channel", super::parse_code::<InteractionChannel>(raw)))
}

fn parse_form(errors: &mut Errors, raw: Option<&str>) -> Option<InteractionForm> {
    match raw {
        None => Some(InteractionForm::Mediated),
        Some(raw) => errors.check("/form", super::parse_code::<InteractionForm>(raw.trim())),
    }
}

/// Parses a status an officer sets. Only a registered answer sets `answered`.
fn parse_status(errors: &mut Errors, raw: &str) -> Option<CorrespondenceStatus> {
    match errors.check("/status", CorrespondenceStatus::parse(raw.trim()))? {
        CorrespondenceStatus::Answered => {
            errors.add(
                "/status",
                "an entry becomes answered when its answer is registered with answers_id",
            );
            None
        }
        status => Some(status),
    }
}

/// Checks the rules that tie the deadline and the status to the direction.
fn check_direction_rules(
    errors: &mut Errors,
    direction: CorrespondenceDirection,
    registered_on: NaiveDate,
    answer_due_on: Option<NaiveDate>,
    status_given: bool,
) {
    match direction {
        CorrespondenceDirection::Outgoing => {
            if answer_due_on.is_some() {
                errors.add(
                    "/answer_due_on",
                    "only an incoming entry has a deadline for an answer",
                );
            }
            if status_given {
                errors.add("/status", "only an incoming entry has an answer status");
            }
        }
        CorrespondenceDirection::Incoming => {
            if let Some(due) = answer_due_on
                && due < registered_on
            {
                errors.add(
                    "/answer_due_on",
                    format!("{due} is before the entry was registered ({registered_on})"),
                );
            }
        }
    }
}

impl CorrespondenceInput {
    /// Parses the entry, registered by `today`. Whether the counterpart, the answered
    /// entry and the linked records exist is checked by the caller.
    pub fn parse(&self, today: NaiveDate) -> Result<EntryFacts, ApiError> {
        let mut errors = Errors::default();
        let direction = present(&mut errors, "/direction", &self.direction)
            .and_then(|raw| errors.check("/direction", CorrespondenceDirection::parse(raw)));
        let kind = present(&mut errors, "/kind", &self.kind)
            .and_then(|raw| errors.check("/kind", CorrespondenceKind::parse(raw)));
        let number = errors
            .check("/number", text(self.number.as_deref(), MAX_NUMBER))
            .flatten();
        let registered_on = match self.registered_on.as_deref() {
            Some(raw) => errors.check("/registered_on", parse_date(raw)),
            None => Some(today),
        };
        if let Some(date) = registered_on
            && date > today
        {
            errors.add("/registered_on", format!("{date} is after today ({today})"));
        }
        let counterpart = match &self.counterpart {
            Some(input) => input.parse(&mut errors, "/counterpart"),
            None => {
                errors.add("/counterpart", "is required");
                None
            }
        };
        let subject = parse_subject(&mut errors, &self.subject);
        let channel = parse_channel(&mut errors, &self.channel);
        let form = parse_form(&mut errors, self.form.as_deref());
        let answers_id = parse_id(&mut errors, "/answers_id", self.answers_id.as_deref());
        if answers_id.is_some() && direction == Some(CorrespondenceDirection::Incoming) {
            errors.add(
                "/answers_id",
                "only an outgoing entry answers another entry",
            );
        }
        let answer_due_on = self
            .answer_due_on
            .as_deref()
            .and_then(|raw| errors.check("/answer_due_on", parse_date(raw)));
        let status = self
            .status
            .as_deref()
            .and_then(|raw| parse_status(&mut errors, raw));
        if let (Some(direction), Some(registered_on)) = (direction, registered_on) {
            let status_given = self.status.is_some();
            check_direction_rules(
                &mut errors,
                direction,
                registered_on,
                answer_due_on,
                status_given,
            );
        }
        let recommendation_id = parse_id(
            &mut errors,
            "/recommendation_id",
            self.recommendation_id.as_deref(),
        );
        let officer_request_id = parse_id(
            &mut errors,
            "/officer_request_id",
            self.officer_request_id.as_deref(),
        );
        let file_ref = errors
            .check("/file_ref", text(self.file_ref.as_deref(), 500))
            .flatten();

        errors.into_result()?;
        match (
            direction,
            kind,
            registered_on,
            counterpart,
            subject,
            channel,
            form,
        ) {
            (
                Some(direction),
                Some(kind),
                Some(registered_on),
                Some(counterpart),
                Some(subject),
                Some(channel),
                Some(form),
            ) => Ok(EntryFacts {
                direction,
                number,
                registered_on,
                answers_id,
                editable: Editable {
                    kind,
                    counterpart,
                    subject,
                    channel,
                    form,
                    answer_due_on,
                    status: match direction {
                        CorrespondenceDirection::Incoming => {
                            Some(status.unwrap_or(CorrespondenceStatus::AwaitingAnswer))
                        }
                        CorrespondenceDirection::Outgoing => None,
                    },
                    recommendation_id,
                    officer_request_id,
                    file_ref,
                },
            }),
            _ => Err(ApiError::internal(anyhow::anyhow!(
                "a correspondence entry passed its checks with a field missing"
            ))),
        }
    }
}

/// Body of a change of an entry, a JSON merge patch: a field left out stays, `null`
/// clears an optional one. The direction, number, day of registration and the answered
/// entry do not change.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrespondencePatch {
    #[schema(value_type = Option<CorrespondenceKind>, example = "request")]
    pub kind: Option<String>,
    pub counterpart: Option<CounterpartInput>,
    pub subject: Option<String>,
    #[schema(value_type = Option<InteractionChannel>, example = "post")]
    pub channel: Option<String>,
    #[schema(value_type = Option<InteractionForm>)]
    pub form: Option<String>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<NaiveDate>, example = "2026-12-20")]
    pub answer_due_on: Option<Option<String>>,
    /// `awaiting_answer` or `no_answer_needed`, for an incoming entry not yet answered.
    #[schema(value_type = Option<CorrespondenceStatus>, example = "no_answer_needed")]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub recommendation_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub officer_request_id: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub file_ref: Option<Option<String>>,
}

impl CorrespondencePatch {
    /// Parses the counterpart alone, so the caller can check it before the transaction.
    pub fn counterpart(&self) -> Result<Option<Counterpart>, ApiError> {
        let Some(input) = &self.counterpart else {
            return Ok(None);
        };
        let mut errors = Errors::default();
        let parsed = input.parse(&mut errors, "/counterpart");
        errors.into_result()?;
        Ok(parsed)
    }

    /// Applies the patch to `current`. A status change of an answered entry is a 409.
    pub fn apply(
        &self,
        current: &CorrespondenceEntry,
        counterpart: Option<Counterpart>,
    ) -> Result<Editable, ApiError> {
        let mut errors = Errors::default();
        let mut next = current.editable();
        if let Some(raw) = &self.kind {
            next.kind = errors
                .check("/kind", CorrespondenceKind::parse(raw.trim()))
                .unwrap_or(next.kind);
        }
        if let Some(counterpart) = counterpart {
            next.counterpart = counterpart;
        }
        if let Some(raw) = &self.subject {
            next.subject = parse_subject(&mut errors, raw).unwrap_or(next.subject);
        }
        if let Some(raw) = &self.channel {
            next.channel = parse_channel(&mut errors, raw).unwrap_or(next.channel);
        }
        if let Some(raw) = &self.form {
            next.form = parse_form(&mut errors, Some(raw)).unwrap_or(next.form);
        }
        if let Some(raw) = &self.answer_due_on {
            next.answer_due_on = raw
                .as_deref()
                .and_then(|raw| errors.check("/answer_due_on", parse_date(raw)));
        }
        if let Some(raw) = &self.status {
            if current.status == Some(CorrespondenceStatus::Answered) {
                return Err(ApiError::Conflict(format!(
                    "entry {} is answered by entry {}; its status no longer changes",
                    current.id,
                    current.answered_by_id.as_deref().unwrap_or("unknown")
                )));
            }
            next.status = parse_status(&mut errors, raw).or(next.status);
        }
        if let Some(raw) = &self.recommendation_id {
            next.recommendation_id = parse_id(&mut errors, "/recommendation_id", raw.as_deref());
        }
        if let Some(raw) = &self.officer_request_id {
            next.officer_request_id = parse_id(&mut errors, "/officer_request_id", raw.as_deref());
        }
        if let Some(raw) = &self.file_ref {
            next.file_ref = errors
                .check("/file_ref", text(raw.as_deref(), 500))
                .flatten();
        }
        let status_given = self.status.is_some();
        let changed_due = self.answer_due_on.is_some();
        check_direction_rules(
            &mut errors,
            current.direction,
            current.registered_on,
            next.answer_due_on.filter(|_| changed_due),
            status_given,
        );

        errors.into_result()?;
        Ok(next)
    }
}

impl Editable {
    /// Names the fields that differ from `before`, for the audit trail.
    pub fn changed_fields(&self, before: &Editable) -> Vec<String> {
        [
            ("kind", self.kind != before.kind),
            ("counterpart", self.counterpart != before.counterpart),
            ("subject", self.subject != before.subject),
            ("channel", self.channel != before.channel),
            ("form", self.form != before.form),
            ("answer_due_on", self.answer_due_on != before.answer_due_on),
            ("status", self.status != before.status),
            (
                "recommendation_id",
                self.recommendation_id != before.recommendation_id,
            ),
            (
                "officer_request_id",
                self.officer_request_id != before.officer_request_id,
            ),
            ("file_ref", self.file_ref != before.file_ref),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| name.to_owned())
        .collect()
    }
}

/// An entry of a body's correspondence register.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CorrespondenceEntry {
    pub id: String,
    pub government_body: String,
    pub direction: CorrespondenceDirection,
    pub kind: CorrespondenceKind,
    #[schema(example = "ВХ-2026/15")]
    pub number: String,
    pub registered_on: NaiveDate,
    pub counterpart: Counterpart,
    pub subject: String,
    pub channel: InteractionChannel,
    pub form: InteractionForm,
    /// Incoming entry that this outgoing entry answers.
    pub answers_id: Option<String>,
    /// Day by which an incoming entry must be answered.
    pub answer_due_on: Option<NaiveDate>,
    /// Answer status, null for outgoing entries.
    pub status: Option<CorrespondenceStatus>,
    /// Day of the first outgoing entry that answered this incoming one.
    pub answered_on: Option<NaiveDate>,
    /// First outgoing entry that answered this incoming one.
    pub answered_by_id: Option<String>,
    /// Days since the deadline passed, in Asia/Almaty, while an answer is awaited.
    pub days_overdue: Option<i64>,
    pub recommendation_id: Option<String>,
    pub officer_request_id: Option<String>,
    pub file_ref: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CorrespondenceEntry {
    /// Returns the fields an update may change, as they are now.
    pub fn editable(&self) -> Editable {
        Editable {
            kind: self.kind,
            counterpart: self.counterpart.clone(),
            subject: self.subject.clone(),
            channel: self.channel,
            form: self.form,
            answer_due_on: self.answer_due_on,
            status: self.status,
            recommendation_id: self.recommendation_id.clone(),
            officer_request_id: self.officer_request_id.clone(),
            file_ref: self.file_ref.clone(),
        }
    }

    /// Returns how many days the answer is late on `today`, or `None` when it is not.
    pub fn days_overdue(
        status: Option<CorrespondenceStatus>,
        due: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Option<i64> {
        match (status, due) {
            (Some(CorrespondenceStatus::AwaitingAnswer), Some(due)) if due < today => {
                Some((today - due).num_days())
            }
            _ => None,
        }
    }

    /// Returns the year whose sequence numbers the entry.
    pub fn year(&self) -> i32 {
        self.registered_on.year()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(raw: &str) -> NaiveDate {
        parse_date(raw).expect("a valid date")
    }

    #[test]
    fn numbers_follow_direction_and_year() {
        assert_eq!(
            CorrespondenceDirection::Incoming.number(2026, 15),
            "ВХ-2026/15"
        );
        assert_eq!(
            CorrespondenceDirection::Outgoing.number(2026, 7),
            "ИСХ-2026/7"
        );
    }

    #[test]
    fn overdue_only_while_awaiting() {
        let today = day("2026-11-20");
        let due = Some(day("2026-11-17"));
        let awaiting = Some(CorrespondenceStatus::AwaitingAnswer);

        assert_eq!(
            CorrespondenceEntry::days_overdue(awaiting, due, today),
            Some(3)
        );
        assert_eq!(
            CorrespondenceEntry::days_overdue(Some(CorrespondenceStatus::Answered), due, today),
            None
        );
        assert_eq!(
            CorrespondenceEntry::days_overdue(awaiting, Some(today), today),
            None
        );
    }
}
