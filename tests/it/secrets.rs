//! Secrets that must never reach a log line or `Debug` output (issue 23, item 6).

use applymail::config::DatabaseUrl;
use applymail::store::Store;

use crate::helpers::TestEnv;

/// sqlx's `PgConnectOptions` prints its password in `Debug`, and the store keeps a copy for
/// the mailbox lease's own connection. PostgreSQL's trust authentication accepts any
/// password, so the store really opens with one in its URL.
#[tokio::test]
async fn a_postgres_store_never_prints_its_password() {
    const SECRET: &str = "SOMESECRET-pg-3d1c";
    let env = TestEnv::on_postgres();
    let url = env.database_url();
    let (scheme, rest) = url.split_once("://").unwrap();
    let (userinfo, host) = rest
        .split_once('@')
        .expect("the test server's URL names a user");
    let user = userinfo.split(':').next().unwrap();
    let url = DatabaseUrl::new(format!("{scheme}://{user}:{SECRET}@{host}"));

    let store = Store::open(&url)
        .await
        .expect("trust auth takes any password");
    let debug = format!("{store:?}");
    assert!(!debug.contains(SECRET), "{debug}");
    assert!(debug.contains("Postgres"), "still says what it is: {debug}");
    let debug = format!("{store:#?}");
    assert!(!debug.contains(SECRET), "{debug}");
    store.close().await;
}
