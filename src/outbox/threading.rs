//! The threading headers of what applymail sends: only clean Message-IDs from the
//! candidate's mail reach them.

/// A Message-ID as it may go into a header: `<…>` without spaces or brackets inside, so that
/// nothing the candidate's mail carried can add a header line.
pub(super) fn message_id(raw: &str) -> Option<&str> {
    let inner = raw.strip_prefix('<')?.strip_suffix('>')?;
    let clean = !inner.is_empty()
        && inner.len() <= 250
        && inner
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>');
    clean.then_some(raw)
}

/// The References to send: the candidate's, then their message, at most the last 20.
pub(super) fn thread_ids(refs: &str) -> Vec<&str> {
    let ids: Vec<&str> = refs.split_whitespace().filter_map(message_id).collect();
    ids[ids.len().saturating_sub(20)..].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_clean_message_ids_reach_the_headers() {
        assert_eq!(message_id("<a.b@c>"), Some("<a.b@c>"));
        for bad in ["a@b", "<a b@c>", "<a@b>\r\nBcc: x@y", "<>", "<<a>>"] {
            assert_eq!(message_id(bad), None, "{bad:?}");
        }
        let many: String = (0..30).map(|i| format!("<m{i}@x> ")).collect();
        let ids = thread_ids(&many);
        assert_eq!(ids.len(), 20);
        assert_eq!(ids.last(), Some(&"<m29@x>"));
    }
}
