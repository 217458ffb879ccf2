//! Full-text search, the pure part: what a query's words are, what the index holds of an
//! application, and the snippet that shows a hit. Both database backends index and query the
//! same folded words ([`super::fold`]: lowercase, no accents, ligatures written out), so that
//! "helene" finds "Hélène" and "oeuvre" finds "œuvre" the same way on SQLite and PostgreSQL;
//! the snippet is cut from the original text, accents and case as the candidate wrote them.

use std::collections::HashSet;

use super::document::DocumentKind;
use super::fold::{fold, tokens};

/// Words of a query beyond this are ignored: every word is one more condition, and 10 KB of
/// pasted text must not become a thousand of them.
pub const MAX_TERMS: usize = 16;
/// A query word is cut to this many characters; still a prefix of the word it was cut from.
const MAX_TERM_CHARS: usize = 64;
/// Words longer than this are not indexed: no one searches for them, and PostgreSQL refuses
/// words over 2,047 bytes (with a notice per word).
const MAX_INDEXED_WORD_BYTES: usize = 100;
/// The folded text indexed for one application, at most.
const MAX_BODY_BYTES: usize = 1 << 20;
/// The distinct words indexed for one application, counted as bytes plus per-word overhead:
/// a PostgreSQL tsvector holds at most 1 MiB, and the body is in it twice (as written and as
/// French stems). Real applications stay far below; a document of random words stops here.
const MAX_DISTINCT_BYTES: usize = 256 * 1024;
const WORD_OVERHEAD: usize = 8;

/// A query: its words, folded, distinct, in the order typed. Any input gives one, possibly
/// empty (only punctuation, empty input); an empty query matches nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    terms: Vec<String>,
}

