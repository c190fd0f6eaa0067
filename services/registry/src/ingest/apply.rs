//! Applying the rows of a batch to the registry: two passes over the input, chunks
//! of rows in one transaction each, events through the outbox.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;

use chrono::{DateTime, NaiveDate, Utc};
use common_models::event::registry::NPO_REGISTERED;
use common_models::{Catalogue, LegalForm, NpoStatus};
use serde_json::{Map, Value};
use service_kit::app::EventFactory;
use service_kit::audit::{self, Change};
use service_kit::outbox::{self, OutgoingEvent};
use service_kit::{AnyConnection, StoreError};
use uuid::Uuid;

use super::layout::{ColumnMap, infer_legal_form};
use super::rows::{self, Preamble, RawRow, ReadError, RowError};
use super::{Options, Outcome, Reading, RowResult};
use crate::domain::npo::{Contacts, FieldSource, KeyStaff, NpoFacts, NpoPatch, NpoRecord};
use crate::routes::npos::{ENTITY, registered_payload, update_events};
use crate::store::npos::{self, Author, NewNpo};
use crate::store::territories;

/// Rows applied in one transaction.
const CHUNK: usize = 500;
/// Rows of the first pass between two calls of `Sink::counting`.
const PASS_PROGRESS: u64 = 10_000;
/// Attempts at a chunk whose transaction met a concurrent write.
const ATTEMPTS: usize = 3;
/// Position of the head of an NPO among its key staff.
const HEAD_POSITION: &str = "Руководитель";

/// Opens the batch input from its start; each pass reads it once.
pub type Open<'a> = &'a dyn Fn() -> std::io::Result<Box<dyn Read + Send>>;

/// Receives the results of each chunk inside the chunk's transaction, so that a
/// job's report is committed with the writes it describes.
pub trait Sink {
    /// Stores `results`, the rows up to and including line `last_line`.
    fn chunk(
        &mut self,
        conn: &mut AnyConnection,
        results: &[RowResult],
        last_line: u64,
    ) -> Result<(), StoreError>;

    /// Learns the number of rows once the first pass has counted them.
    fn total(&mut self, _conn: &mut AnyConnection, _rows: u64) -> Result<(), StoreError> {
        Ok(())
    }

    /// Learns that the rows up to and including line `last_line` are committed.
    fn committed(&mut self, _last_line: u64) {}

    /// Learns that the first pass has read `rows` rows so far, every `PASS_PROGRESS`
    /// rows, so that a job can keep its lease during a long first pass.
    fn counting(&mut self, _conn: &mut AnyConnection, _rows: u64) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Failure that stops a batch before its end.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<std::io::Error> for IngestError {
    fn from(error: std::io::Error) -> Self {
        Self::Read(ReadError::Io(error))
    }
}

/// Identity of the NPO a row is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Bin(String),
    /// Dedup key of an NPO without a BIN: normalised name and first territory.
    Name(String),
}

/// A valid row, ready to be applied.
#[derive(Debug)]
struct Prepared {
    line: u64,
    key: Key,
    bin: Option<String>,
    fields: Map<String, Value>,
    head: Option<Option<String>>,
    as_of: DateTime<Utc>,
}

/// One batch being applied.
#[derive(Debug)]
pub struct Ingestion<'a> {
    pub options: &'a Options,
    pub events: &'a EventFactory,
    /// Rows up to this line already have committed results, from an earlier run of
    /// the same job.
    pub resume_after: u64,
    /// Maximum rows of the batch; the first pass stops at the next one, before any row
    /// is applied.
    pub max_rows: u64,
}

