//! Storage of proposals for joint action and of NPO proposals.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use common_models::{Catalogue, KatoCode, ProposalStatus};
use diesel::prelude::*;
use service_kit::{AnyConnection, StoreError};

use super::{from_code, from_json, to_json, utc};
use crate::domain::proposal::{
    Approval, Contact, JointActionProposal, JointActionProposalFacts, NpoProposal, NpoProposalFacts,
};
use crate::schema::{needs_joint_action_proposals as joint, needs_npo_proposals as npo};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = joint)]
struct JointRow {
    id: String,
    assessment_id: String,
    title: String,
    description: Option<String>,
    addressees: String,
    priority_ids: String,
    status: String,
    agreed_on: Option<NaiveDate>,
    agreed_by: Option<String>,
    agreement_document: Option<String>,
    created_at: NaiveDateTime,
}

impl JointRow {
    fn into_proposal(self) -> Result<JointActionProposal, StoreError> {
        Ok(JointActionProposal {
            id: self.id,
            assessment_id: self.assessment_id,
            title: self.title,
            description: self.description,
            addressees: from_json("addressees", &self.addressees)?,
            priority_ids: from_json("priority_ids", &self.priority_ids)?,
            status: from_code(&self.status)?,
            approved_on: self.agreed_on,
            approved_by: self.agreed_by,
            document: self.agreement_document,
            created_at: utc(self.created_at),
        })
    }
}

/// Inserts a draft proposal for joint action.
pub fn insert_joint(
    conn: &mut AnyConnection,
    id: &str,
    assessment_id: &str,
    facts: &JointActionProposalFacts,
    created_by: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    diesel::insert_into(joint::table)
        .values((
            joint::id.eq(id),
            joint::assessment_id.eq(assessment_id),
            joint::title.eq(&facts.title),
            joint::description.eq(&facts.description),
            joint::addressees.eq(to_json(&facts.addressees)?),
            joint::priority_ids.eq(to_json(&facts.priority_ids)?),
            joint::status.eq(ProposalStatus::Draft.code()),
            joint::created_at.eq(now.naive_utc()),
            joint::created_by.eq(created_by),
        ))
        .execute(conn)?;
    Ok(())
}

/// Finds a proposal for joint action of an assessment.
pub fn find_joint(
    conn: &mut AnyConnection,
    assessment_id: &str,
    id: &str,
) -> Result<Option<JointActionProposal>, StoreError> {
    joint::table
        .filter(joint::assessment_id.eq(assessment_id))
        .filter(joint::id.eq(id))
        .select(JointRow::as_select())
        .first::<JointRow>(conn)
        .optional()?
        .map(JointRow::into_proposal)
        .transpose()
}

/// Lists the proposals for joint action of an assessment in creation order.
pub fn list_joint(
    conn: &mut AnyConnection,
    assessment_id: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<JointActionProposal>, StoreError> {
    let mut query = joint::table
        .filter(joint::assessment_id.eq(assessment_id.to_owned()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(joint::id.gt(after.to_owned()));
    }
    query
        .order(joint::id.asc())
        .limit(limit)
        .select(JointRow::as_select())
        .load::<JointRow>(conn)?
        .into_iter()
        .map(JointRow::into_proposal)
        .collect()
}

/// Records the agreement of a draft proposal; returns false when it is not a draft.
pub fn agree(conn: &mut AnyConnection, id: &str, approval: &Approval) -> Result<bool, StoreError> {
    let changed = diesel::update(
        joint::table
            .filter(joint::id.eq(id))
            .filter(joint::status.eq(ProposalStatus::Draft.code())),
    )
    .set((
        joint::status.eq(ProposalStatus::Agreed.code()),
        joint::agreed_on.eq(approval.approved_on),
        joint::agreed_by.eq(&approval.approved_by),
        joint::agreement_document.eq(&approval.document),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// The NPO behind a proposal, as the registry records it.
#[derive(Debug, Clone)]
pub struct ProposingNpo {
    pub id: String,
    pub bin: String,
    pub name: Option<String>,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = npo)]
struct NpoRow {
    id: String,
    assessment_id: String,
    npo_id: String,
    npo_bin: String,
    npo_name: Option<String>,
    text: String,
    sphere: Option<String>,
    target_group: Option<String>,
    territory: Option<String>,
    contact: Option<String>,
    submitted_at: NaiveDateTime,
}

impl NpoRow {
    fn into_proposal(self) -> Result<NpoProposal, StoreError> {
        Ok(NpoProposal {
            id: self.id,
            assessment_id: self.assessment_id,
            npo_id: self.npo_id,
            npo_bin: self.npo_bin,
            npo_name: self.npo_name,
            text: self.text,
            sphere: self.sphere.as_deref().map(from_code).transpose()?,
            target_group: self.target_group.as_deref().map(from_code).transpose()?,
            territory: self.territory,
            contact: self
                .contact
                .as_deref()
                .map(|raw| from_json::<Contact>("contact", raw))
                .transpose()?,
            submitted_at: utc(self.submitted_at),
        })
    }
}

/// Inserts an NPO proposal and returns it.
pub fn insert_npo(
    conn: &mut AnyConnection,
    id: &str,
    assessment_id: &str,
    proposer: &ProposingNpo,
    facts: &NpoProposalFacts,
    submitted_by: &str,
    now: DateTime<Utc>,
) -> Result<NpoProposal, StoreError> {
    let contact = facts.contact.as_ref().map(to_json).transpose()?;
    diesel::insert_into(npo::table)
        .values((
            npo::id.eq(id),
            npo::assessment_id.eq(assessment_id),
            npo::npo_id.eq(&proposer.id),
            npo::npo_bin.eq(&proposer.bin),
            npo::npo_name.eq(&proposer.name),
            npo::text.eq(&facts.text),
            npo::sphere.eq(facts.sphere.map(Catalogue::code)),
            npo::target_group.eq(facts.target_group.map(Catalogue::code)),
            npo::territory.eq(facts.territory.as_ref().map(KatoCode::as_str)),
            npo::contact.eq(contact),
            npo::submitted_at.eq(now.naive_utc()),
            npo::submitted_by.eq(submitted_by),
        ))
        .execute(conn)?;
    Ok(NpoProposal {
        id: id.to_owned(),
        assessment_id: assessment_id.to_owned(),
        npo_id: proposer.id.clone(),
        npo_bin: proposer.bin.clone(),
        npo_name: proposer.name.clone(),
        text: facts.text.clone(),
        sphere: facts.sphere,
        target_group: facts.target_group,
        territory: facts.territory.as_ref().map(ToString::to_string),
        contact: facts.contact.clone(),
        submitted_at: now,
    })
}

/// Lists the NPO proposals of an assessment in arrival order, only those of the NPO
/// with BIN `bin` when given.
pub fn list_npo(
    conn: &mut AnyConnection,
    assessment_id: &str,
    bin: Option<&str>,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<NpoProposal>, StoreError> {
    let mut query = npo::table
        .filter(npo::assessment_id.eq(assessment_id.to_owned()))
        .into_boxed();
    if let Some(bin) = bin {
        query = query.filter(npo::npo_bin.eq(bin.to_owned()));
    }
    if let Some(after) = after {
        query = query.filter(npo::id.gt(after.to_owned()));
    }
    query
        .order(npo::id.asc())
        .limit(limit)
        .select(NpoRow::as_select())
        .load::<NpoRow>(conn)?
        .into_iter()
        .map(NpoRow::into_proposal)
        .collect()
}
