//! What one sender can make applymail store (issue 23, item 8): a megabyte subject once
//! stored a million-character last name.

use crate::helpers::{TestEnv, str_field};

#[tokio::test]
async fn a_megabyte_subject_stores_neither_a_megabyte_name_nor_subject() {
    let env = TestEnv::new();
    let name = "Dupont".repeat(175_000);
    let mail = format!(
        "From: Marie Dupont <marie.dupont@example.com>\r\n\
         To: contact@ong-exemple.org\r\n\
         Subject: Coordination Maroc – {name} Marie\r\n\
         Message-ID: <long@example.com>\r\n\
         Date: Fri, 02 Jul 2021 09:14:00 +0000\r\n\
         Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain\r\n\r\nBonjour.\r\n\
         --b\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename=\"CV.pdf\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n\
         --b--\r\n"
    );
    assert!(mail.len() > 1_000_000);
    let path = env.path("long.eml");
    std::fs::write(&path, mail).unwrap();
    env.run(&["import", path.to_str().unwrap()]);

    // Filed (the name is cut, the CV kept), and nothing stored is longer than its cap.
    let export = env.export();
    assert_eq!(export.len(), 1, "filed");
    for application in &export {
        for key in ["last_name", "first_name"] {
            let part = str_field(application, key);
            assert!(part.chars().count() <= 100, "{key}: {} chars", part.len());
        }
    }
    let pool = env.db().await;
    let subjects: Vec<(String,)> = sqlx::query_as("SELECT subject FROM messages")
        .fetch_all(&pool)
        .await
        .unwrap();
    for (subject,) in subjects {
        assert!(subject.chars().count() <= 1_000, "{} chars", subject.len());
    }
    let (candidates,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM candidates WHERE length(last_name) > 100 OR length(first_name) > 100",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(candidates, 0);
}