impl Query {
    pub fn parse(input: &str) -> Query {
        let mut terms: Vec<String> = Vec::new();
        // The fold of a huge paste is not needed beyond the words kept.
        let input = &input[..floor_boundary(input, 64 * 1024)];
        for word in fold(input).split(' ').filter(|w| !w.is_empty()) {
            let word: String = word.chars().take(MAX_TERM_CHARS).collect();
            if !terms.contains(&word) {
                terms.push(word);
            }
            if terms.len() == MAX_TERMS {
                break;
            }
        }
        Query { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The folded words: only alphanumeric characters, never empty.
    pub fn terms(&self) -> &[String] {
        &self.terms
    }

    /// The FTS5 expression: every word, as a prefix from two letters on. Each is quoted, so
    /// that nothing a user types is FTS5 syntax (`OR`, `NEAR(`, `*`, `"`, `-`); folded words
    /// hold no quote to escape.
    pub fn fts5(&self) -> String {
        self.terms
            .iter()
            .map(|t| {
                if is_prefix_term(t) {
                    format!("\"{t}\"*")
                } else {
                    format!("\"{t}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" AND ")
    }

    /// Whether a folded word of a text is one a query word finds: the same word, or one it
    /// begins (from two letters on, as in the index).
    fn term_of(&self, folded_word: &str) -> Option<usize> {
        self.terms.iter().position(|t| {
            if is_prefix_term(t) {
                folded_word.starts_with(t.as_str())
            } else {
                folded_word == t
            }
        })
    }
}

/// One-letter words match whole words only: as prefixes they would match most of the index
/// ("c" of "c++" would find every word in c), at the cost of reading it all.
fn is_prefix_term(term: &str) -> bool {
    term.chars().nth(1).is_some()
}

fn floor_boundary(s: &str, max: usize) -> usize {
    if s.len() <= max {
        return s.len();
    }
    (0..=max)
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

/// The names column of an application's index entry: the candidate's names and address,
/// folded ("marie.dupont@example.com" gives "marie dupont example com", as the query of the
/// address does).
pub fn index_names(last_name: &str, first_name: &str, email: &str) -> String {
    fold(&format!("{last_name} {first_name} {email}"))
}

/// The body column of an application's index entry: the folded words of its documents'
/// texts, within the bounds above (long words left out; past the distinct-word budget, only
/// words already seen).
pub fn index_body<'a>(texts: impl IntoIterator<Item = &'a str>) -> String {
    let mut body = String::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut distinct_bytes = 0usize;
    for text in texts {
        for word in fold(text).split(' ') {
            if word.is_empty() || word.len() > MAX_INDEXED_WORD_BYTES {
                continue;
            }
            if body.len() + word.len() + 1 > MAX_BODY_BYTES {
                return body;
            }
            if !seen.contains(word) {
                if distinct_bytes + word.len() + WORD_OVERHEAD > MAX_DISTINCT_BYTES {
                    continue;
                }
                distinct_bytes += word.len() + WORD_OVERHEAD;
                seen.insert(word.to_owned());
            }
            if !body.is_empty() {
                body.push(' ');
            }
            body.push_str(word);
        }
    }
    body
}

/// A short excerpt of the original text around what a search found, in pieces: the page
/// marks the matched ones (and escapes all of them: this is text, never HTML).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub source: SnippetSource,
    pub pieces: Vec<Piece>,
}

impl Snippet {
    /// The excerpt as plain text.
    pub fn text(&self) -> String {
        self.pieces.iter().map(|p| p.text.as_str()).collect()
    }

    /// The matched pieces, as written.
    pub fn matches(&self) -> Vec<&str> {
        self.pieces
            .iter()
            .filter(|p| p.matched)
            .map(|p| p.text.as_str())
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub text: String,
    /// A word the query found.
    pub matched: bool,
}

/// Where a snippet was cut from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnippetSource {
    /// The candidate's names and address.
    Candidate,
    /// A document's text.
    Document {
        document_id: i64,
        kind: DocumentKind,
        filename: String,
    },
}

/// Words of context shown before the first match.
const CONTEXT_BEFORE: usize = 6;
/// Words in a snippet, at most.
const SNIPPET_WORDS: usize = 30;
/// Bytes of original text in a snippet, at most (a "word" may be a 1 MB run of letters).
const SNIPPET_BYTES: usize = 320;
/// Matches looked at in one text when choosing the window.
const MAX_MATCHES: usize = 1_000;

/// The best excerpt of `text` for `query`, and how many distinct query words it shows; `None`
/// when no word of the text matches (the match was a French stem, on PostgreSQL, or in
/// another document).
pub fn snippet_of(text: &str, query: &Query) -> Option<(Vec<Piece>, usize)> {
    let words = tokens(text);
    let matches: Vec<(usize, usize)> = words
        .iter()
        .enumerate()
        .filter_map(|(i, w)| query.term_of(&w.folded).map(|t| (i, t)))
        .take(MAX_MATCHES)
        .collect();
    // The window (starting a little before a match) that shows the most distinct words.
    let mut best: Option<(usize, usize)> = None;
    for (n, &(first, _)) in matches.iter().enumerate() {
        let start = first.saturating_sub(CONTEXT_BEFORE);
        let end = start + SNIPPET_WORDS;
        let distinct: HashSet<usize> = matches[n..]
            .iter()
            .take_while(|(i, _)| *i < end)
            .map(|(_, t)| *t)
            .collect();
        if best.is_none_or(|(_, d)| distinct.len() > d) {
            best = Some((start, distinct.len()));
        }
        if distinct.len() == query.terms().len() {
            break;
        }
    }
    let (start, distinct) = best?;
    let end = (start + SNIPPET_WORDS).min(words.len());
    let window = &words[start..end];
    let mut pieces: Vec<Piece> = Vec::new();
    let mut push = |text: &str, matched: bool| {
        if text.is_empty() {
            return;
        }
        match pieces.last_mut() {
            Some(last) if !last.matched && !matched => last.text.push_str(text),
            _ => pieces.push(Piece {
                text: text.to_owned(),
                matched,
            }),
        }
    };
    if start > 0 {
        push("… ", false);
    }
    let limit = window[0].start + SNIPPET_BYTES;
    let mut at = window[0].start;
    let mut cut = false;
    for word in window {
        if word.start >= limit {
            cut = true;
            break;
        }
        push(&squeeze(&text[at..word.start]), false);
        let shown = &text[word.start..floor_boundary_from(text, word.start, word.end, limit)];
        push(shown, query.term_of(&word.folded).is_some());
        at = word.end;
        if shown.len() < word.end - word.start {
            cut = true;
            break;
        }
    }
    if cut || end < words.len() {
        push(" …", false);
    } else {
        // The end of the text: its last punctuation, not a megabyte of it.
        let tail = floor_boundary_from(text, at, text.len(), at + 8);
        push(squeeze(&text[at..tail]).trim_end(), false);
    }
    Some((pieces, distinct))
}

/// `end`, or less, on a char boundary, no further than `limit`.
fn floor_boundary_from(s: &str, start: usize, end: usize, limit: usize) -> usize {
    if end <= limit {
        return end;
    }
    (start..=limit.max(start))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(start)
}

/// Line breaks, tabs and runs of spaces between words, as one space.
fn squeeze(between: &str) -> String {
    let mut out = String::with_capacity(between.len());
    for c in between.chars() {
        if c.is_whitespace() {
            if !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marked(pieces: &[Piece]) -> String {
        pieces
            .iter()
            .map(|p| {
                if p.matched {
                    format!("[{}]", p.text)
                } else {
                    p.text.clone()
                }
            })
            .collect()
    }

    #[test]
    fn any_input_is_a_query() {
        for input in [
            "",
            "\"",
            "c++",
            "jean-pierre",
            "OR",
            "*",
            "NEAR(",
            "!!! ---",
            "a\"b",
            "\0",
        ] {
            let q = Query::parse(input);
            assert!(!q.fts5().contains("\"\""), "{input:?}: {}", q.fts5());
            for t in q.terms() {
                assert!(
                    !t.is_empty() && t.chars().all(char::is_alphanumeric),
                    "{t:?}"
                );
            }
        }
        assert!(Query::parse("—:!").is_empty());
        assert_eq!(Query::parse("Jean-Pierre").terms(), ["jean", "pierre"]);
        assert_eq!(Query::parse("c++").fts5(), "\"c\"");
        assert_eq!(Query::parse("OR").fts5(), "\"or\"*");
        assert_eq!(
            Query::parse("Œuvre  Hélène œuvre").fts5(),
            "\"oeuvre\"* AND \"helene\"*"
        );
    }

    #[test]
    fn a_huge_query_is_bounded() {
        let words: Vec<String> = (0..3000).map(|i| format!("mot{i}")).collect();
        let q = Query::parse(&words.join(" "));
        assert_eq!(q.terms().len(), MAX_TERMS);
        let q = Query::parse(&"é".repeat(10_000));
        assert_eq!(q.terms(), ["e".repeat(MAX_TERM_CHARS)]);
    }

    #[test]
    fn the_snippet_keeps_the_original_and_marks_the_words() {
        let text = "Curriculum Vitae\nHélène DUPONT\n\nExpérience professionnelle :\n\
                    Coordination de l'œuvre sociale à Safi.";
        let q = Query::parse("experience oeuvre helene");
        let (pieces, distinct) = snippet_of(text, &q).unwrap();
        assert_eq!(distinct, 3);
        assert_eq!(
            marked(&pieces),
            "Curriculum Vitae [Hélène] DUPONT [Expérience] professionnelle : Coordination de l'[œuvre] sociale à Safi."
        );
        let (pieces, _) = snippet_of(text, &Query::parse("coordin")).unwrap();
        assert!(marked(&pieces).contains("[Coordination]"), "{pieces:?}");
        assert!(snippet_of(text, &Query::parse("absent")).is_none());
    }

    #[test]
    fn the_snippet_is_a_window_of_a_long_text() {
        let mut text = "lorem ipsum ".repeat(500);
        text.push_str("la mission humanitaire à Safi ");
        text.push_str(&"dolor sit ".repeat(500));
        let (pieces, _) = snippet_of(&text, &Query::parse("humanitaire")).unwrap();
        let shown: String = pieces.iter().map(|p| p.text.as_str()).collect();
        assert!(shown.starts_with("… ") && shown.ends_with(" …"), "{shown}");
        assert!(shown.len() < SNIPPET_BYTES + 20, "{}", shown.len());
        assert_eq!(pieces.iter().filter(|p| p.matched).count(), 1, "{pieces:?}");
        // One giant word is cut on a char boundary.
        let giant = "é".repeat(100_000);
        let (pieces, _) = snippet_of(&giant, &Query::parse("ee")).unwrap();
        assert!(
            pieces[0].text.len() <= SNIPPET_BYTES,
            "{}",
            pieces[0].text.len()
        );
    }

    #[test]
    fn the_index_body_is_bounded() {
        assert_eq!(
            index_body(["L'Œuvre de Hélène", "c++ Jean-Pierre"]),
            "l oeuvre de helene c jean pierre"
        );
        let random: Vec<String> = (0..200_000).map(|i| format!("w{i:x}q")).collect();
        let body = index_body([random.join(" ").as_str()]);
        let distinct: HashSet<&str> = body.split(' ').collect();
        let bytes: usize = distinct.iter().map(|w| w.len() + WORD_OVERHEAD).sum();
        assert!(bytes <= MAX_DISTINCT_BYTES, "{bytes}");
        let long = "x".repeat(MAX_INDEXED_WORD_BYTES + 1);
        assert_eq!(index_body([format!("court {long}").as_str()]), "court");
        assert_eq!(
            index_names("DUPONT", "Marie", "marie.dupont@example.com"),
            "dupont marie marie dupont example com"
        );
    }
}
