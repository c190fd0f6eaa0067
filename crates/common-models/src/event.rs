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

    /// Payload of `registry.npo.registered`. Holds no personal data.
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
    }

    /// Payload of `registry.npo.updated`: which fields changed, without their values.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct NpoUpdated {
        pub npo_id: String,
        pub fields: Vec<String>,
        pub territories: Vec<String>,
        pub spheres: Vec<String>,
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

    /// Payload of `joint_actions.plan.approved` and `joint_actions.plan.changed`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct PlanVersioned {
        pub plan_id: String,
        pub government_body: String,
        pub version: i32,
        pub activities: i64,
    }

    /// Payload of `joint_actions.action.state_changed`.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct ActionStateChanged {
        pub action_id: String,
        pub government_body: String,
        pub from: String,
        pub to: String,
        pub npo_ids: Vec<String>,
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
    /// A recommendation was closed after its author got feedback.
    pub const RECOMMENDATION_CLOSED: &str = "recommendations.recommendation.closed";
    /// A recommendation was forwarded to another body, which now handles it.
    pub const RECOMMENDATION_FORWARDED: &str = "recommendations.recommendation.forwarded";
    /// An officer requested recommendations from NPOs on a topic, by a deadline.
    pub const REQUEST_PUBLISHED: &str = "recommendations.request.published";

    /// Payload of the recommendation events. Holds no contacts.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
    pub struct RecommendationChanged {
        pub recommendation_id: String,
        pub government_body: String,
        pub sphere: String,
        pub npo_id: Option<String>,
        pub status: String,
        pub received_on: NaiveDate,
        pub answered_on: Option<NaiveDate>,
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
/// officers. Officers are named by the subject of their tokens.
pub mod aggregation {
    use chrono::NaiveDate;
    use serde::{Deserialize, Serialize};
    use utoipa::ToSchema;

    /// An officer was appointed to a body that had none.
    pub const OFFICER_APPOINTED: &str = "aggregation.officer.appointed";
    /// An officer was dismissed or transferred and a successor took over their work.
    pub const OFFICER_REPLACED: &str = "aggregation.officer.replaced";

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
}
