//! `Authentication-Results` header fields (RFC 8601): what a receiving server found when it
//! checked a message's DKIM signatures and DMARC, and whether that vouches for the sender.
//!
//! Only the organisation's own server is believed: its authserv-id is configured
//! (`[organisation] authserv_id`), and every field written by anyone else is what a sender,
//! or a server on its way, claims. RFC 8601 §5 obliges a border server to delete fields
//! arriving from outside that bear its own authserv-id, so that one cannot be forged. A
//! result vouches for a From domain when DKIM passed for a signature of that very domain
//! (`header.d`, or the domain of `header.i`) or DMARC passed for it (`header.from`). SPF is
//! not enough: it vouches for the envelope sender, which the From header need not match.

/// One Authentication-Results field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthenticationResults {
    /// The server that wrote it (RFC 8601 authserv-id), as written.
    pub authserv_id: String,
    pub results: Vec<MethodResult>,
}

/// One `method=result` with its properties.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodResult {
    /// `dkim`, `spf`, `dmarc`…, lowercased, without a method version (`dkim/1`).
    pub method: String,
    /// `pass`, `fail`, `none`…, lowercased.
    pub result: String,
    /// `header.d`, `smtp.mailfrom`… (the `ptype.property`, lowercased) with their values as
    /// written.
    pub properties: Vec<(String, String)>,
}

impl MethodResult {
    /// The first value of a property (`header.d`), whatever its case.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    /// Whether this result says the message really comes from `domain`.
    fn vouches_for(&self, domain: &str) -> bool {
        let is_domain = |value: &str| domain_part(value).eq_ignore_ascii_case(domain);
        self.result == "pass"
            && match self.method.as_str() {
                "dkim" => {
                    self.property("header.d").is_some_and(is_domain)
                        || self.property("header.i").is_some_and(is_domain)
                }
                "dmarc" => self.property("header.from").is_some_and(is_domain),
                _ => false,
            }
    }
}

/// `@example.org` and `user@example.org` give `example.org`; a bare domain stays as it is.
fn domain_part(value: &str) -> &str {
    value.rsplit('@').next().unwrap_or(value)
}

impl AuthenticationResults {
    /// Reads a field's value (what follows `Authentication-Results:`, folds included).
    /// `None` when it names no authserv-id. Results it cannot read are left out rather
    /// than guessed at: a server writes them right, and an unreadable one vouches for
    /// nothing.
    pub fn parse(value: &str) -> Option<AuthenticationResults> {
        let tokens = tokens(value);
        let mut statements = tokens.split(|t| *t == Token::Semicolon);
        // The authserv-id, then an optional version (`mx.example.org 1;`).
        let authserv_id = match statements.next()?.first()? {
            Token::Word(id) if !id.is_empty() => id.clone(),
            _ => return None,
        };
        let results = statements.filter_map(method_result).collect();
        Some(AuthenticationResults {
            authserv_id,
            results,
        })
    }
}

/// Whether any of `fields` (raw Authentication-Results values) was written by
/// `authserv_id` and says the message comes from `domain`.
pub fn vouches_for(fields: &[String], authserv_id: &str, domain: &str) -> bool {
    fields
        .iter()
        .filter_map(|field| AuthenticationResults::parse(field))
        .filter(|field| field.authserv_id.eq_ignore_ascii_case(authserv_id))
        .any(|field| field.results.iter().any(|r| r.vouches_for(domain)))
}

/// `method[/version] = result` followed by `reason=…` and `ptype.property=value` pairs; any
/// other token (the `==` that ends a base64 `header.b`, say) is passed over.
fn method_result(statement: &[Token]) -> Option<MethodResult> {
    let [
        Token::Word(method),
        Token::Equals,
        Token::Word(result),
        rest @ ..,
    ] = statement
    else {
        return None;
    };
    let method = method.split('/').next().unwrap_or_default();
    let mut properties = Vec::new();
    let mut rest = rest;
    while !rest.is_empty() {
        if let [
            Token::Word(key),
            Token::Equals,
            Token::Word(value),
            tail @ ..,
        ] = rest
        {
            if key.contains('.') {
                properties.push((key.to_ascii_lowercase(), value.clone()));
            }
            rest = tail;
        } else {
            rest = &rest[1..];
        }
    }
    Some(MethodResult {
        method: method.to_ascii_lowercase(),
        result: result.to_ascii_lowercase(),
        properties,
    })
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An atom, a dot-atom, an address or a quoted string's content.
    Word(String),
    Equals,
    Semicolon,
}