impl Ingestion<'_> {
    /// Reads the batch twice and applies it, handing every row result to `sink`.
    pub fn run(
        &self,
        conn: &mut AnyConnection,
        open: Open<'_>,
        sink: &mut dyn Sink,
    ) -> Result<Reading, IngestError> {
        let known = territories::all_codes(conn)?;
        let (last_lines, total) = self.index(conn, open, sink, &known)?;
        sink.total(conn, total)?;

        let mut pending: Vec<Result<Prepared, RowResult>> = Vec::with_capacity(CHUNK);
        let mut prepared_count = 0;
        let mut store_error = None;
        let preamble = rows::read(open()?, self.options.read_options(), |preamble, row| {
            if row.line <= self.resume_after {
                return Ok(());
            }
            let entry = match self.prepare(preamble, row, &known) {
                Err(result) => Err(result),
                Ok(prepared) => match last_lines.get(&prepared.key) {
                    Some(&last) if last != prepared.line => Err(RowResult {
                        line: prepared.line,
                        outcome: Outcome::Superseded,
                        bin: prepared.bin,
                        npo_id: None,
                        superseded_by: Some(last),
                        errors: Vec::new(),
                    }),
                    _ => {
                        prepared_count += 1;
                        Ok(prepared)
                    }
                },
            };
            pending.push(entry);
            if prepared_count >= CHUNK || pending.len() >= CHUNK * 4 {
                let chunk = std::mem::take(&mut pending);
                prepared_count = 0;
                if let Err(error) = self.flush(conn, preamble, chunk, sink) {
                    store_error = Some(error);
                    return Err(ReadError::Stopped("the database failed".into()));
                }
            }
            Ok(())
        });
        if let Some(error) = store_error {
            return Err(error.into());
        }
        let preamble = preamble?;
        if !pending.is_empty() {
            self.flush(conn, &preamble, pending, sink)?;
        }
        Ok(reading(self.options, &preamble))
    }

    /// First pass: validates every row and returns the line of the last valid row
    /// about each NPO, and the number of rows.
    fn index(
        &self,
        conn: &mut AnyConnection,
        open: Open<'_>,
        sink: &mut dyn Sink,
        known: &HashSet<String>,
    ) -> Result<(HashMap<Key, u64>, u64), IngestError> {
        let mut last_lines = HashMap::new();
        let mut total = 0;
        let mut store_error = None;
        let read = rows::read(open()?, self.options.read_options(), |preamble, row| {
            total += 1;
            if total > self.max_rows {
                return Err(ReadError::TooManyRows(self.max_rows));
            }
            if let Ok(prepared) = self.prepare(preamble, row, known) {
                last_lines.insert(prepared.key, prepared.line);
            }
            if total % PASS_PROGRESS == 0
                && let Err(error) = sink.counting(conn, total)
            {
                store_error = Some(error);
                return Err(ReadError::Stopped("the database failed".into()));
            }
            Ok(())
        });
        if let Some(error) = store_error {
            return Err(error.into());
        }
        read?;
        Ok((last_lines, total))
    }

    /// Checks a row on its own, without the registry: every field valid, and enough to
    /// identify the NPO.
    fn prepare(
        &self,
        preamble: &Preamble,
        row: RawRow,
        known: &HashSet<String>,
    ) -> Result<Prepared, RowResult> {
        let columns = preamble.columns.as_ref();
        let line = row.line;
        let reject = |bin: Option<String>, errors: Vec<RowError>| RowResult {
            line,
            outcome: Outcome::Rejected,
            bin,
            npo_id: None,
            superseded_by: None,
            errors: with_columns(errors, columns),
        };
        let mut fields = row.fields.map_err(|errors| reject(None, errors))?;
        let raw_bin = fields.get("bin").and_then(Value::as_str).map(str::to_owned);
        if fields.is_empty() {
            return Err(reject(
                None,
                vec![RowError::new("/", "has no value for any field")],
            ));
        }
        let mut errors = Vec::new();
        if fields.contains_key("source") {
            errors.push(RowError::new(
                "/source",
                "is set for the whole batch by the source parameter, not per row",
            ));
        }
        let as_of = match fields.remove("as_of") {
            None | Some(Value::Null) => self.options.as_of,
            Some(value) => match value.as_str().and_then(parse_as_of) {
                Some(at) if is_future(at) => {
                    errors.push(RowError::new("/as_of", "must not be in the future"));
                    self.options.as_of
                }
                Some(at) => at,
                None => {
                    errors.push(RowError::new(
                        "/as_of",
                        "must be an RFC 3339 instant or a date (YYYY-MM-DD or DD.MM.YYYY)",
                    ));
                    self.options.as_of
                }
            },
        };
        let head = match fields.remove("head") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(name)) => match crate::domain::text(Some(&name), 200) {
                Ok(name) => Some(name),
                Err(message) => {
                    errors.push(RowError::new("/head", message));
                    None
                }
            },
            Some(_) => {
                errors.push(RowError::new("/head", "must be a string"));
                None
            }
        };
        let mut original_dates = Vec::new();
        for field in ["registered_on", "founded_on"] {
            if let Some(Value::String(raw)) = fields.get_mut(field) {
                let normalised = normalise_date(raw);
                if normalised != *raw {
                    original_dates.push((format!("/{field}"), raw.clone()));
                    *raw = normalised;
                }
            }
        }
        if !errors.is_empty() {
            return Err(reject(raw_bin, errors));
        }

        // Checked against an NPO that has a name, so a row that only updates other
        // fields of a known NPO is valid here.
        let mut probe = blank();
        probe.name_ru = Some("-".into());
        let (facts, _) = self
            .patch(&fields)
            .and_then(|patch| patch_facts(&patch, &probe))
            .map_err(|mut errors| {
                // Name the date as the row wrote it, not as it was rewritten.
                for error in &mut errors {
                    if let Some((_, raw)) = original_dates.iter().find(|(f, _)| *f == error.field) {
                        error.message =
                            format!("'{raw}' is not a date in the form DD.MM.YYYY or YYYY-MM-DD");
                    }
                }
                reject(raw_bin.clone(), errors)
            })?;
        // Every check that can reject the row happens in this pass, so that a rejected
        // row never supersedes an earlier valid row about the same NPO.
        let unknown: Vec<RowError> = facts
            .territories
            .iter()
            .enumerate()
            .filter(|(_, code)| !known.contains(code.as_str()))
            .map(|(i, code)| {
                RowError::new(
                    format!("/territories/{i}"),
                    format!("{code} is not in the KATO classifier"),
                )
            })
            .collect();
        if !unknown.is_empty() {
            return Err(reject(raw_bin, unknown));
        }
        let bin = facts.bin.as_ref().map(|bin| bin.as_str().to_owned());
        let key = match &bin {
            Some(bin) => Key::Bin(bin.clone()),
            None if fields.contains_key("name_ru") || fields.contains_key("name_kk") => {
                match facts.dedup_key() {
                    Some(key) => Key::Name(key),
                    None => {
                        return Err(reject(
                            raw_bin,
                            vec![RowError::new(
                                "/name_ru",
                                "a row without a BIN needs a name",
                            )],
                        ));
                    }
                }
            }
            None => {
                return Err(reject(
                    raw_bin,
                    vec![RowError::new(
                        "/bin",
                        "is required to identify the NPO unless the row has a name",
                    )],
                ));
            }
        };
        Ok(Prepared {
            line,
            key,
            bin: bin.or(raw_bin),
            fields,
            head,
            as_of,
        })
    }

    /// Builds the patch of a row's fields, with the batch's source.
    fn patch(&self, fields: &Map<String, Value>) -> Result<NpoPatch, Vec<RowError>> {
        let mut object = fields.clone();
        object.insert(
            "source".into(),
            Value::String(self.options.source.code().into()),
        );
        serde_path_to_error::deserialize(Value::Object(object)).map_err(|error| {
            let pointer = json_pointer(error.path());
            let message = error.inner().to_string();
            vec![RowError::new(pointer, message)]
        })
    }

    /// Applies one chunk in one transaction, retrying it when a concurrent write got
    /// in the way.
    fn flush(
        &self,
        conn: &mut AnyConnection,
        preamble: &Preamble,
        chunk: Vec<Result<Prepared, RowResult>>,
        sink: &mut dyn Sink,
    ) -> Result<(), StoreError> {
        let last_line = chunk
            .iter()
            .map(|entry| match entry {
                Ok(prepared) => prepared.line,
                Err(result) => result.line,
            })
            .max()
            .unwrap_or_default();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = service_kit::db::in_transaction(conn, |conn| {
                let results = self.apply_chunk(conn, preamble, &chunk)?;
                sink.chunk(conn, &results, last_line)
            });
            match outcome {
                Ok(()) => {
                    sink.committed(last_line);
                    return Ok(());
                }
                Err(StoreError::Conflict(message)) if attempt < ATTEMPTS => {
                    tracing::info!(attempt, reason = %message, "batch chunk met a concurrent write; retrying");
                }
                other => return other,
            }
        }
    }

    fn apply_chunk(
        &self,
        conn: &mut AnyConnection,
        preamble: &Preamble,
        chunk: &[Result<Prepared, RowResult>],
    ) -> Result<Vec<RowResult>, StoreError> {
        let columns = preamble.columns.as_ref();
        let prepared: Vec<&Prepared> = chunk.iter().filter_map(|e| e.as_ref().ok()).collect();
        let mut existing = self.load_existing(conn, &prepared)?;

        let now = service_kit::now();
        let mut inserts: Vec<Insert> = Vec::new();
        let mut updates: Vec<Update> = Vec::new();
        let mut results = Vec::with_capacity(chunk.len());

        for entry in chunk {
            let row = match entry {
                Err(result) => {
                    results.push(result.clone());
                    continue;
                }
                Ok(row) => row,
            };
            let current = existing.remove(&row.key);
            let decision = match &current {
                None => self.decide_create(row),
                Some(record) => self.decide_update(row, record),
            };
            let mut result = RowResult {
                line: row.line,
                outcome: Outcome::Rejected,
                bin: row.bin.clone(),
                npo_id: current.as_ref().map(|r| r.id.clone()),
                superseded_by: None,
                errors: Vec::new(),
            };
            match decision {
                Err(errors) => result.errors = with_columns(errors, columns),
                Ok(None) => result.outcome = Outcome::Unchanged,
                Ok(Some((facts, provenance, named))) => {
                    if let Some(record) = current {
                        result.outcome = Outcome::Updated;
                        updates.push(Update {
                            record,
                            facts,
                            provenance,
                            changed: named,
                        });
                    } else {
                        let id = Uuid::now_v7().to_string();
                        result.outcome = Outcome::Created;
                        result.npo_id = (!self.options.dry_run).then(|| id.clone());
                        inserts.push(Insert {
                            id,
                            facts,
                            provenance,
                        });
                    }
                }
            }
            results.push(result);
        }
        if !self.options.dry_run {
            self.write(conn, &inserts, &updates, now)?;
        }
        Ok(results)
    }

    /// Loads the NPOs the prepared rows are about, by BIN or by dedup key.
    fn load_existing(
        &self,
        conn: &mut AnyConnection,
        prepared: &[&Prepared],
    ) -> Result<HashMap<Key, NpoRecord>, StoreError> {
        let mut bins = Vec::new();
        let mut names = Vec::new();
        for row in prepared {
            match &row.key {
                Key::Bin(bin) => bins.push(bin.as_str()),
                Key::Name(key) => names.push(key.as_str()),
            }
        }
        let mut existing = HashMap::new();
        for record in npos::find_by_bins(conn, &bins)? {
            if let Some(bin) = &record.facts.bin {
                existing.insert(Key::Bin(bin.as_str().to_owned()), record);
            }
        }
        for (key, record) in npos::find_by_dedup_keys(conn, &names)? {
            // Of several NPOs with one key, the oldest is matched; the others are
            // listed as candidate duplicates for an officer to merge.
            existing.entry(Key::Name(key)).or_insert(record);
        }
        Ok(existing)
    }

    /// Decides the facts of a new NPO, or why the row cannot create one.
    fn decide_create(&self, row: &Prepared) -> Decision {
        let mut fields = row.fields.clone();
        if !fields.contains_key("legal_form") {
            let names: Vec<&str> = ["name_ru", "name_kk"]
                .iter()
                .filter_map(|name| fields.get(*name).and_then(Value::as_str))
                .collect();
            let Some(form) = infer_legal_form(&names) else {
                return Err(vec![RowError::new(
                    "/legal_form",
                    "is required for a new NPO and cannot be inferred from its name; add a \
                     legal_form column",
                )]);
            };
            fields.insert("legal_form".into(), Value::String(form.code().into()));
        }
        let patch = self.patch(&fields)?;
        let (mut facts, _) = patch_facts(&patch, &blank())?;
        // The head joins any key staff the row sends, whichever field comes first.
        facts.key_staff = head_staff(&facts.key_staff, row.head.as_ref());
        let mut provenance = BTreeMap::new();
        let named = facts.present_fields();
        self.stamp(&mut provenance, &named, row.as_of);
        Ok(Some((facts, provenance, named)))
    }

    /// Decides the new facts of a known NPO, `None` when nothing changes, or why the
    /// row cannot change it. Fields that this origin sent before with a later `as_of`
    /// are left as they are.
    fn decide_update(&self, row: &Prepared, record: &NpoRecord) -> Decision {
        let is_newer = |field: &str| {
            record.provenance.get(field).is_none_or(|stored| {
                stored.origin.as_deref() != Some(self.options.origin.as_str())
                    || stored.as_of.is_none_or(|at| at <= row.as_of)
            })
        };
        let fields: Map<String, Value> = row
            .fields
            .iter()
            .filter(|(name, _)| is_newer(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let head = row.head.as_ref().filter(|_| is_newer("key_staff"));
        if fields.is_empty() && head.is_none() {
            return Ok(None);
        }
        let (mut facts, mut named) = if fields.is_empty() {
            (record.facts.clone(), Vec::new())
        } else {
            patch_facts(&self.patch(&fields)?, &record.facts)?
        };
        if head.is_some() {
            facts.key_staff = head_staff(&facts.key_staff, head);
            named.push("key_staff".into());
        }
        let changed = record.facts.changed_fields(&facts);
        if changed.is_empty() {
            // NOTE: a row equal to the stored values does not move their `as_of`
            // forward, so that resending a batch writes nothing.
            return Ok(None);
        }
        let mut provenance = record.provenance.clone();
        self.stamp(&mut provenance, &named, row.as_of);
        Ok(Some((facts, provenance, changed)))
    }

    fn stamp(
        &self,
        provenance: &mut BTreeMap<String, FieldSource>,
        fields: &[String],
        as_of: DateTime<Utc>,
    ) {
        let now = service_kit::now();
        for field in fields {
            provenance.insert(
                field.clone(),
                FieldSource {
                    source: self.options.source,
                    confirmed_at: now,
                    origin: Some(self.options.origin.clone()),
                    as_of: Some(as_of),
                },
            );
        }
    }

    fn write(
        &self,
        conn: &mut AnyConnection,
        inserts: &[Insert],
        updates: &[Update],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let author = Author {
            subject: &self.options.origin,
            body: None,
        };
        let new: Vec<NewNpo<'_>> = inserts
            .iter()
            .map(|insert| NewNpo {
                id: &insert.id,
                facts: &insert.facts,
                provenance: &insert.provenance,
            })
            .collect();
        npos::insert_many(conn, &new, author, now)?;
        for Update {
            record,
            facts,
            provenance,
            ..
        } in updates
        {
            if !npos::update(conn, &record.id, record.version, facts, provenance, now)? {
                return Err(StoreError::Conflict(format!(
                    "NPO {} changed while the batch was applied",
                    record.id
                )));
            }
        }

        let created: Vec<Vec<String>> = inserts.iter().map(|i| i.facts.present_fields()).collect();
        let mut changes = Vec::with_capacity(inserts.len() + updates.len());
        for (insert, fields) in inserts.iter().zip(&created) {
            changes.push(self.change(&insert.id, "created", fields));
        }
        for update in updates {
            changes.push(self.change(&update.record.id, "updated", &update.changed));
        }
        audit::record_many(conn, &changes)?;

        let mut events: Vec<OutgoingEvent> = Vec::with_capacity(changes.len());
        for Insert { id, facts, .. } in inserts {
            events.push(event(
                self.events
                    .event(NPO_REGISTERED, registered_payload(id, facts)),
            )?);
        }
        for Update {
            record,
            facts,
            changed,
            ..
        } in updates
        {
            for made in update_events(self.events, &record.id, &record.facts, facts, changed) {
                events.push(event(made)?);
            }
        }
        outbox::enqueue_many(conn, &events)
    }

    fn change<'c>(&'c self, id: &'c str, action: &'c str, fields: &'c [String]) -> Change<'c> {
        Change {
            entity: ENTITY,
            entity_id: id,
            action,
            actor: &self.options.origin,
            government_body: None,
            fields,
        }
    }
}

/// A new NPO decided by a chunk.
struct Insert {
    id: String,
    facts: NpoFacts,
    provenance: BTreeMap<String, FieldSource>,
}

/// A change to a known NPO decided by a chunk.
struct Update {
    record: NpoRecord,
    facts: NpoFacts,
    provenance: BTreeMap<String, FieldSource>,
    changed: Vec<String>,
}

type Decision =
    Result<Option<(NpoFacts, BTreeMap<String, FieldSource>, Vec<String>)>, Vec<RowError>>;

fn event(made: Result<OutgoingEvent, service_kit::ApiError>) -> Result<OutgoingEvent, StoreError> {
    made.map_err(|error| StoreError::Query(anyhow::anyhow!("event cannot be built: {error}")))
}

/// Applies a patch, turning a validation problem into row errors.
fn patch_facts(
    patch: &NpoPatch,
    base: &NpoFacts,
) -> Result<(NpoFacts, Vec<String>), Vec<RowError>> {
    patch
        .apply(base)
        .map(|(facts, named, _)| (facts, named))
        .map_err(|error| {
            error
                .problem()
                .errors
                .into_iter()
                .map(|e| RowError::new(e.pointer, e.message))
                .collect()
        })
}

/// Returns `staff` with the head replaced by `head`: `Some(None)` removes the head,
/// `None` keeps the list as it is.
fn head_staff(staff: &[KeyStaff], head: Option<&Option<String>>) -> Vec<KeyStaff> {
    let Some(head) = head else {
        return staff.to_vec();
    };
    let mut next: Vec<KeyStaff> = staff
        .iter()
        .filter(|person| person.position.as_deref() != Some(HEAD_POSITION))
        .cloned()
        .collect();
    if let Some(name) = head {
        next.insert(
            0,
            KeyStaff {
                full_name: name.clone(),
                position: Some(HEAD_POSITION.into()),
            },
        );
    }
    next
}

/// Facts of an NPO before a batch row sets them.
fn blank() -> NpoFacts {
    NpoFacts {
        bin: None,
        name_ru: None,
        name_kk: None,
        legal_form: LegalForm::OtherForm,
        status: NpoStatus::Active,
        registered_on: None,
        founded_on: None,
        oked: None,
        legal_address: None,
        territories: Vec::new(),
        spheres: Vec::new(),
        target_groups: Vec::new(),
        forms_of_work: Vec::new(),
        key_staff: Vec::new(),
        contacts: Contacts::default(),
        web_resources: Vec::new(),
        work_products: Vec::new(),
    }
}

/// Names the CSV column of each error's field.
fn with_columns(mut errors: Vec<RowError>, columns: Option<&ColumnMap>) -> Vec<RowError> {
    let Some(columns) = columns else {
        return errors;
    };
    for error in &mut errors {
        if error.column.is_none() {
            let name = error.field.trim_start_matches('/');
            let name = name.split('/').next().unwrap_or_default();
            let name = if name == "key_staff" { "head" } else { name };
            error.column = columns.header_of(name).map(str::to_owned);
        }
    }
    errors
}

fn json_pointer(path: &serde_path_to_error::Path) -> String {
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            serde_path_to_error::Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            serde_path_to_error::Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(key);
            }
            serde_path_to_error::Segment::Enum { variant } => {
                pointer.push('/');
                pointer.push_str(variant);
            }
            serde_path_to_error::Segment::Unknown => {}
        }
    }
    if pointer.is_empty() {
        pointer.push('/');
    }
    pointer
}

