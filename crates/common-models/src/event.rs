//! The event envelope every service publishes, and the payloads that cross services.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// One domain event as it travels over the broker and appears in a service's event log.
///
/// The routing key on the broker equals `event_type`, and the AMQP message id equals `id`.
/// Unknown fields are ignored when reading, so a producer can add one without breaking
/// older consumers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventEnvelope {
    /// UUIDv7, unique per event; consumers deduplicate on it.
    pub id: Uuid,
    /// Dotted event type, such as `registry.npo.registered`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Version of the payload schema for this event type.
    pub version: u32,
    /// When the change happened, in UTC.
    pub occurred_at: DateTime<Utc>,
    /// Name of the producing service.
    pub service: String,
    /// Subject of the token that made the change, when a person or system made it.
    pub actor: Option<String>,
    /// Government body on whose behalf the change was made, when there is one.
    pub government_body: Option<String>,
    /// Event-specific data.
    pub payload: serde_json::Value,
}

impl EventEnvelope {
    /// Creates an envelope with a fresh UUIDv7 id, stamped now.
    pub fn new(
        event_type: impl Into<String>,
        version: u32,
        service: impl Into<String>,
        payload: serde_json::Value,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            event_type: event_type.into(),
            version,
            occurred_at: crate::time::truncate_to_micros(Utc::now()),
            service: service.into(),
            actor: None,
            government_body: None,
            payload,
        }
    }

    /// Sets the actor and the government body on whose behalf the change was made.
    #[must_use]
    pub fn by(mut self, actor: Option<String>, government_body: Option<String>) -> Self {
        self.actor = actor;
        self.government_body = government_body;
        self
    }
}

/// Event types and payloads of the NPO registry.
pub mod registry {
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// An NPO was added to the registry.
    pub const NPO_REGISTERED: &str = "registry.npo.registered";
    /// Fields of an NPO changed.
    pub const NPO_UPDATED: &str = "registry.npo.updated";
    /// The status of an NPO changed (active, inactive, suspended, liquidated).
    pub const NPO_STATUS_CHANGED: &str = "registry.npo.status_changed";
    /// A project of an NPO was recorded.
    pub const PROJECT_RECORDED: &str = "registry.project.recorded";
    /// Two records of one NPO were merged; the merged id now redirects.
    pub const NPO_MERGED: &str = "registry.npo.merged";
    /// A government body recorded its yearly NPO data collection.
    pub const CAMPAIGN_RECORDED: &str = "registry.campaign.recorded";

