//! The officer's public profile beyond the appointment: the work plan, the forms of
//! appeal and the photo, and the changes the officer or the ministry make to it. The
//! body publishes the profile on its web site, in social networks and in its building.

use common_models::InteractionChannel;
use serde::{Deserialize, Serialize};
use service_kit::ApiError;
use utoipa::ToSchema;

use super::bodies::PublicProfile;
use super::officers::{Contacts, MAX_RECEPTION_SCHEDULE, MAX_ROOM};
use super::{Errors, email, multiline_text, parse_code, phone, text};

/// Maximum length of the work plan in characters.
const MAX_WORK_PLAN: usize = 10_000;

/// Maximum number of forms of appeal in a profile.
const MAX_APPEAL_FORMS: usize = 20;

/// Maximum length of the address and of the note of a form of appeal.
const MAX_APPEAL_TEXT: usize = 500;

/// Maximum size of an officer's photo in bytes (1 MiB).
pub const MAX_PHOTO_BYTES: usize = 1024 * 1024;

/// One way to appeal to the officer: a channel and where to send the appeal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AppealForm {
    pub channel: InteractionChannel,
    /// Address of the appeal: a postal address, a phone number, an e-mail address, a web
    /// address or a messenger account, as the channel needs.
    pub address: String,
    /// Notice for those who appeal, such as the hours a phone line is answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A form of appeal in a profile change.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealFormInput {
    #[serde(default)]
    #[schema(value_type = InteractionChannel, required = true)]
    pub channel: String,
    /// Address of the appeal. An `email` channel needs an e-mail address, a `phone`
    /// channel a phone number, and the `government_website` and `egov_portal` channels
    /// an http or https address.
    #[serde(default)]
    #[schema(required = true)]
    pub address: String,
    pub note: Option<String>,
}

/// Contacts in a profile change: a field left out stays, `null` clears it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactsPatch {
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub room: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
}

/// Body of a change of an officer's public profile, a JSON merge patch: a field left
/// out stays, `null` clears it, and the list of forms of appeal is replaced whole. The
/// name and position change only through an appointment.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<ContactsPatch>)]
    pub contacts: Option<Option<ContactsPatch>>,
    /// Reception hours of the officer, as free text of up to 2,000 characters.
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub reception_schedule: Option<Option<String>>,
    /// The officer's work plan, as free text of up to 10,000 characters.
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<String>)]
    pub work_plan: Option<Option<String>>,
    /// Forms of appeal to the officer, at most 20, each channel and address once.
    #[serde(default, deserialize_with = "service_kit::extract::nullable")]
    #[schema(value_type = Option<Vec<AppealFormInput>>)]
    pub appeal_forms: Option<Option<Vec<AppealFormInput>>>,
}

/// The editable part of a public profile after a valid change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileFacts {
    pub contacts: Option<Contacts>,
    pub reception_schedule: Option<String>,
    pub work_plan: Option<String>,
    pub appeal_forms: Vec<AppealForm>,
}

impl ProfileFacts {
    /// Names the fields whose values differ from `current`, for the audit trail.
    pub fn changed_fields(&self, current: &PublicProfile) -> Vec<String> {
        [
            ("contacts", self.contacts != current.contacts),
            (
                "reception_schedule",
                self.reception_schedule != current.reception_schedule,
            ),
            ("work_plan", self.work_plan != current.work_plan),
            ("appeal_forms", self.appeal_forms != current.appeal_forms),
        ]
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(name, _)| name.to_owned())
        .collect()
    }
}