/// Rewrites `DD.MM.YYYY` (day first, as written in Kazakhstan, never month first) as
/// `YYYY-MM-DD`, and drops a midnight time that spreadsheets append to dates.
/// Anything else is returned as given, for the date check to name it.
pub fn normalise_date(raw: &str) -> String {
    let value = raw.trim();
    let date = value
        .strip_suffix(" 00:00:00")
        .or_else(|| value.strip_suffix(" 0:00:00"))
        .or_else(|| value.strip_suffix(" 00:00"))
        .or_else(|| value.strip_suffix("T00:00:00"))
        .unwrap_or(value);
    let parts: Vec<&str> = date.split('.').collect();
    if let [day, month, year] = parts.as_slice()
        && (1..=2).contains(&day.len())
        && (1..=2).contains(&month.len())
        && year.len() == 4
        && [day, month, year]
            .iter()
            .all(|part| part.bytes().all(|b| b.is_ascii_digit()))
    {
        return format!("{year}-{month:0>2}-{day:0>2}");
    }
    date.to_owned()
}

/// Returns whether `at` is later than now, with an hour's allowance for the clocks of
/// other systems. A future `as_of` would keep the sender's later rows from applying.
pub fn is_future(at: DateTime<Utc>) -> bool {
    at > service_kit::now() + chrono::TimeDelta::hours(1)
}