    /// Payload of `registry.npo.registered`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct NpoRegistered {
        pub npo_id: String,
        pub bin: Option<String>,
        pub name_ru: Option<String>,
        pub name_kk: Option<String>,
        pub legal_form: String,
        pub status: String,
        pub territories: Vec<String>,
        pub spheres: Vec<String>,
        /// The NPO as the annual report lists it. Events of earlier releases lack it.
        #[serde(default)]
        pub card: Option<NpoReportCard>,
    }

    /// Payload of `registry.npo.updated`: which fields changed, and the NPO as it is now.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct NpoUpdated {
        pub npo_id: String,
        pub fields: Vec<String>,
        pub territories: Vec<String>,
        pub spheres: Vec<String>,
        /// The NPO after the change. Events of earlier releases lack it.
        #[serde(default)]
        pub card: Option<NpoReportCard>,
    }

    /// The columns of annual report table 1 for one NPO: what the ministry needs to list
    /// the NPOs working in a body's territory and spheres.
    ///
    /// Key staff and contacts are personal data. They travel only over the broker and
    /// in the event log, which only the ministry reads. The aggregation service shows
    /// them only to the ministry and to the body's officer.
    #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct NpoReportCard {
        pub bin: Option<String>,
        pub name_ru: Option<String>,
        pub name_kk: Option<String>,
        pub status: String,
        pub founded_on: Option<chrono::NaiveDate>,
        /// Directions of activity: sphere codes.
        pub spheres: Vec<String>,
        pub target_groups: Vec<String>,
        /// KATO codes of the territories where the NPO works.
        pub territories: Vec<String>,
        pub forms_of_work: Vec<String>,
        pub key_staff: Vec<KeyStaffEntry>,
        pub phone: Option<String>,
        pub email: Option<String>,
        pub address: Option<String>,
        pub web_resources: Vec<String>,
    }

    /// One key staff member of an NPO.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct KeyStaffEntry {
        pub full_name: String,
        pub position: Option<String>,
    }

    /// Payload of `registry.npo.status_changed`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct NpoStatusChanged {
        pub npo_id: String,
        pub from: String,
        pub to: String,
    }

    /// Payload of `registry.npo.merged`: `merged_id` is kept for its history and
    /// redirects to `npo_id`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct NpoMerged {
        pub npo_id: String,
        pub merged_id: String,
    }

    /// Payload of `registry.project.recorded`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct ProjectRecorded {
        pub project_id: String,
        pub npo_id: String,
        pub sphere: Option<String>,
        pub territory: Option<String>,
        pub starts_on: Option<chrono::NaiveDate>,
        pub ends_on: Option<chrono::NaiveDate>,
        /// Events of earlier releases lack this and the funding source.
        #[serde(default)]
        pub name: Option<String>,
        #[serde(default)]
        pub funding_source: Option<String>,
    }

    /// Payload of `registry.campaign.recorded`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct CampaignRecorded {
        pub campaign_id: String,
        pub government_body: String,
        pub year: i32,
        pub inside_window: bool,
        pub npos_added: i32,
        pub npos_updated: i32,
    }
}

/// Event types and payloads of the needs assessments.
pub mod needs {
    use chrono::NaiveDate;
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// An assessment's public report was published.
    pub const ASSESSMENT_PUBLISHED: &str = "needs.assessment.published";
    /// A priority was added to an assessment that is not yet published.
    pub const PRIORITY_IDENTIFIED: &str = "needs.priority.identified";
    /// A priority was removed from an assessment before its report was published.
    pub const PRIORITY_WITHDRAWN: &str = "needs.priority.withdrawn";
    /// A sphere and territory of a government body went two years without a completed
    /// assessment.
    pub const ASSESSMENT_OVERDUE: &str = "needs.assessment.overdue";
    /// The management of a government body agreed a proposal for joint action.
    pub const PROPOSAL_AGREED: &str = "needs.proposal.agreed";

    /// Payload of `needs.assessment.published`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct AssessmentPublished {
        pub assessment_id: String,
        pub government_body: String,
        pub spheres: Vec<String>,
        pub territory: String,
        pub period_start: NaiveDate,
        pub period_end: NaiveDate,
        /// The priorities of the published report, which supersede those announced
        /// by `needs.priority.identified` while the report was drafted.
        pub priorities: Vec<PriorityIdentified>,
        /// Number of people of the target groups involved in the assessment.
        pub participants: i64,
        /// Events of earlier releases lack this and every field below.
        #[serde(default)]
        pub title: Option<String>,
        #[serde(default)]
        pub completed_on: Option<NaiveDate>,
        /// The activities of the assessment: the rows of annual report table 2.
        #[serde(default)]
        pub activities: Vec<AssessmentActivity>,
    }

    /// One activity of a needs assessment (a meeting, survey, study …).
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct AssessmentActivity {
        pub held_on: NaiveDate,
        pub form: String,
        pub participant_categories: Vec<String>,
        pub participants: Option<i64>,
        /// Staff of the body responsible for the activity.
        pub responsible_staff: String,
    }

    /// Payload of `needs.priority.identified`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct PriorityIdentified {
        pub priority_id: String,
        pub assessment_id: String,
        pub government_body: String,
        pub sphere: String,
        pub territory: String,
        pub target_group: String,
        pub risk_level: String,
        pub people_affected: Option<i64>,
        /// The columns of the form "Identified priorities", which events of earlier
        /// releases lack.
        #[serde(default)]
        pub problem: Option<String>,
        #[serde(default)]
        pub information_source: Option<String>,
        /// The source in words, such as a statistics office and year.
        #[serde(default)]
        pub source_details: Option<String>,
        #[serde(default)]
        pub risks: Option<String>,
    }

    /// Payload of `needs.priority.withdrawn`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct PriorityWithdrawn {
        pub priority_id: String,
        pub assessment_id: String,
        pub government_body: String,
    }

    /// Payload of `needs.assessment.overdue`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct AssessmentOverdue {
        pub government_body: String,
        pub sphere: String,
        pub territory: String,
        pub last_assessment_id: String,
        pub last_completed_on: NaiveDate,
        pub next_due_on: NaiveDate,
    }

    /// Payload of `needs.proposal.agreed`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct ProposalAgreed {
        pub proposal_id: String,
        pub assessment_id: String,
        pub government_body: String,
        pub priority_ids: Vec<String>,
        pub agreed_on: NaiveDate,
    }
}