/// Splits a value into words, `=` and `;`, dropping white space, folds and comments
/// (RFC 5322 CFWS: parenthesised, nestable, with backslash escapes).
fn tokens(value: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            ';' => tokens.push(Token::Semicolon),
            '=' => tokens.push(Token::Equals),
            '(' => {
                let mut depth = 1;
                while depth > 0 {
                    match chars.next() {
                        Some('\\') => {
                            chars.next();
                        }
                        Some('(') => depth += 1,
                        Some(')') => depth -= 1,
                        Some(_) => {}
                        None => break,
                    }
                }
            }
            '"' => {
                let mut word = String::new();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => word.extend(chars.next()),
                        '"' => break,
                        c => word.push(c),
                    }
                }
                tokens.push(Token::Word(word));
            }
            c if c.is_whitespace() => {}
            c => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || matches!(next, ';' | '=' | '(' | '"') {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Method, result and properties.
    type Row = (String, String, Vec<(String, String)>);

    fn results(value: &str) -> Vec<Row> {
        AuthenticationResults::parse(value)
            .unwrap()
            .results
            .into_iter()
            .map(|r| (r.method, r.result, r.properties))
            .collect()
    }

    fn pair(key: &str, value: &str) -> (String, String) {
        (key.to_owned(), value.to_owned())
    }

    #[test]
    fn several_results_with_their_properties() {
        let value = " mx.ong-exemple.org;\r\n\tdkim=pass header.d=ong-exemple.org header.i=@ong-exemple.org header.b=AbC+/9==;\r\n\tspf=pass smtp.mailfrom=contact@ong-exemple.org;\r\n\tdmarc=pass header.from=ong-exemple.org";
        let parsed = AuthenticationResults::parse(value).unwrap();
        assert_eq!(parsed.authserv_id, "mx.ong-exemple.org");
        assert_eq!(
            results(value),
            [
                (
                    "dkim".into(),
                    "pass".into(),
                    vec![
                        pair("header.d", "ong-exemple.org"),
                        pair("header.i", "@ong-exemple.org"),
                        pair("header.b", "AbC+/9"),
                    ]
                ),
                (
                    "spf".into(),
                    "pass".into(),
                    vec![pair("smtp.mailfrom", "contact@ong-exemple.org")]
                ),
                (
                    "dmarc".into(),
                    "pass".into(),
                    vec![pair("header.from", "ong-exemple.org")]
                ),
            ]
        );
    }

    #[test]
    fn comments_are_dropped_wherever_they_are() {
        // Comments may hold `;`, `=`, quotes and nested parentheses.
        let value = "mx.ong-exemple.org (Postfix; v=3) ; dkim=pass (2048-bit key; \"unprotected\" (see=below)) header.d=ong-exemple.org (signer) ; dmarc (policy) = (x) fail (p=reject dis=none) header.from=ong-exemple.org";
        assert_eq!(
            results(value),
            [
                (
                    "dkim".into(),
                    "pass".into(),
                    vec![pair("header.d", "ong-exemple.org")]
                ),
                (
                    "dmarc".into(),
                    "fail".into(),
                    vec![pair("header.from", "ong-exemple.org")]
                ),
            ]
        );
    }

    #[test]
    fn a_version_after_the_authserv_id_and_method_versions() {
        let value = "mx.ong-exemple.org 1; dkim/1=pass header.d=ong-exemple.org";
        let parsed = AuthenticationResults::parse(value).unwrap();
        assert_eq!(parsed.authserv_id, "mx.ong-exemple.org");
        assert_eq!(parsed.results.len(), 1);
        assert_eq!(parsed.results[0].method, "dkim");
        assert!(vouches_for(
            &[value.into()],
            "mx.ong-exemple.org",
            "ong-exemple.org"
        ));
    }

    #[test]
    fn names_and_results_are_read_whatever_their_case() {
        let value = "MX.Ong-Exemple.ORG; DKIM=PASS Header.D=ONG-EXEMPLE.org";
        assert!(vouches_for(
            &[value.into()],
            "mx.ong-exemple.org",
            "ong-exemple.org"
        ));
        let dmarc = "mx.ong-exemple.org; DMARC=Pass HEADER.FROM=Ong-Exemple.Org";
        assert!(vouches_for(
            &[dmarc.into()],
            "MX.ONG-EXEMPLE.ORG",
            "ong-exemple.org"
        ));
    }

    #[test]
    fn quoted_strings_and_no_result() {
        let value =
            "\"mx.ong-exemple.org\"; dkim=pass header.d=\"ong-exemple.org\" reason=\"good; sig\"";
        assert!(vouches_for(
            &[value.into()],
            "mx.ong-exemple.org",
            "ong-exemple.org"
        ));
        let none = AuthenticationResults::parse("mx.ong-exemple.org; none").unwrap();
        assert!(none.results.is_empty());
        assert_eq!(AuthenticationResults::parse("  (only a comment) "), None);
        assert_eq!(AuthenticationResults::parse(""), None);
    }

    #[test]
    fn only_the_configured_authserv_id_counts_among_several_fields() {
        let fields = [
            "mail.attacker.example; dkim=pass header.d=ong-exemple.org".to_owned(),
            "mx.ong-exemple.org.attacker.example; dmarc=pass header.from=ong-exemple.org".to_owned(),
            "mx.ong-exemple.org; spf=pass smtp.mailfrom=ong-exemple.org; dkim=fail header.d=ong-exemple.org".to_owned(),
        ];
        assert!(!vouches_for(
            &fields,
            "mx.ong-exemple.org",
            "ong-exemple.org"
        ));
        let mut with_ours = fields.to_vec();
        with_ours.push("mx.ong-exemple.org; dmarc=pass header.from=ong-exemple.org".into());
        assert!(vouches_for(
            &with_ours,
            "mx.ong-exemple.org",
            "ong-exemple.org"
        ));
    }

    #[test]
    fn a_pass_vouches_only_for_its_own_domain() {
        let id = "mx.ong-exemple.org";
        let check = |value: &str| vouches_for(&[value.to_owned()], id, "ong-exemple.org");
        assert!(check(
            "mx.ong-exemple.org; dkim=pass header.i=contact@ong-exemple.org"
        ));
        assert!(!check(
            "mx.ong-exemple.org; dkim=pass header.d=attacker.example"
        ));
        assert!(!check(
            "mx.ong-exemple.org; dkim=pass header.d=sub.ong-exemple.org"
        ));
        assert!(!check(
            "mx.ong-exemple.org; dkim=pass header.d=ong-exemple.org.attacker.example"
        ));
        assert!(!check("mx.ong-exemple.org; dkim=pass"));
        assert!(!check(
            "mx.ong-exemple.org; dkim=neutral header.d=ong-exemple.org"
        ));
        assert!(!check(
            "mx.ong-exemple.org; dmarc=pass header.from=attacker.example"
        ));
        // SPF vouches for the envelope, not for From.
        assert!(!check(
            "mx.ong-exemple.org; spf=pass smtp.mailfrom=ong-exemple.org"
        ));
        // A result statement that lacks its `method=result` is not read into the next one.
        assert!(!check(
            "mx.ong-exemple.org; dkim header.d=ong-exemple.org pass"
        ));
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn arbitrary_values_never_panic(value in "\\PC{0,200}") {
                let _ = AuthenticationResults::parse(&value);
                let _ = vouches_for(&[value], "mx.example.org", "example.org");
            }

            #[test]
            fn structured_noise_never_panics(value in "[a-z.=;()\"\\\\ @/]{0,200}") {
                let _ = AuthenticationResults::parse(&value);
            }
        }
    }
}
