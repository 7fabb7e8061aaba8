//! The database: one SQLite file by default, or PostgreSQL when `DATABASE_URL` says so.
//!
//! Every query is written once, in SQL that both engines accept, with `$1`-style
//! placeholders. The `fetch_*!` and `execute!` macros run that text on whichever pool or
//! transaction they are given. sqlx's `Any` driver is not used because it fails at run time on
//! BOOLEAN in SQLite.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A connection pool to one of the two supported engines.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so a transaction that
/// reads before it writes holds the write lock from the start instead of failing with
/// "database is locked" at its first write.
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// The target of a query: a pool or an open transaction. Built by [`IntoExec`].
pub enum Exec<'c> {
    SqlitePool(&'c SqlitePool),
    Sqlite(&'c mut sqlx::SqliteConnection),
    PostgresPool(&'c PgPool),
    Postgres(&'c mut sqlx::PgConnection),
}

pub trait IntoExec<'c> {
    fn into_exec(self) -> Exec<'c>;
}

impl<'c> IntoExec<'c> for &'c Db {
    fn into_exec(self) -> Exec<'c> {
        match self {
            Db::Sqlite(pool) => Exec::SqlitePool(pool),
            Db::Postgres(pool) => Exec::PostgresPool(pool),
        }
    }
}

impl<'c> IntoExec<'c> for &'c mut Tx {
    fn into_exec(self) -> Exec<'c> {
        match self {
            Tx::Sqlite(tx) => Exec::Sqlite(tx),
            Tx::Postgres(tx) => Exec::Postgres(tx),
        }
    }
}

/// An error that kept the database from opening or migrating.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("could not create the data folder {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("could not connect to the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("a database migration failed, so the server did not start: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

impl Db {
    /// Opens the PostgreSQL database at `url`, or the SQLite file `portal.sqlite3` in
    /// `data_dir` when `url` is `None`.
    pub async fn connect(url: Option<&str>, data_dir: &Path) -> Result<Db, OpenError> {
        match url {
            Some(url) => {
                let options = PgConnectOptions::from_str(url).map_err(OpenError::Connect)?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_with(options)
                    .await
                    .map_err(OpenError::Connect)?;
                Ok(Db::Postgres(pool))
            }
            None => {
                std::fs::create_dir_all(data_dir)
                    .map_err(|source| OpenError::DataDir { path: data_dir.display().to_string(), source })?;
                let options = SqliteConnectOptions::new()
                    .filename(data_dir.join("portal.sqlite3"))
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(5))
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(8)
                    .connect_with(options)
                    .await
                    .map_err(OpenError::Connect)?;
                Ok(Db::Sqlite(pool))
            }
        }
    }

    /// Applies the migrations that have not run yet.
    pub async fn migrate(&self) -> Result<(), OpenError> {
        match self {
            Db::Sqlite(pool) => MIGRATOR.run(pool).await,
            Db::Postgres(pool) => MIGRATOR.run(pool).await,
        }
        .map_err(OpenError::Migrate)
    }

    /// Starts a transaction for a change that reads before it writes.
    pub async fn begin(&self) -> Result<Tx, sqlx::Error> {
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Runs a trivial query, for the health check.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        let one: i64 = crate::fetch_scalar!(self, i64, "SELECT CAST(1 AS BIGINT)")?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        match self {
            Db::Sqlite(pool) => pool.close().await,
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
    }
}

