//! Recruiters' notes on an application and their ratings (1 to 5 stars, one per recruiter),
//! the two ways a posting is reviewed together.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::sql::rows_in;
use super::{BeginWrite, Store, StoreError, dispatch};

/// The longest note kept, in characters: a paragraph or two, not a document.
pub const MAX_NOTE_CHARS: usize = 4000;

#[derive(Debug, Clone, FromRow)]
pub struct Note {
    pub author: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// The ratings of one application: their average and count, and the reader's own.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Ratings {
    pub average: Option<f64>,
    pub count: i64,
    pub mine: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum NoteError {
    #[error("no application with id {0}")]
    NotFound(i64),
    #[error("a rating is from 1 to 5 stars, not {0}")]
    Stars(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for NoteError {
    fn from(err: sqlx::Error) -> Self {
        NoteError::Store(err.into())
    }
}

impl Store {
    /// Adds a note (cut to [`MAX_NOTE_CHARS`]); `author` is the account's name as it is now.
    pub async fn add_note(
        &self,
        application_id: i64,
        author_id: i64,
        author: &str,
        body: &str,
    ) -> Result<(), NoteError> {
        let body: String = body.trim().chars().take(MAX_NOTE_CHARS).collect();
        let inserted = dispatch!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "INSERT INTO application_notes (application_id, author, author_id, body, created_at)
                 SELECT id, $2, $3, $4, $5 FROM applications WHERE id = $1",
            )
            .bind(application_id)
            .bind(author)
            .bind(author_id)
            .bind(&body)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            done
        });
        if inserted == 0 {
            return Err(NoteError::NotFound(application_id));
        }
        Ok(())
    }

    /// An application's notes, oldest first.
    pub async fn notes(&self, application_id: i64) -> Result<Vec<Note>, StoreError> {
        Ok(dispatch!(&self.pool, pool => {
            sqlx::query_as(
                "SELECT author, body, created_at FROM application_notes
                 WHERE application_id = $1 ORDER BY created_at, id",
            )
            .bind(application_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Sets (or changes) a recruiter's rating of an application.
    pub async fn rate(
        &self,
        application_id: i64,
        user_id: i64,
        stars: i64,
    ) -> Result<(), NoteError> {
        if !(1..=5).contains(&stars) {
            return Err(NoteError::Stars(stars));
        }
        let rated = dispatch!(&self.pool, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "INSERT INTO application_ratings (application_id, user_id, stars, rated_at)
                 SELECT id, $2, $3, $4 FROM applications WHERE id = $1
                 ON CONFLICT (application_id, user_id) DO UPDATE SET stars = excluded.stars, rated_at = excluded.rated_at",
            )
            .bind(application_id)
            .bind(user_id)
            .bind(stars as i32)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE applications SET rating_average =
                   (SELECT coalesce(avg(stars), 0) FROM application_ratings WHERE application_id = $1)
                 WHERE id = $1",
            )
            .bind(application_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            done
        });
        if rated == 0 {
            return Err(NoteError::NotFound(application_id));
        }
        Ok(())
    }

    /// The ratings of one application, with `user_id`'s own.
    pub async fn ratings(&self, application_id: i64, user_id: i64) -> Result<Ratings, StoreError> {
        let rows: Vec<(i64, i32)> = dispatch!(&self.pool, pool => {
            sqlx::query_as("SELECT user_id, stars FROM application_ratings WHERE application_id = $1")
                .bind(application_id)
                .fetch_all(pool)
                .await?
        });
        let count = rows.len() as i64;
        Ok(Ratings {
            average: (count > 0)
                .then(|| rows.iter().map(|(_, s)| f64::from(*s)).sum::<f64>() / count as f64),
            count,
            mine: rows
                .iter()
                .find(|(user, _)| *user == user_id)
                .map(|(_, s)| i64::from(*s)),
        })
    }

    /// The average and count of the ratings of these applications (those rated only).
    pub async fn rating_summaries(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, (f64, i64)>, StoreError> {
        let mut tx = self.pool.begin_read().await?;
        let rows: Vec<(i64, i32)> = rows_in(
            &mut tx,
            "SELECT application_id, stars FROM application_ratings WHERE application_id IN ",
            ids,
            "",
        )
        .await?;
        tx.commit().await?;
        let mut sums: HashMap<i64, (f64, i64)> = HashMap::new();
        for (id, stars) in rows {
            let entry = sums.entry(id).or_default();
            entry.0 += f64::from(stars);
            entry.1 += 1;
        }
        Ok(sums
            .into_iter()
            .map(|(id, (sum, n))| (id, (sum / n as f64, n)))
            .collect())
    }
}