/// Event types and payloads of joint planning and joint actions.
pub mod joint_actions {
    use chrono::NaiveDate;
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// A joint work plan was approved.
    pub const PLAN_APPROVED: &str = "joint_actions.plan.approved";
    /// An approved joint work plan got a new version.
    pub const PLAN_CHANGED: &str = "joint_actions.plan.changed";
    /// A joint action moved to another stage.
    pub const ACTION_STATE_CHANGED: &str = "joint_actions.action.state_changed";
    /// A measurement of a monitoring indicator was recorded.
    pub const MEASUREMENT_RECORDED: &str = "joint_actions.measurement.recorded";
    /// The final evaluation of a joint action was recorded.
    pub const EVALUATION_COMPLETED: &str = "joint_actions.evaluation.completed";
    /// A meeting of a working group on joint planning was recorded.
    pub const MEETING_RECORDED: &str = "joint_actions.meeting.recorded";
    /// The monitoring and evaluation plan of a joint action changed: a row was added or
    /// a measurement recorded.
    pub const MONITORING_CHANGED: &str = "joint_actions.monitoring.changed";

    /// A memorandum of cooperation between a body and NPOs was signed.
    pub const MEMORANDUM_SIGNED: &str = "joint_actions.memorandum.signed";
    /// A signed memorandum reached the end of its term.
    pub const MEMORANDUM_EXPIRED: &str = "joint_actions.memorandum.expired";
    /// A signed memorandum was terminated before the end of its term.
    pub const MEMORANDUM_TERMINATED: &str = "joint_actions.memorandum.terminated";

