//! `reply`: answer candidates with a template, as the app does, for admins who script. One
//! application (`reply ID`), or every application of a posting in a status (`reply --posting
//! P --status S`, which says who it would write to with `--dry-run` and sends only with
//! `--yes`). The job is recorded in the database first, then sent by this process; a row it
//! could not send yet (a 4xx) is sent later by the daemon or `web`.

use std::process::ExitCode;

use anyhow::{Context, bail};
use chrono::NaiveDateTime;

use super::open_store;
use super::output::say;
use super::status::os_user;
use crate::config::Settings;
use crate::domain::answer::{AnswerRequest, AnswerText, Interview};
use crate::domain::invitation::Place;
use crate::domain::named::parse_named;
use crate::domain::reply_template::{ReplyTemplate, TemplateName};
use crate::domain::status::ApplicationStatus;
use crate::outbox::AnswerSender;
use crate::shutdown::Shutdown;
use crate::store::queries::Filter;

/// What `reply` was asked.
#[derive(Debug, Clone)]
pub struct ReplyArgs {
    pub id: Option<i64>,
    pub posting: Option<String>,
    pub status: Option<String>,
    pub template: String,
    pub set_status: Option<String>,
    pub interview_at: Option<String>,
    pub interview_minutes: i64,
    pub interview_place: Option<String>,
    pub dry_run: bool,
    pub yes: bool,
    pub by: Option<String>,
}

pub async fn reply(
    settings: &Settings,
    args: ReplyArgs,
    shutdown: Shutdown,
) -> anyhow::Result<ExitCode> {
    let template: TemplateName = args
        .template
        .parse()
        .ok()
        .with_context(|| format!("--template: `{}` is not a template; one of rejection_after_review, rejection_after_interview, missing_document, interview_invitation", args.template))?;
    let set_status: Option<ApplicationStatus> = args
        .set_status
        .as_deref()
        .map(parse_named)
        .transpose()
        .context("--set-status")?;
    let interview = interview(&args)?;
    let store = open_store(settings).await?;
    let stored = store
        .reply_template(template)
        .await?
        .with_context(|| format!("template {} is missing", template.as_str()))?;
    let text = ReplyTemplate::parse(&stored.subject, &stored.body)
        .map_err(|(part, e)| anyhow::anyhow!("template {}: {part:?}: {e}", template.as_str()))?;
    let request = AnswerRequest {
        template,
        text: AnswerText::Template(text),
        set_status,
        interview,
        author: args.by.clone().unwrap_or_else(os_user),
    };
    request
        .check(settings.organisation.timezone)
        .context("reply")?;
    let ids: Vec<i64> = match (args.id, &args.posting) {
        (Some(id), None) => vec![id],
        (None, Some(posting)) => {
            let status: ApplicationStatus = parse_named(
                args.status
                    .as_deref()
                    .context("--status: give the status of the applications to answer")?,
            )
            .context("--status")?;
            let rows = store
                .list(&Filter {
                    posting: Some(posting.clone()),
                    status: Some(status),
                    ..Filter::default()
                })
                .await?;
            for row in &rows {
                say(format_args!(
                    "{}\t{} {}\t{}",
                    row.id,
                    crate::domain::printable::printable(&row.first_name),
                    crate::domain::printable::printable(&row.last_name),
                    crate::domain::printable::printable(&row.email),
                ))?;
            }
            say(format_args!(
                "{} application(s) of {posting} in status {status}",
                rows.len()
            ))?;
            if args.dry_run {
                store.close().await;
                return Ok(ExitCode::SUCCESS);
            }
            if !args.yes {
                bail!("nothing sent: add --yes to send, or --dry-run to only list");
            }
            rows.into_iter().map(|r| r.id).collect()
        }
        _ => bail!("give an application id, or --posting and --status"),
    };
    let Some(sender) = AnswerSender::new(store.clone(), settings).context("[smtp]")? else {
        bail!("no SMTP server is configured ([smtp]) or no sender address: nothing can be sent");
    };
    if args.dry_run {
        say(format_args!("dry run: nothing recorded, nothing sent"))?;
        store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    if args.id.is_some() && store.application(ids[0]).await?.is_none() {
        bail!("no application with id {}", ids[0]);
    }
    let job = store
        .create_answer_job(&request, &ids, sender.sender().from.domain(), None)
        .await?;
    say(format_args!("job {job}: {} answer(s) to send", ids.len()))?;
    let sent = sender.send_due(Some(job), &shutdown).await;
    let progress = store.answer_job_progress(job).await?;
    for row in store.answer_job_rows(job).await? {
        if row.state != "sent" {
            say(format_args!(
                "application {}: {}{}",
                row.application_id,
                row.state,
                row.reason
                    .map(|r| format!(" ({})", crate::domain::printable::printable(&r)))
                    .unwrap_or_default()
            ))?;
        }
    }
    say(format_args!(
        "job {job}: {} sent, {} skipped, {} failed, {} uncertain, {} waiting",
        progress.sent,
        progress.skipped,
        progress.failed,
        progress.uncertain,
        progress.pending + progress.sending
    ))?;
    store.close().await;
    sent.context("sending")?;
    Ok(if progress.failed + progress.uncertain > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The interview's slot from `--interview-at "2027-01-12 14:30"` (the organisation's local
/// time), `--interview-minutes` and `--interview-place`.
fn interview(args: &ReplyArgs) -> anyhow::Result<Option<Interview>> {
    let (Some(at), Some(place)) = (&args.interview_at, &args.interview_place) else {
        if args.interview_at.is_some() || args.interview_place.is_some() {
            bail!("--interview-at and --interview-place go together");
        }
        return Ok(None);
    };
    let start = ["%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(at.trim(), f).ok())
        .context("--interview-at: write it as 2027-01-12 14:30")?;
    Ok(Some(Interview {
        start,
        minutes: args.interview_minutes,
        place: Place::parse(place).context("--interview-place")?,
    }))
}
