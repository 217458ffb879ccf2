//! The one way an enum gets its string form: strum's derives (`IntoStaticStr`, `EnumString`,
//! `VariantArray`), with [`Named::as_str`] to read it and [`parse_named`] to parse what a
//! person typed, naming the values allowed when it is none of them.

use std::str::FromStr;

use strum::VariantArray;

/// An enum whose variants have stable names (the database's, the export's, the CLI's).
pub trait Named: Copy + Into<&'static str> {
    fn as_str(self) -> &'static str {
        self.into()
    }
}

impl<T: Copy + Into<&'static str>> Named for T {}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not one of: {allowed}")]
pub struct UnknownValue {
    /// The rejected input, capped: it may come from a stranger.
    pub value: String,
    pub allowed: String,
}

/// Parses a name case-insensitively, trimming blanks; the error lists the names allowed.
pub fn parse_named<T: Named + VariantArray + FromStr>(text: &str) -> Result<T, UnknownValue> {
    let text = text.trim();
    T::VARIANTS
        .iter()
        .copied()
        .find(|v| v.as_str().eq_ignore_ascii_case(text))
        .ok_or_else(|| UnknownValue {
            value: text.chars().take(64).collect(),
            allowed: T::VARIANTS
                .iter()
                .map(|v| v.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        })
}
