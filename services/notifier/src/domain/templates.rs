//! The e-mail templates, compiled into the binary, and how a notification is rendered
//! from them.
//!
//! Every notification is one message with the Kazakh text first and the Russian text
//! after it. The directory has no record of the language an NPO prefers, so each NPO
//! gets both languages, the state language first. One message per recipient also keeps
//! one delivery state, one retry schedule and one opt-out link per notification.

use std::collections::HashMap;

use thiserror::Error;

/// The kind of a notification, naming the template it is rendered from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    MeetingInvitation,
    MeetingChanged,
    MeetingCancelled,
    RecommendationFeedback,
    ReceptionAppointed,
    RecommendationRequest,
}

impl Template {
    /// Every template, in the order the API documents them.
    pub const ALL: &[Self] = &[
        Self::MeetingInvitation,
        Self::MeetingChanged,
        Self::MeetingCancelled,
        Self::RecommendationFeedback,
        Self::ReceptionAppointed,
        Self::RecommendationRequest,
    ];

    /// Stable code stored in the database and used in the API.
    pub fn code(self) -> &'static str {
        match self {
            Self::MeetingInvitation => "meeting_invitation",
            Self::MeetingChanged => "meeting_changed",
            Self::MeetingCancelled => "meeting_cancelled",
            Self::RecommendationFeedback => "recommendation_feedback",
            Self::ReceptionAppointed => "reception_appointed",
            Self::RecommendationRequest => "recommendation_request",
        }
    }

    /// Looks up the template with this code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.code() == code)
    }

    /// Returns the Kazakh and the Russian template texts.
    fn texts(self) -> (&'static str, &'static str) {
        match self {
            Self::MeetingInvitation => (
                include_str!("../../templates/meeting_invitation.kk.txt"),
                include_str!("../../templates/meeting_invitation.ru.txt"),
            ),
            Self::MeetingChanged => (
                include_str!("../../templates/meeting_changed.kk.txt"),
                include_str!("../../templates/meeting_changed.ru.txt"),
            ),
            Self::MeetingCancelled => (
                include_str!("../../templates/meeting_cancelled.kk.txt"),
                include_str!("../../templates/meeting_cancelled.ru.txt"),
            ),
            Self::RecommendationFeedback => (
                include_str!("../../templates/recommendation_feedback.kk.txt"),
                include_str!("../../templates/recommendation_feedback.ru.txt"),
            ),
            Self::ReceptionAppointed => (
                include_str!("../../templates/reception_appointed.kk.txt"),
                include_str!("../../templates/reception_appointed.ru.txt"),
            ),
            Self::RecommendationRequest => (
                include_str!("../../templates/recommendation_request.kk.txt"),
                include_str!("../../templates/recommendation_request.ru.txt"),
            ),
        }
    }
}

/// The footer of every message, in both languages, with the opt-out link.
const FOOTER: &str = include_str!("../../templates/footer.txt");

/// Line between the Kazakh text, the Russian text and the footer.
const SEPARATOR: &str = "\n----------------------------------------\n\n";

/// Placeholder that the footer fills with the message's opt-out link.
pub const OPT_OUT_URL: &str = "opt_out_url";

/// Values of a template's placeholders: those equal in both languages, and those that
/// differ, such as the label of a sphere.
#[derive(Debug, Clone, Default)]
pub struct Values {
    both: HashMap<&'static str, String>,
    kk: HashMap<&'static str, String>,
    ru: HashMap<&'static str, String>,
}

impl Values {
    /// Sets a placeholder to the same text in both languages.
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) -> &mut Self {
        self.both.insert(name, value.into());
        self
    }

    /// Sets a placeholder to a Kazakh and a Russian text.
    pub fn set_each(
        &mut self,
        name: &'static str,
        kk: impl Into<String>,
        ru: impl Into<String>,
    ) -> &mut Self {
        self.kk.insert(name, kk.into());
        self.ru.insert(name, ru.into());
        self
    }

    fn lookup<'a>(
        &'a self,
        language: &'a HashMap<&'static str, String>,
        name: &str,
    ) -> Option<&'a str> {
        language
            .get(name)
            .or_else(|| self.both.get(name))
            .map(String::as_str)
    }
}

/// A rendered message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// One line, with no CR or LF, safe for the Subject header.
    pub subject: String,
    pub body: String,
}