impl ProfilePatch {
    /// Lays the patch over `current`, checking every value it sets and listing each
    /// invalid one. Values it leaves out are kept as stored.
    pub fn apply(&self, current: &PublicProfile) -> Result<ProfileFacts, ApiError> {
        let mut errors = Errors::default();
        let contacts = match &self.contacts {
            None => current.contacts.clone(),
            Some(None) => None,
            Some(Some(patch)) => patch_contacts(
                &mut errors,
                current.contacts.clone().unwrap_or_default(),
                patch,
            ),
        };
        let reception_schedule = match &self.reception_schedule {
            None => current.reception_schedule.clone(),
            Some(raw) => errors
                .check(
                    "/reception_schedule",
                    multiline_text(raw.as_deref(), MAX_RECEPTION_SCHEDULE),
                )
                .flatten(),
        };
        let work_plan = match &self.work_plan {
            None => current.work_plan.clone(),
            Some(raw) => errors
                .check("/work_plan", multiline_text(raw.as_deref(), MAX_WORK_PLAN))
                .flatten(),
        };
        let appeal_forms = match &self.appeal_forms {
            None => current.appeal_forms.clone(),
            Some(None) => Vec::new(),
            Some(Some(forms)) => parse_appeal_forms(&mut errors, forms),
        };

        errors.into_result()?;
        Ok(ProfileFacts {
            contacts,
            reception_schedule,
            work_plan,
            appeal_forms,
        })
    }
}

/// Lays the contact fields of `patch` over `contacts`; contacts left with every field
/// blank become `None`.
fn patch_contacts(
    errors: &mut Errors,
    mut contacts: Contacts,
    patch: &ContactsPatch,
) -> Option<Contacts> {
    if let Some(raw) = &patch.room {
        contacts.room = errors
            .check("/contacts/room", text(raw.as_deref(), MAX_ROOM))
            .flatten();
    }
    if let Some(raw) = &patch.phone {
        contacts.phone = errors
            .check("/contacts/phone", phone(raw.as_deref()))
            .flatten();
    }
    if let Some(raw) = &patch.email {
        contacts.email = errors
            .check("/contacts/email", email(raw.as_deref()))
            .flatten();
    }
    Some(contacts).filter(|c| !c.is_empty())
}

/// Parses the forms of appeal at `/appeal_forms`, recording each invalid field and each
/// channel and address given twice.
fn parse_appeal_forms(errors: &mut Errors, raw: &[AppealFormInput]) -> Vec<AppealForm> {
    if raw.len() > MAX_APPEAL_FORMS {
        errors.add(
            "/appeal_forms",
            format!(
                "at most {MAX_APPEAL_FORMS} forms of appeal, found {}",
                raw.len()
            ),
        );
        return Vec::new();
    }
    let mut parsed: Vec<AppealForm> = Vec::new();
    for (index, form) in raw.iter().enumerate() {
        let at = |field: &str| format!("/appeal_forms/{index}/{field}");
        let channel = if form.channel.trim().is_empty() {
            errors.add(at("channel"), "is required");
            None
        } else {
            errors.check(
                at("channel"),
                parse_code::<InteractionChannel>(form.channel.trim()),
            )
        };
        let address = parse_address(errors, &at("address"), channel, &form.address);
        let note = errors
            .check(at("note"), text(form.note.as_deref(), MAX_APPEAL_TEXT))
            .flatten();
        let (Some(channel), Some(address)) = (channel, address) else {
            continue;
        };
        let form = AppealForm {
            channel,
            address,
            note,
        };
        match parsed
            .iter()
            .position(|known| known.channel == form.channel && known.address == form.address)
        {
            Some(first) => errors.add(
                at("address"),
                format!("this channel and address are already listed at /appeal_forms/{first}"),
            ),
            None => parsed.push(form),
        }
    }
    parsed
}

/// Parses the required address of a form of appeal, checking its form where the
/// channel fixes one.
fn parse_address(
    errors: &mut Errors,
    pointer: &str,
    channel: Option<InteractionChannel>,
    raw: &str,
) -> Option<String> {
    let checked = match channel {
        Some(InteractionChannel::Email) => email(Some(raw)),
        Some(InteractionChannel::Phone) => phone(Some(raw)),
        Some(InteractionChannel::GovernmentWebsite | InteractionChannel::EgovPortal)
            if !raw.trim().is_empty() =>
        {
            service_kit::validate::web_url(raw).map(Some)
        }
        _ => text(Some(raw), MAX_APPEAL_TEXT),
    };
    let address = errors.check(pointer, checked).flatten();
    if address.is_none() && !errors.has(pointer) {
        errors.add(pointer, "is required");
    }
    address
}

/// Image format of an officer's photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoFormat {
    Jpeg,
    Png,
}