/// Parses when a row was current: an RFC 3339 instant, or a local date in Kazakhstan
/// taken as its start.
fn parse_as_of(raw: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = common_models::time::parse_instant(raw.trim()) {
        return Some(at);
    }
    let date = NaiveDate::parse_from_str(&normalise_date(raw), "%Y-%m-%d").ok()?;
    Some(common_models::time::start_of_local_day(date))
}

fn reading(options: &Options, preamble: &Preamble) -> Reading {
    Reading {
        format: Some(options.format),
        layout: Some(preamble.layout()),
        delimiter: preamble.delimiter.map(|d| d.to_string()),
        encoding: Some(preamble.encoding),
        unknown_columns: preamble
            .columns
            .as_ref()
            .map(ColumnMap::unknown)
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_day_first() {
        assert_eq!(normalise_date("15.12.2003"), "2003-12-15");
        assert_eq!(normalise_date("1.2.2003"), "2003-02-01");
        assert_eq!(normalise_date("05.12.2003 00:00:00"), "2003-12-05");
        assert_eq!(normalise_date("2003-12-15"), "2003-12-15");
        assert_eq!(normalise_date("12/15/2003"), "12/15/2003");
    }

    #[test]
    fn as_of_dates_are_local() {
        let at = parse_as_of("01.06.2025").unwrap();
        assert_eq!(at.to_rfc3339(), "2025-05-31T19:00:00+00:00");
    }

    #[test]
    fn head_replaced() {
        let staff = vec![
            KeyStaff {
                full_name: "Старый".into(),
                position: Some(HEAD_POSITION.into()),
            },
            KeyStaff {
                full_name: "Бухгалтер".into(),
                position: Some("Бухгалтер".into()),
            },
        ];
        let next = head_staff(&staff, Some(&Some("Новый".into())));
        assert_eq!(next[0].full_name, "Новый");
        assert_eq!(next.len(), 2);
        assert_eq!(head_staff(&staff, Some(&None)).len(), 1);
    }
}
