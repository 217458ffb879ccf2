//! `/applications`: the list with its filters, sort, pages and counts, all in the URL so a
//! view can be bookmarked. Unknown filter values are ignored, never an error.

use std::collections::HashMap;

use askama::Template;
use axum::Extension;
use axum::extract::{Query, State};
use axum::http::Uri;
use axum::response::Response;
use serde::Deserialize;
use strum::VariantArray;
use tracing::warn;

use super::{Chrome, date, date_time, parsed, render, unavailable};
use crate::domain::document::DocumentKind;
use crate::domain::named::Named;
use crate::domain::status::{ApplicationStatus, ReplyStatus};
use crate::store::StoreError;
use crate::store::browse::{PageRequest, SortKey};
use crate::store::queries::Filter;
use crate::web::AppState;
use crate::web::catalogue::Catalogue;
use crate::web::routes::url_escape;
use crate::web::session::SignedIn;

const PER_PAGE: u32 = 50;
/// The search's best hits that the filters then narrow (the index answers at most this many).
const SEARCH_HITS: usize = 1_000;
/// What a search box may hold: more is cut, never refused.
const MAX_QUERY_CHARS: usize = 200;

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    posting: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    reply: String,
    #[serde(default)]
    missing: String,
    #[serde(default)]
    needs_reply: String,
    #[serde(default)]
    flagged: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    dir: String,
    #[serde(default)]
    page: String,
}

impl ListQuery {
    /// The URL of this view, with only the parameters that say something.
    fn href(&self) -> String {
        let page = Some(self.page_number())
            .filter(|p| *p > 1)
            .map(|p| p.to_string());
        let pairs = [
            ("q", Some(self.q.as_str())),
            ("posting", Some(self.posting.as_str())),
            ("status", Some(self.status.as_str())),
            ("reply", Some(self.reply.as_str())),
            ("missing", Some(self.missing.as_str())),
            ("needs_reply", Some(self.needs_reply.as_str())),
            ("flagged", Some(self.flagged.as_str())),
            ("sort", Some(self.sort.as_str())),
            ("dir", Some(self.dir.as_str())),
            ("page", page.as_deref()),
        ];
        let query: Vec<String> = pairs
            .iter()
            .filter_map(|(k, v)| {
                v.filter(|v| !v.is_empty())
                    .map(|v| format!("{k}={}", url_escape(v)))
            })
            .collect();
        if query.is_empty() {
            "/applications".into()
        } else {
            format!("/applications?{}", query.join("&"))
        }
    }

    /// The filter's parameters that say something: what the bulk answer form carries, so
    /// that "all the applications of this filter" means this view's.
    fn filter_fields(&self) -> Vec<(&'static str, String)> {
        [
            ("q", &self.q),
            ("posting", &self.posting),
            ("status", &self.status),
            ("reply", &self.reply),
            ("missing", &self.missing),
            ("needs_reply", &self.needs_reply),
            ("flagged", &self.flagged),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k, v.clone()))
        .collect()
    }

    /// From 1; anything that is not a page number is the first page.
    fn page_number(&self) -> u32 {
        self.page.parse::<u32>().unwrap_or(1).clamp(1, 100_000)
    }

    /// The export of this view, all its pages, as `format` (csv or json).
    fn export_href(&self, format: &str) -> String {
        let view = self.with(|_| {}).href();
        match view.split_once('?') {
            Some((_, params)) => format!("/applications/export?format={format}&{params}"),
            None => format!("/applications/export?format={format}"),
        }
    }

    fn with(&self, change: impl FnOnce(&mut ListQuery)) -> ListQuery {
        let mut next = self.clone();
        next.page = String::new();
        change(&mut next);
        next
    }

    fn sort_key(&self) -> SortKey {
        self.sort.parse().unwrap_or_default()
    }

    fn descending(&self) -> bool {
        match self.dir.as_str() {
            "asc" => false,
            "desc" => true,
            // Dates newest first by default, names from A.
            _ => matches!(
                self.sort_key(),
                SortKey::Received | SortKey::Activity | SortKey::Rating
            ),
        }
    }

    /// The filter of this view for the store: the search box's words become the ids the
    /// index found (names, addresses and every document's text), which the other filters
    /// then narrow.
    pub(super) async fn resolved_filter(&self, state: &AppState) -> Result<Filter, StoreError> {
        let mut filter = self.filter();
        if let Some(q) = filter.search.take() {
            filter.ids = Some(
                state
                    .store
                    .search_application_ids(&q, SEARCH_HITS, 0)
                    .await?,
            );
        }
        Ok(filter)
    }

    fn filter(&self) -> Filter {
        let q: String = self.q.trim().chars().take(MAX_QUERY_CHARS).collect();
        Filter {
            status: self.status.parse().ok(),
            reply_status: self.reply.parse().ok(),
            posting: Some(self.posting.clone()).filter(|p| !p.is_empty()),
            missing: self
                .missing
                .parse::<DocumentKind>()
                .ok()
                .filter(|k| *k != DocumentKind::Other),
            search: Some(q).filter(|q| !q.is_empty()),
            needs_reply: self.needs_reply == "1",
            flagged: self.flagged == "1",
            ids: None,
        }
    }
}