/// Runs one query builder on whichever engine `$exec` uses. `$sqlite` and `$postgres` are the
/// SQL texts, which differ only where a row lock is requested.
#[doc(hidden)]
#[macro_export]
macro_rules! __db_run {
    ($exec:expr, $build:ident $(::<$row:ty>)?, $sqlite:expr, $postgres:expr, $method:ident $(, $arg:expr)*) => {{
        use $crate::infra::db::{Exec, IntoExec};
        match IntoExec::into_exec($exec) {
            Exec::SqlitePool(c) => sqlx::$build::<sqlx::Sqlite $(, $row)?>($sqlite)$(.bind($arg))*.$method(c).await,
            Exec::Sqlite(c) => sqlx::$build::<sqlx::Sqlite $(, $row)?>($sqlite)$(.bind($arg))*.$method(&mut *c).await,
            Exec::PostgresPool(c) => sqlx::$build::<sqlx::Postgres $(, $row)?>($postgres)$(.bind($arg))*.$method(c).await,
            Exec::Postgres(c) => sqlx::$build::<sqlx::Postgres $(, $row)?>($postgres)$(.bind($arg))*.$method(&mut *c).await,
        }
    }};
}

/// Fetches at most one row as `$row` (a `sqlx::FromRow` type). Write `for update "SELECT …"`
/// to lock the row on PostgreSQL; SQLite has no row locks and relies on `BEGIN IMMEDIATE`.
#[macro_export]
macro_rules! fetch_optional {
    ($exec:expr, $row:ty, for update $sql:literal $(, $arg:expr)* $(,)?) => {
        $crate::__db_run!($exec, query_as::<$row>, $sql, concat!($sql, " FOR UPDATE"), fetch_optional $(, $arg)*)
    };
    ($exec:expr, $row:ty, $sql:literal $(, $arg:expr)* $(,)?) => {
        $crate::__db_run!($exec, query_as::<$row>, $sql, $sql, fetch_optional $(, $arg)*)
    };
}

/// Fetches exactly one row as `$row`.
#[macro_export]
macro_rules! fetch_one {
    ($exec:expr, $row:ty, $sql:literal $(, $arg:expr)* $(,)?) => {
        $crate::__db_run!($exec, query_as::<$row>, $sql, $sql, fetch_one $(, $arg)*)
    };
}

/// Fetches every row as `$row`. `for update` locks the rows on PostgreSQL, as in
/// [`fetch_optional!`].
#[macro_export]
macro_rules! fetch_all {
    ($exec:expr, $row:ty, for update $sql:literal $(, $arg:expr)* $(,)?) => {
        $crate::__db_run!($exec, query_as::<$row>, $sql, concat!($sql, " FOR UPDATE"), fetch_all $(, $arg)*)
    };
    ($exec:expr, $row:ty, $sql:literal $(, $arg:expr)* $(,)?) => {
        $crate::__db_run!($exec, query_as::<$row>, $sql, $sql, fetch_all $(, $arg)*)
    };
}

/// Fetches the first column of exactly one row as `$ty`.
#[macro_export]
macro_rules! fetch_scalar {
    ($exec:expr, $ty:ty, $sql:literal $(, $arg:expr)* $(,)?) => {
        $crate::__db_run!($exec, query_scalar::<$ty>, $sql, $sql, fetch_one $(, $arg)*)
    };
}

/// Runs a statement and returns the number of rows it affected.
#[macro_export]
macro_rules! execute {
    ($exec:expr, $sql:literal $(, $arg:expr)* $(,)?) => {
        match $crate::infra::db::IntoExec::into_exec($exec) {
            $crate::infra::db::Exec::SqlitePool(c) => sqlx::query::<sqlx::Sqlite>($sql)$(.bind($arg))*.execute(c).await.map(|done| done.rows_affected()),
            $crate::infra::db::Exec::Sqlite(c) => sqlx::query::<sqlx::Sqlite>($sql)$(.bind($arg))*.execute(&mut *c).await.map(|done| done.rows_affected()),
            $crate::infra::db::Exec::PostgresPool(c) => sqlx::query::<sqlx::Postgres>($sql)$(.bind($arg))*.execute(c).await.map(|done| done.rows_affected()),
            $crate::infra::db::Exec::Postgres(c) => sqlx::query::<sqlx::Postgres>($sql)$(.bind($arg))*.execute(&mut *c).await.map(|done| done.rows_affected()),
        }
    };
}