    /// Payload of the memorandum events: the memorandum as it is after the change.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct MemorandumChanged {
        pub memorandum_id: String,
        pub government_body: String,
        /// Registry ids of the NPOs that are parties to the memorandum.
        pub npo_ids: Vec<String>,
        /// Sphere codes the memorandum covers.
        pub spheres: Vec<String>,
        pub subject: String,
        /// `draft`, `signed`, `expired` or `terminated`.
        pub status: String,
        pub signed_on: Option<NaiveDate>,
        /// Last day of the term; null for a memorandum without an end date.
        pub valid_until: Option<NaiveDate>,
        /// Day the memorandum was terminated early.
        pub terminated_on: Option<NaiveDate>,
    }

    /// Payload of `joint_actions.plan.approved` and `joint_actions.plan.changed`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct PlanVersioned {
        pub plan_id: String,
        pub government_body: String,
        pub version: i32,
        pub activities: i64,
        /// Events of earlier releases lack this and every field below.
        #[serde(default)]
        pub title: Option<String>,
        #[serde(default)]
        pub working_group_id: Option<String>,
        /// Day the version was approved, in Asia/Almaty.
        #[serde(default)]
        pub approved_on: Option<NaiveDate>,
        /// The rows of the form "Joint work plan".
        #[serde(default)]
        pub rows: Vec<JointPlanRow>,
    }

    /// One row of the form "Joint work plan".
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct JointPlanRow {
        pub activity: String,
        pub completion_form: Option<String>,
        pub deadline: Option<NaiveDate>,
        pub responsible: Option<String>,
        pub participants: Option<String>,
        pub participation_form: Option<String>,
    }

    /// Payload of `joint_actions.action.state_changed`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct ActionStateChanged {
        pub action_id: String,
        pub government_body: String,
        pub from: String,
        pub to: String,
        pub npo_ids: Vec<String>,
        /// Events of earlier releases lack this and every field below.
        #[serde(default)]
        pub title: Option<String>,
        #[serde(default)]
        pub spheres: Vec<String>,
        #[serde(default)]
        pub territory: Option<String>,
        #[serde(default)]
        pub started_on: Option<NaiveDate>,
        #[serde(default)]
        pub completed_on: Option<NaiveDate>,
    }

    /// Payload of `joint_actions.meeting.recorded`: one row of annual report table 3.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct MeetingRecorded {
        pub meeting_id: String,
        pub working_group_id: String,
        pub government_body: String,
        pub held_on: NaiveDate,
        pub form: String,
        pub participant_categories: Vec<String>,
        pub participants: Option<i64>,
        pub responsible_staff: String,
        /// Changes made to the joint plan, or the plan that was drawn up.
        pub result: Option<String>,
    }

    /// Payload of `joint_actions.monitoring.changed`: the whole monitoring and
    /// evaluation plan of an action as it is now.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct MonitoringChanged {
        pub action_id: String,
        pub government_body: String,
        pub rows: Vec<MonitoringRow>,
    }

    /// One row of the form "Monitoring and evaluation plan".
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct MonitoringRow {
        pub row_id: String,
        pub activity: String,
        pub frequency: String,
        pub indicators: Vec<IndicatorState>,
        pub comments: Option<String>,
    }

    /// An indicator of a monitoring row: the planned value and the latest measured one.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct IndicatorState {
        pub name: String,
        pub unit: Option<String>,
        pub target: f64,
        pub higher_is_better: bool,
        /// Latest measured value; absent until the first measurement.
        pub actual: Option<f64>,
        /// Evidence or sources of the measurements, oldest first.
        pub evidence: Vec<String>,
    }

    /// Payload of `joint_actions.measurement.recorded`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct MeasurementRecorded {
        pub action_id: String,
        pub government_body: String,
        pub row_id: String,
        pub indicator: String,
        pub measured_on: NaiveDate,
        pub value: f64,
    }

    /// Payload of `joint_actions.evaluation.completed`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct EvaluationCompleted {
        pub action_id: String,
        pub government_body: String,
        /// Indicators whose latest value reached the target.
        pub indicators_met: i64,
        pub indicators_total: i64,
    }
}

/// Event types and payloads of recommendations.
pub mod recommendations {
    use chrono::NaiveDate;
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// A recommendation arrived and was accepted into work.
    pub const RECOMMENDATION_RECEIVED: &str = "recommendations.recommendation.received";
    /// The body decided how a recommendation is handled.
    pub const RECOMMENDATION_DECIDED: &str = "recommendations.recommendation.decided";
    /// The body gave the author of a recommendation feedback.
    pub const RECOMMENDATION_ANSWERED: &str = "recommendations.recommendation.answered";
    /// A recommendation was closed after its author got feedback.
    pub const RECOMMENDATION_CLOSED: &str = "recommendations.recommendation.closed";
    /// A recommendation was forwarded to another body, which now handles it.
    pub const RECOMMENDATION_FORWARDED: &str = "recommendations.recommendation.forwarded";
    /// An officer requested recommendations from NPOs on a topic, by a deadline.
    pub const REQUEST_PUBLISHED: &str = "recommendations.request.published";

