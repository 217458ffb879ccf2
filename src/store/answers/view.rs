//! What the pages and `applymail reply` show of a job: its summary, its rows, its progress.

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use crate::store::{Store, StoreError, dispatch};

/// A job as its page shows it.
#[derive(Debug, Clone, FromRow)]
pub struct JobSummary {
    pub id: i64,
    pub template: String,
    pub set_status: Option<String>,
    pub total: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

/// One application of a job.
#[derive(Debug, Clone, FromRow)]
pub struct JobRow {
    pub answer_id: i64,
    pub application_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub state: String,
    pub reason: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// How far a job is: rows per state, and those gone with an erased candidate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub pending: i64,
    pub sending: i64,
    pub sent: i64,
    pub failed: i64,
    pub uncertain: i64,
    pub skipped: i64,
    pub erased: i64,
}

impl Progress {
    /// From the rows' count per state; what the job's `total` has more was erased since.
    fn from_counts<'a>(total: i64, counts: impl Iterator<Item = (&'a str, i64)>) -> Progress {
        let mut progress = Progress::default();
        let mut rows = 0;
        for (state, count) in counts {
            rows += count;
            let slot = match state {
                "pending" => &mut progress.pending,
                "sending" => &mut progress.sending,
                "sent" => &mut progress.sent,
                "failed" => &mut progress.failed,
                "uncertain" => &mut progress.uncertain,
                _ => &mut progress.skipped,
            };
            *slot += count;
        }
        progress.erased = (total - rows).max(0);
        progress
    }

    /// Nothing left to send (uncertain rows wait for a person).
    pub fn is_done(&self) -> bool {
        self.pending == 0 && self.sending == 0
    }
}

impl Store {
    pub async fn answer_job(&self, id: i64) -> Result<Option<JobSummary>, StoreError> {
        dispatch!(&self.pool, pool => {
            Ok(sqlx::query_as(
                "SELECT id, template, set_status, total, created_by, created_at FROM answer_jobs WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?)
        })
    }

    /// The latest jobs, newest first, each with its progress (one query for the counts of
    /// all of them).
    pub async fn answer_jobs(&self, limit: i64) -> Result<Vec<(JobSummary, Progress)>, StoreError> {
        let (jobs, counts): (Vec<JobSummary>, Vec<(i64, String, i64)>) = dispatch!(&self.pool, pool => {
            let jobs: Vec<JobSummary> = sqlx::query_as(
                "SELECT id, template, set_status, total, created_by, created_at FROM answer_jobs
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?;
            let oldest = jobs.last().map_or(i64::MAX, |j: &JobSummary| j.id);
            let counts = sqlx::query_as(
                "SELECT job_id, state, COUNT(*) FROM answers WHERE job_id >= $1 GROUP BY job_id, state",
            )
            .bind(oldest)
            .fetch_all(pool)
            .await?;
            (jobs, counts)
        });
        Ok(jobs
            .into_iter()
            .map(|job| {
                let of_job = counts
                    .iter()
                    .filter(|(id, ..)| *id == job.id)
                    .map(|(_, state, count)| (state.as_str(), *count));
                let progress = Progress::from_counts(job.total, of_job);
                (job, progress)
            })
            .collect())
    }

    /// A job's rows with their candidates, skipped and failed ones first.
    pub async fn answer_job_rows(&self, job: i64) -> Result<Vec<JobRow>, StoreError> {
        dispatch!(&self.pool, pool => {
            Ok(sqlx::query_as(
                "SELECT r.id AS answer_id, r.application_id, c.first_name, c.last_name, c.email,
                        r.state, r.reason, r.sent_at
                 FROM answers r
                 JOIN applications a ON a.id = r.application_id
                 JOIN candidates c ON c.id = a.candidate_id
                 WHERE r.job_id = $1
                 ORDER BY CASE r.state WHEN 'uncertain' THEN 0 WHEN 'failed' THEN 1 WHEN 'skipped' THEN 2
                          WHEN 'pending' THEN 3 WHEN 'sending' THEN 3 ELSE 4 END, c.last_name, c.first_name, r.id",
            )
            .bind(job)
            .fetch_all(pool)
            .await?)
        })
    }

    /// Rows per state; the rows of erased candidates are counted from the job's total.
    pub async fn answer_job_progress(&self, job: i64) -> Result<Progress, StoreError> {
        let (total, counts): (i64, Vec<(String, i64)>) = dispatch!(&self.pool, pool => {
            let total: Option<(i64,)> = sqlx::query_as("SELECT total FROM answer_jobs WHERE id = $1")
                .bind(job)
                .fetch_optional(pool)
                .await?;
            let counts = sqlx::query_as(
                "SELECT state, COUNT(*) FROM answers WHERE job_id = $1 GROUP BY state",
            )
            .bind(job)
            .fetch_all(pool)
            .await?;
            (total.map_or(0, |(t,)| t), counts)
        });
        Ok(Progress::from_counts(
            total,
            counts.iter().map(|(state, count)| (state.as_str(), *count)),
        ))
    }
}