pub struct Choice {
    value: String,
    label: String,
    selected: bool,
}

pub struct Count {
    label: &'static str,
    count: i64,
    href: String,
    current: bool,
}

pub struct Header {
    label: &'static str,
    href: String,
    aria_sort: Option<&'static str>,
}

pub struct Row {
    id: i64,
    name: String,
    email: String,
    posting: String,
    received: String,
    status: &'static str,
    status_key: &'static str,
    reply: &'static str,
    has_cv: bool,
    has_letter: bool,
    activity: String,
    /// "4,5 (2)": the average and how many rated; empty when nobody did.
    rating: String,
    /// A search hit's excerpt: pieces of the original text, matched or not.
    snippet: Vec<(String, bool)>,
}

#[derive(Template)]
#[template(path = "list.html")]
struct ListPage {
    t: &'static Catalogue,
    chrome: Chrome,
    q: String,
    postings: Vec<Choice>,
    statuses: Vec<Choice>,
    replies: Vec<Choice>,
    missing: Vec<Choice>,
    needs_reply: bool,
    flagged: bool,
    sort: String,
    dir: String,
    counts: Vec<Count>,
    total: i64,
    headers: Vec<Header>,
    rows: Vec<Row>,
    page: u32,
    pages: i64,
    previous: Option<String>,
    next: Option<String>,
    export_csv: String,
    export_json: String,
    /// The bulk answer form: the view's filter, the templates and the statuses.
    filter_fields: Vec<(&'static str, String)>,
    answer_templates: Vec<(&'static str, &'static str, bool)>,
    answer_statuses: Vec<(&'static str, &'static str, bool)>,
}

pub async fn page(
    State(state): State<AppState>,
    Extension(signed_in): Extension<SignedIn>,
    uri: Uri,
    Query(query): Query<ListQuery>,
) -> Response {
    let t = signed_in.t;
    let here = uri.path_and_query().map_or("/applications", |p| p.as_str());
    let page_number = query.page_number();
    let search = query.filter().search;
    let filter = match query.resolved_filter(&state).await {
        Ok(filter) => filter,
        Err(err) => return unavailable(t, err, "search"),
    };
    let request = PageRequest {
        filter,
        sort: query.sort_key(),
        descending: query.descending(),
        page: page_number - 1,
        per_page: PER_PAGE,
    };
    let found = match state.store.browse(&request).await {
        Ok(found) => found,
        Err(err) => return unavailable(t, err, "read the list"),
    };
    let snippets: HashMap<i64, Vec<(String, bool)>> = match &search {
        None => HashMap::new(),
        Some(q) => {
            let ids: Vec<i64> = found.rows.iter().map(|r| r.id).collect();
            match state.store.snippets(q, &ids).await {
                Ok(snippets) => snippets
                    .into_iter()
                    .map(|(id, s)| {
                        (
                            id,
                            s.pieces.into_iter().map(|p| (p.text, p.matched)).collect(),
                        )
                    })
                    .collect(),
                Err(err) => {
                    warn!(error = %err, "cannot read the search's snippets");
                    HashMap::new()
                }
            }
        }
    };
    let ids: Vec<i64> = found.rows.iter().map(|r| r.id).collect();
    let ratings = match state.store.rating_summaries(&ids).await {
        Ok(ratings) => ratings,
        Err(err) => return unavailable(t, err, "read the ratings"),
    };
    let titles: HashMap<&str, &str> = state
        .postings
        .iter()
        .map(|p| (p.id.as_str(), p.title.as_str()))
        .collect();
    let rows = found
        .rows
        .into_iter()
        .map(|r| {
            let status: ApplicationStatus = parsed(&r.status);
            let reply: ReplyStatus = parsed(&r.reply_status);
            let activity = r
                .last_outbound_at
                .map_or(r.last_inbound_at, |o| o.max(r.last_inbound_at));
            Row {
                id: r.id,
                name: format!("{} {}", r.first_name, r.last_name)
                    .trim()
                    .to_owned(),
                email: r.email,
                posting: titles
                    .get(r.posting.as_str())
                    .map_or(r.posting.clone(), |t| (*t).to_owned()),
                received: date_time(r.received_at),
                status: t.status(status),
                status_key: status.as_str(),
                reply: t.reply(reply),
                has_cv: r.has_cv,
                has_letter: r.has_letter,
                activity: date(activity),
                rating: ratings
                    .get(&r.id)
                    .map(|(average, count)| format!("{} ({count})", t.decimal(*average)))
                    .unwrap_or_default(),
                snippet: snippets.get(&r.id).cloned().unwrap_or_default(),
            }
        })
        .collect();
    let current_status: Option<ApplicationStatus> = query.status.parse().ok();
    let counts = found
        .by_status
        .iter()
        .map(|(status, count)| Count {
            label: t.status(*status),
            count: *count,
            href: query.with(|q| q.status = status.as_str().into()).href(),
            current: current_status == Some(*status),
        })
        .collect();
    let sort = query.sort_key();
    let descending = query.descending();
    let columns = [
        (SortKey::Name, t.col_name),
        (SortKey::Posting, t.col_posting),
        (SortKey::Received, t.col_received),
        (SortKey::Status, t.col_status),
        (SortKey::Reply, t.col_reply),
        (SortKey::Cv, t.col_cv),
        (SortKey::Letter, t.col_letter),
        (SortKey::Activity, t.col_activity),
        (SortKey::Rating, t.col_rating),
    ];
    let headers = columns
        .into_iter()
        .map(|(key, label)| {
            let is_current = key == sort;
            let dir = match (is_current, descending) {
                (true, true) => "asc",
                (true, false) => "desc",
                (false, _) => "",
            };
            Header {
                label,
                href: query
                    .with(|q| {
                        q.sort = <&str>::from(key).into();
                        q.dir = dir.into();
                    })
                    .href(),
                aria_sort: is_current.then_some(if descending {
                    "descending"
                } else {
                    "ascending"
                }),
            }
        })
        .collect();
    let pages = ((found.total + i64::from(PER_PAGE) - 1) / i64::from(PER_PAGE)).max(1);
    let at = |p: u32| query.with(|q| q.page = p.to_string()).href();
    let choices = |values: Vec<(String, String)>, current: &str| {
        values
            .into_iter()
            .map(|(value, label)| Choice {
                selected: value == current,
                value,
                label,
            })
            .collect::<Vec<_>>()
    };
    render(&ListPage {
        t,
        chrome: Chrome::new(&signed_in, here),
        q: query.q.chars().take(MAX_QUERY_CHARS).collect(),
        postings: choices(
            state
                .postings
                .iter()
                .map(|p| (p.id.as_str().to_owned(), p.title.clone()))
                .collect(),
            &query.posting,
        ),
        statuses: choices(
            ApplicationStatus::VARIANTS
                .iter()
                .map(|s| (s.as_str().to_owned(), t.status(*s).to_owned()))
                .collect(),
            &query.status,
        ),
        replies: choices(
            ReplyStatus::VARIANTS
                .iter()
                .map(|s| (s.as_str().to_owned(), t.reply(*s).to_owned()))
                .collect(),
            &query.reply,
        ),
        missing: choices(
            vec![
                ("cv".to_owned(), t.list_missing_cv.to_owned()),
                ("letter".to_owned(), t.list_missing_letter.to_owned()),
            ],
            &query.missing,
        ),
        needs_reply: query.needs_reply == "1",
        flagged: query.flagged == "1",
        sort: query.sort.clone(),
        dir: query.dir.clone(),
        counts,
        total: found.total,
        headers,
        rows,
        page: page_number,
        pages,
        previous: (page_number > 1).then(|| at(page_number - 1)),
        next: (i64::from(page_number) < pages).then(|| at(page_number + 1)),
        export_csv: query.export_href("csv"),
        export_json: query.export_href("json"),
        filter_fields: query.filter_fields(),
        answer_templates: super::answers::template_options(t, None),
        answer_statuses: super::answers::status_options(t, None),
    })
}