    /// A consultation or expert support, given to NPOs or received from them, was
    /// recorded.
    pub const CONSULTATION_RECORDED: &str = "recommendations.consultation.recorded";
    /// An officer sent an information request to another body's officer.
    pub const OFFICER_REQUEST_SENT: &str = "recommendations.officer_request.sent";
    /// An information request between officers was answered.
    pub const OFFICER_REQUEST_ANSWERED: &str = "recommendations.officer_request.answered";
    /// An NPO representative asked for a reception.
    pub const RECEPTION_REQUESTED: &str = "recommendations.reception.requested";
    /// A reception was appointed for a request, or the representative was received at
    /// once.
    pub const RECEPTION_APPOINTED: &str = "recommendations.reception.appointed";

    /// Payload of the recommendation events.
    ///
    /// The author's name and contacts are personal data when the author is a person.
    /// They travel only over the broker and in the event log, which only the ministry
    /// reads, and feed annual report table 5.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct RecommendationChanged {
        pub recommendation_id: String,
        pub government_body: String,
        pub sphere: String,
        pub npo_id: Option<String>,
        pub status: String,
        pub received_on: NaiveDate,
        pub answered_on: Option<NaiveDate>,
        /// Events of earlier releases lack this and every field below.
        #[serde(default)]
        pub territory: Option<String>,
        /// `npo` or `person`.
        #[serde(default)]
        pub author_kind: Option<String>,
        #[serde(default)]
        pub author_name: Option<String>,
        /// Name, phone and e-mail of the contact person, those given, separated by
        /// commas.
        #[serde(default)]
        pub contacts: Option<String>,
        /// Initiator of the exchange: `npo` or `government_body`.
        #[serde(default)]
        pub initiator: Option<String>,
        /// Body that received the recommendation first.
        #[serde(default)]
        pub received_by: Option<String>,
        /// Full name of the officer responsible for handling it.
        #[serde(default)]
        pub responsible_name: Option<String>,
        /// Handling of the latest decision: `rejected`, `included_in_plans` or
        /// `implemented`. Closing keeps it.
        #[serde(default)]
        pub handling: Option<String>,
        /// Day of the latest decision.
        #[serde(default)]
        pub decided_on: Option<NaiveDate>,
        /// Day of the latest forwarding, and the body it came from.
        #[serde(default)]
        pub forwarded_on: Option<NaiveDate>,
        #[serde(default)]
        pub forwarded_from: Option<String>,
        /// Day by which the current stage is due.
        #[serde(default)]
        pub due_on: Option<NaiveDate>,
        /// E-mail of the author's contact person, to which feedback can be sent.
        #[serde(default)]
        pub author_email: Option<String>,
    }

    /// Payload of `recommendations.consultation.recorded`: one row of annual report
    /// table 6. The counterpart's contacts are personal data when it is a person.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct ConsultationRecorded {
        pub consultation_id: String,
        pub government_body: String,
        /// `given` (support given to NPOs) or `received` (support received from them).
        pub direction: String,
        pub held_on: NaiveDate,
        pub counterpart: String,
        pub contacts: Option<String>,
        pub sphere: Option<String>,
        pub question: String,
        pub form: String,
    }

    /// Payload of the officer request events: a row of annual report table 7 for both
    /// bodies.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct OfficerRequestChanged {
        pub request_id: String,
        pub from_body: String,
        pub to_body: String,
        pub question: String,
        pub sphere: Option<String>,
        pub format: Option<String>,
        /// Contacts of the asking officer.
        pub contacts: Option<String>,
        pub sent_on: NaiveDate,
        pub deadline: NaiveDate,
        pub answered_on: Option<NaiveDate>,
        pub result: Option<String>,
    }

    /// Payload of the reception events. It contains nothing about the person who asked,
    /// because the notifier writes to the registry contacts of the NPO they represent.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct ReceptionChanged {
        pub request_id: String,
        pub government_body: String,
        pub requested_on: NaiveDate,
        pub status: String,
        /// Day of the reception, once appointed.
        pub appointed_on: Option<NaiveDate>,
        /// Registry id of the NPO whose representative asked. Events of earlier releases
        /// lack this and the place.
        #[serde(default)]
        pub npo_id: Option<String>,
        /// Place of the reception, once appointed.
        #[serde(default)]
        pub place: Option<String>,
    }

    /// Payload of `recommendations.request.published`, from which a notifier can tell
    /// the invited NPOs about the request.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct RequestPublished {
        pub request_id: String,
        /// Body that sent the request and receives the recommendations.
        pub government_body: String,
        pub sphere: Option<String>,
        /// Last day on which recommendations are accepted.
        pub deadline: NaiveDate,
        /// Registry ids of the invited NPOs. Empty when every NPO is invited.
        pub invited_npo_ids: Vec<String>,
    }
}

