//! Texts with placeholders, the grammar every message applymail writes shares (the
//! acknowledgement, the reply templates): `{name}` is a value, `{{` and `}}` are literal
//! braces. Parsing checks every placeholder once, so rendering cannot fail and an unknown
//! name is refused when a text is saved or loaded, never discovered when a candidate is
//! written to.

use std::fmt;

use strum::{EnumString, IntoStaticStr, VariantArray};

/// A value a template may name, written `{snake_case}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, IntoStaticStr, VariantArray)]
#[strum(serialize_all = "snake_case")]
pub enum Placeholder {
    FirstName,
    LastName,
    /// The posting's title.
    Posting,
    /// Who signs.
    Organisation,
    InterviewDate,
    InterviewTime,
    /// A place or a video link.
    InterviewPlace,
    /// What the application lacks ("votre CV"), for the request of a missing document.
    Missing,
}

impl Placeholder {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// `{first_name}, {last_name}, …`: every placeholder, for error messages and help.
    pub fn all_written() -> String {
        Placeholder::VARIANTS
            .iter()
            .map(|p| format!("{{{}}}", p.as_str()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The values a template may use; what a message does not know stays empty.
#[derive(Debug, Clone, Default)]
pub struct Fields<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub posting: &'a str,
    pub organisation: &'a str,
    pub interview_date: &'a str,
    pub interview_time: &'a str,
    pub interview_place: &'a str,
    pub missing: &'a str,
}

impl Fields<'_> {
    fn get(&self, placeholder: Placeholder) -> &str {
        match placeholder {
            Placeholder::FirstName => self.first_name,
            Placeholder::LastName => self.last_name,
            Placeholder::Posting => self.posting,
            Placeholder::Organisation => self.organisation,
            Placeholder::InterviewDate => self.interview_date,
            Placeholder::InterviewTime => self.interview_time,
            Placeholder::InterviewPlace => self.interview_place,
            Placeholder::Missing => self.missing,
        }
    }
}

/// A text whose placeholders are all known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{0}}} (known: {known})", known = Placeholder::all_written())]
    Unknown(String),
    #[error("a `{{` is not closed (write `{{{{` for a literal brace)")]
    Unclosed,
    #[error("a `}}` is not opened (write `}}}}` for a literal brace)")]
    Unopened,
}

enum Piece<'a> {
    Text(&'a str),
    Field(Placeholder),
}

fn pieces(text: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(['{', '}']) {
        out.push(Piece::Text(&rest[..at]));
        let tail = &rest[at..];
        if tail.starts_with("{{") || tail.starts_with("}}") {
            out.push(Piece::Text(&tail[..1]));
            rest = &tail[2..];
        } else if tail.starts_with('}') {
            return Err(TemplateError::Unopened);
        } else {
            let close = tail.find('}').ok_or(TemplateError::Unclosed)?;
            let name = &tail[1..close];
            let field = name
                .parse()
                .map_err(|_| TemplateError::Unknown(name.to_owned()))?;
            out.push(Piece::Field(field));
            rest = &tail[close + 1..];
        }
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

impl Template {
    pub fn parse(text: &str) -> Result<Template, TemplateError> {
        pieces(text)?;
        Ok(Template(text.to_owned()))
    }

    /// Only for texts known to parse (the built-in ones, checked by tests).
    pub(crate) fn trusted(text: &str) -> Template {
        Template(text.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The placeholders the text uses, in order, each once.
    pub fn placeholders(&self) -> Vec<Placeholder> {
        let mut used = Vec::new();
        for piece in pieces(&self.0).unwrap_or_default() {
            if let Piece::Field(p) = piece
                && !used.contains(&p)
            {
                used.push(p);
            }
        }
        used
    }

    pub fn render(&self, fields: &Fields<'_>) -> String {
        let mut out = String::with_capacity(self.0.len() + 64);
        // Parsed at construction, so this cannot fail.
        for piece in pieces(&self.0).unwrap_or_default() {
            let value = match piece {
                Piece::Text(text) => text,
                Piece::Field(field) => fields.get(field),
            };
            // A candidate whose name is unknown is greeted "Bonjour," without a gap.
            if value.is_empty() && out.ends_with(' ') {
                out.pop();
            }
            out.push_str(value);
        }
        out
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn fields() -> Fields<'static> {
        Fields {
            first_name: "Amina",
            last_name: "EL MANSOURI",
            posting: "Coordinateur·rice au Maroc",
            organisation: "ONG Exemple",
            interview_date: "mardi 12 janvier",
            interview_time: "10 h 30",
            interview_place: "https://visio.example/abc",
            missing: "votre CV",
        }
    }

    #[test]
    fn every_placeholder_renders_its_value() {
        let all: String = Placeholder::VARIANTS
            .iter()
            .map(|p| format!("[{{{}}}]", p.as_str()))
            .collect();
        assert_eq!(
            Template::parse(&all).unwrap().render(&fields()),
            "[Amina][EL MANSOURI][Coordinateur·rice au Maroc][ONG Exemple][mardi 12 janvier][10 h 30][https://visio.example/abc][votre CV]"
        );
    }

    #[test]
    fn an_unknown_placeholder_is_named_with_the_known_ones() {
        let err = Template::parse("Bonjour {prenom}, le {interview_date}").unwrap_err();
        assert_eq!(err, TemplateError::Unknown("prenom".into()));
        let text = err.to_string();
        assert!(text.contains("{prenom}"), "{text}");
        assert!(text.contains("{interview_place}"), "{text}");
        assert_eq!(
            Template::parse("Bonjour {first_name"),
            Err(TemplateError::Unclosed)
        );
        assert_eq!(Template::parse("a } b"), Err(TemplateError::Unopened));
    }

    #[test]
    fn braces_are_doubled_and_values_are_not_read_again() {
        let t = Template::parse("{{literal}} {first_name}").unwrap();
        let f = Fields {
            first_name: "{last_name}",
            ..fields()
        };
        assert_eq!(t.render(&f), "{literal} {last_name}");
        assert_eq!(
            t.placeholders(),
            [Placeholder::FirstName],
            "a doubled brace is no placeholder"
        );
    }

    #[test]
    fn an_empty_value_leaves_no_gap() {
        let t = Template::parse("Bonjour {first_name} {last_name},").unwrap();
        assert_eq!(t.render(&Fields::default()), "Bonjour,");
    }

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(Placeholder::VARIANTS).prop_map(|p| p.as_str().to_owned()),
            "[a-z_]{0,14}",
            "\\PC{0,6}",
        ]
    }

    proptest! {
        /// Whatever the text, parsing answers and a parsed text renders.
        #[test]
        fn parsing_and_rendering_never_panic(text in "\\PC{0,80}", value in "\\PC{0,12}") {
            if let Ok(t) = Template::parse(&text) {
                let f = Fields { first_name: &value, missing: &value, ..fields() };
                let _ = t.render(&f);
            }
        }

        /// `{name}` is accepted exactly when `name` is a known placeholder, and then renders
        /// its value.
        #[test]
        fn validation_accepts_exactly_the_known_placeholders(name in name()) {
            let known = Placeholder::VARIANTS.iter().find(|p| p.as_str() == name);
            let parsed = Template::parse(&format!("<{{{name}}}>"));
            match known {
                Some(p) => {
                    let rendered = parsed.unwrap().render(&fields());
                    prop_assert_eq!(rendered, format!("<{}>", fields().get(*p)));
                }
                None if name.contains(['{', '}']) => prop_assert!(parsed.is_err()),
                None => prop_assert_eq!(parsed, Err(TemplateError::Unknown(name.clone()))),
            }
        }
    }
}