impl PhotoFormat {
    /// Returns the media type of the format.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
        }
    }

    /// Reads a `Content-Type` value, ignoring its parameters and letter case.
    fn from_content_type(value: &str) -> Option<Self> {
        let essence = value.split(';').next().unwrap_or_default().trim();
        if essence.eq_ignore_ascii_case("image/jpeg") {
            Some(Self::Jpeg)
        } else if essence.eq_ignore_ascii_case("image/png") {
            Some(Self::Png)
        } else {
            None
        }
    }

    /// Tells the format from the signature at the start of the data: `FF D8 FF` for
    /// JPEG (the start-of-image marker and the first byte of the next marker), and the
    /// 8-byte PNG signature.
    fn detect(data: &[u8]) -> Option<Self> {
        const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
        if data.starts_with(b"\xFF\xD8\xFF") {
            Some(Self::Jpeg)
        } else if data.starts_with(PNG_SIGNATURE) {
            Some(Self::Png)
        } else {
            None
        }
    }
}

/// Checks the `Content-Type` of a photo upload before its body is read: 415 unless it
/// is `image/jpeg` or `image/png`.
pub fn photo_format(content_type: Option<&str>) -> Result<PhotoFormat, ApiError> {
    content_type
        .and_then(PhotoFormat::from_content_type)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType(format!(
                "a photo must be sent as image/jpeg or image/png, not {}",
                content_type.unwrap_or("a body without Content-Type")
            ))
        })
}

/// Checks that `data` is an image of the `declared` format by its signature bytes: 415
/// when it is another kind of file, or the other format than declared.
pub fn check_photo(declared: PhotoFormat, data: &[u8]) -> Result<(), ApiError> {
    match PhotoFormat::detect(data) {
        Some(found) if found == declared => Ok(()),
        Some(found) => Err(ApiError::UnsupportedMediaType(format!(
            "the body is an image of type {} but Content-Type says {}; send the matching Content-Type",
            found.media_type(),
            declared.media_type()
        ))),
        None => Err(ApiError::UnsupportedMediaType(format!(
            "the body is not an image of type {}: its first bytes are not the signature of one",
            declared.media_type()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(channel: &str, address: &str) -> AppealFormInput {
        AppealFormInput {
            channel: channel.into(),
            address: address.into(),
            note: None,
        }
    }

    fn pointers(forms: &[AppealFormInput]) -> Vec<String> {
        let mut errors = Errors::default();
        parse_appeal_forms(&mut errors, forms);
        match errors.into_result() {
            Ok(()) => Vec::new(),
            Err(error) => error
                .problem()
                .errors
                .into_iter()
                .map(|e| e.pointer)
                .collect(),
        }
    }

    #[test]
    fn addresses_checked_by_channel() {
        let forms = [
            form("email", "not-an-address"),
            form("phone", "call me"),
            form("government_website", "akimat.kz"),
            form("post", "Жезказган, ул. Алашахана, 1"),
            form("messenger", ""),
        ];

        assert_eq!(
            pointers(&forms),
            vec![
                "/appeal_forms/0/address",
                "/appeal_forms/1/address",
                "/appeal_forms/2/address",
                "/appeal_forms/4/address",
            ]
        );
    }

    #[test]
    fn repeated_form_rejected() {
        let forms = [
            form("email", "liaison@example.kz"),
            form("phone", "+77102123456"),
            form("email", " liaison@example.kz "),
        ];

        assert_eq!(pointers(&forms), vec!["/appeal_forms/2/address"]);
    }

    #[test]
    fn signature_decides_format() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        let jpeg = b"\xFF\xD8\xFF\xE0\0\x10JFIF";

        assert!(check_photo(PhotoFormat::Png, png).is_ok());
        assert!(check_photo(PhotoFormat::Jpeg, jpeg).is_ok());
        assert!(check_photo(PhotoFormat::Png, jpeg).is_err());
        assert!(check_photo(PhotoFormat::Jpeg, b"GIF89a").is_err());
        assert!(check_photo(PhotoFormat::Png, b"").is_err());
    }

    #[test]
    fn content_type_parameters_ignored() {
        assert_eq!(
            photo_format(Some("Image/PNG; name=photo.png")).unwrap(),
            PhotoFormat::Png
        );
        assert!(photo_format(Some("image/gif")).is_err());
        assert!(photo_format(None).is_err());
    }
}