/// Event types and payloads of the ministry's register of government bodies and
/// officers, and of the national schedule of meetings of the bodies' heads with NPOs.
/// Officers are named by the subject of their tokens.
pub mod aggregation {
    use chrono::{DateTime, NaiveDate, Utc};
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// An officer was appointed to a body that had none.
    pub const OFFICER_APPOINTED: &str = "aggregation.officer.appointed";
    /// An officer was dismissed or transferred and a successor took over their work.
    pub const OFFICER_REPLACED: &str = "aggregation.officer.replaced";
    /// An officer was dismissed or transferred without a successor; the body is vacant
    /// until the next appointment.
    pub const OFFICER_DISMISSED: &str = "aggregation.officer.dismissed";

    /// Payload of `aggregation.officer.appointed`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct OfficerAppointed {
        pub government_body: String,
        /// Subject of the officer's tokens.
        pub officer: String,
        /// Full name, as published in the officer's public profile.
        pub full_name: String,
        pub appointed_on: NaiveDate,
    }

    /// Payload of `aggregation.officer.replaced`: every open item of `officer` passes to
    /// `successor`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct OfficerReplaced {
        pub government_body: String,
        /// Subject of the tokens of the officer who leaves.
        pub officer: String,
        /// Subject of the tokens of the officer who takes over.
        pub successor: String,
        /// Full name of the successor, as published in their public profile.
        pub successor_name: String,
        pub replaced_on: NaiveDate,
    }

    /// Payload of `aggregation.officer.dismissed`: the body has no officer from
    /// `dismissed_on`, and the open items of `officer` wait for the next appointment.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct OfficerDismissed {
        pub government_body: String,
        /// Subject of the tokens of the officer who leaves.
        pub officer: String,
        /// Day the officer left, the first day the body is vacant.
        pub dismissed_on: NaiveDate,
    }

    /// A meeting of a body's head with NPOs was put on the national schedule.
    pub const MEETING_SCHEDULED: &str = "aggregation.meeting.scheduled";
    /// A scheduled meeting moved to another time, place or link, or its agenda or
    /// invitations changed.
    pub const MEETING_RESCHEDULED: &str = "aggregation.meeting.rescheduled";
    /// A scheduled meeting was cancelled.
    pub const MEETING_CANCELLED: &str = "aggregation.meeting.cancelled";
    /// A meeting took place and its outcome was recorded.
    pub const MEETING_HELD: &str = "aggregation.meeting.held";

    /// Payload of the meeting events: the meeting as it is after the change.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct HeadMeetingChanged {
        pub meeting_id: String,
        pub government_body: String,
        /// Position and full name of the head who meets the NPOs.
        pub head: String,
        pub starts_at: DateTime<Utc>,
        /// Address of the meeting; null for a meeting held only online.
        pub place: Option<String>,
        /// Link to join online; null for a meeting held only in person.
        pub online_url: Option<String>,
        pub agenda: String,
        /// Sphere codes of the NPOs invited; empty when every sphere is.
        pub spheres: Vec<String>,
        /// KATO codes of the territories whose NPOs are invited.
        pub territories: Vec<String>,
        /// Registry ids of the NPOs invited, as chosen by sphere and territory.
        pub invited_npo_ids: Vec<String>,
        /// `scheduled`, `cancelled` or `held`.
        pub status: String,
        /// Decisions of the meeting, once held.
        pub outcome: Option<String>,
    }
}