/// A template that cannot be filled.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RenderError {
    #[error("template {template} has no value for placeholder {placeholder}")]
    MissingValue {
        template: &'static str,
        placeholder: String,
    },
    #[error("template {template} does not start with a Subject line")]
    NoSubject { template: &'static str },
}

/// Renders `template` with `values` into one message: the Kazakh text, the Russian
/// text and the footer with the opt-out link `opt_out_url`.
pub fn render(
    template: Template,
    values: &Values,
    opt_out_url: &str,
) -> Result<Rendered, RenderError> {
    let (kk, ru) = template.texts();
    let (kk_subject, kk_body) = split_subject(template, kk)?;
    let (ru_subject, ru_body) = split_subject(template, ru)?;
    let kk_body = fill(template, kk_body, |name| values.lookup(&values.kk, name))?;
    let ru_body = fill(template, ru_body, |name| values.lookup(&values.ru, name))?;
    let kk_subject = fill(template, kk_subject, |name| values.lookup(&values.kk, name))?;
    let ru_subject = fill(template, ru_subject, |name| values.lookup(&values.ru, name))?;
    let footer = fill(template, FOOTER, |name| {
        (name == OPT_OUT_URL).then_some(opt_out_url)
    })?;

    Ok(Rendered {
        subject: header_safe(&format!("{kk_subject} / {ru_subject}")),
        body: format!(
            "{}{SEPARATOR}{}{SEPARATOR}{}",
            kk_body.trim_end(),
            ru_body.trim_end(),
            footer.trim_end()
        ) + "\n",
    })
}

/// Splits a template text into its `Subject:` line and the body after the blank line.
fn split_subject(
    template: Template,
    text: &'static str,
) -> Result<(&'static str, &'static str), RenderError> {
    let no_subject = || RenderError::NoSubject {
        template: template.code(),
    };
    let (first, rest) = text.split_once('\n').ok_or_else(no_subject)?;
    let subject = first.strip_prefix("Subject:").ok_or_else(no_subject)?;
    Ok((subject.trim(), rest.trim_start_matches('\n')))
}

/// Replaces every `{{name}}` of `text` with its value, in one pass, so a value that
/// contains `{{` is copied as it is and never expanded.
fn fill<'a>(
    template: Template,
    text: &str,
    value: impl Fn(&str) -> Option<&'a str>,
) -> Result<String, RenderError> {
    let mut out = String::with_capacity(text.len() + 256);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            out.push_str(&rest[start..]);
            return Ok(out);
        };
        let name = &after[..end];
        let filled = value(name).ok_or_else(|| RenderError::MissingValue {
            template: template.code(),
            placeholder: name.to_owned(),
        })?;
        out.push_str(&body_safe(filled));
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Returns `text` on one line: every control character, CR and LF included, becomes a
/// space, so nothing taken from an event can add a header to a message.
pub fn header_safe(text: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Returns `text` with line breaks as LF and no other control characters.
fn body_safe(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|c| *c == '\n' || *c == '\t' || !c.is_control())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values for every placeholder any template uses.
    fn every_value() -> Values {
        let mut values = Values::default();
        for name in [
            "head",
            "date",
            "time",
            "place",
            "online_url",
            "agenda",
            "government_body",
            "received_on",
            "recommendation_id",
            "answered_on",
            "handling",
            "responsible",
            "requested_on",
            "request_id",
            "sphere",
            "deadline",
        ] {
            values.set(name, format!("<{name}>"));
        }
        values
    }

    #[test]
    fn every_template_renders_both_languages() {
        for template in Template::ALL {
            let rendered = render(*template, &every_value(), "https://x/opt-out").unwrap();

            assert!(!rendered.body.contains("{{"), "{}", template.code());
            assert!(rendered.body.contains("https://x/opt-out"));
            assert!(rendered.subject.contains(" / "));
        }
    }

    #[test]
    fn missing_value_is_an_error() {
        let error = render(Template::MeetingInvitation, &Values::default(), "u").unwrap_err();

        assert!(matches!(error, RenderError::MissingValue { .. }));
    }

    #[test]
    fn value_with_braces_is_not_expanded() {
        let mut values = every_value();
        values.set("agenda", "{{head}}");

        let rendered = render(Template::MeetingInvitation, &values, "u").unwrap();

        assert!(rendered.body.contains("{{head}}"));
    }

    #[test]
    fn header_safe_strips_line_breaks() {
        assert_eq!(header_safe("a\r\nBcc: x@y\n"), "a Bcc: x@y");
    }
}
