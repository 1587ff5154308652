//! Statements written together: the inserts of one transaction, sent to the database in as few
//! round trips as it allows.
//!
//! Why: on SQLite every statement is a round trip to sqlx's worker thread (a wake-up of that
//! thread and of the task waiting for it), and those round trips, not SQLite's own work, were most
//! of the store's CPU (docs/BENCHMARKS.md, issue #9). SQLite runs several statements of one query
//! string in order, each binding the numbered placeholders (`$n`) it names from one argument
//! list, so a message's inserts go as one query there. PostgreSQL prepares one statement at a
//! time: there they go one by one, as before.
//!
//! A statement's text is written with its own `$1..$n`; [`Batch::push`] renumbers them past the
//! statements already in the batch. The texts are fixed strings of this crate, so the combined
//! text takes a handful of shapes (by how many rows of each kind) and stays in sqlx's statement
//! cache.

use anyhow::{Context as _, Result};

use super::Backend;

/// One bound value.
#[derive(Debug, Clone)]
pub(super) enum Val {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
    MaybeInt(Option<i64>),
}

impl From<&str> for Val {
    fn from(s: &str) -> Val {
        Val::Text(s.to_string())
    }
}

impl From<String> for Val {
    fn from(s: String) -> Val {
        Val::Text(s)
    }
}

impl From<&String> for Val {
    fn from(s: &String) -> Val {
        Val::Text(s.clone())
    }
}

impl From<Option<&str>> for Val {
    fn from(s: Option<&str>) -> Val {
        Val::MaybeText(s.map(str::to_string))
    }
}

impl From<i64> for Val {
    fn from(v: i64) -> Val {
        Val::Int(v)
    }
}

impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Val {
        Val::MaybeInt(v)
    }
}

/// Statements to run in order inside one transaction.
#[derive(Debug)]
pub(super) struct Batch {
    backend: Backend,
    /// `(sql, values)` per statement; on SQLite one entry holding them all.
    statements: Vec<(String, Vec<Val>)>,
}

impl Batch {
    pub(super) fn new(backend: Backend) -> Batch {
        Batch {
            backend,
            statements: Vec::new(),
        }
    }

    /// Statements run one at a time, on either database (a few rows inside a transaction that
    /// is not on the hot path).
    pub(super) fn one_by_one() -> Batch {
        Batch::new(Backend::Postgres)
    }

    /// Adds a statement whose placeholders are `$1..$n`, `n` = `values.len()`.
    pub(super) fn push(&mut self, sql: &str, values: Vec<Val>) {
        match (self.backend, self.statements.last_mut()) {
            (Backend::Sqlite, Some((text, args))) => {
                text.push_str(";\n");
                text.push_str(&renumber(sql, args.len()));
                args.extend(values);
            }
            _ => self.statements.push((sql.to_string(), values)),
        }
    }

    /// SQLite only: puts `before` and `after` (statements without values) around the batch, in
    /// the same query.
    pub(super) fn wrap(&mut self, before: &str, after: &str) {
        if let (Backend::Sqlite, Some((text, _))) = (self.backend, self.statements.first_mut()) {
            *text = format!("{before};\n{text};\n{after}");
        }
    }

    /// Runs the statements on `conn` (inside the caller's transaction); `what` names them in an
    /// error.
    pub(super) async fn execute(self, conn: &mut sqlx::AnyConnection, what: &'static str) -> Result<()> {
        for (sql, values) in self.statements {
            // Only crate-written statement texts with renumbered placeholders reach here; every
            // value is bound.
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for v in values {
                q = match v {
                    Val::Text(s) => q.bind(s),
                    Val::MaybeText(s) => q.bind(s),
                    Val::Int(i) => q.bind(i),
                    Val::MaybeInt(i) => q.bind(i),
                };
            }
            q.execute(&mut *conn).await.context(what)?;
        }
        Ok(())
    }
}

/// `sql` with each placeholder `$n` written `$(n + offset)`.
fn renumber(sql: &str, offset: usize) -> String {
    if offset == 0 {
        return sql.to_string();
    }
    renumber_with(sql, |n| n + offset)
}

/// `sql` with each placeholder `$n` written `$(to(n))`, in one pass (so a number written is
/// never mapped again).
pub(super) fn renumber_with(sql: &str, to: impl Fn(usize) -> usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        let (before, after) = rest.split_at(at);
        out.push_str(before);
        let digits = after
            .get(1..)
            .unwrap_or("")
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        match after.get(1..=digits).and_then(|d| d.parse::<usize>().ok()) {
            Some(n) if digits > 0 => {
                out.push('$');
                out.push_str(&to(n).to_string());
                rest = after.get(1 + digits..).unwrap_or("");
            }
            _ => {
                out.push('$');
                rest = after.get(1..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_renumbered_past_the_earlier_statements() {
        assert_eq!(
            renumber("VALUES ($1, $2, $2, $10)", 3),
            "VALUES ($4, $5, $5, $13)"
        );
        assert_eq!(renumber("VALUES ($1)", 0), "VALUES ($1)");
        assert_eq!(renumber("a $ b $x $", 2), "a $ b $x $");
        assert_eq!(
            renumber_with("($1, $2, $3, $1)", |n| [0, 3, 1, 2][n]),
            "($3, $1, $2, $3)"
        );
    }

    #[test]
    fn sqlite_statements_go_as_one_query_and_postgres_ones_apart() {
        let mut b = Batch::new(Backend::Sqlite);
        b.push("INSERT INTO t VALUES ($1, $2)", vec![1.into(), "a".into()]);
        b.push("INSERT INTO u VALUES ($1, $1)", vec![2.into()]);
        assert_eq!(b.statements.len(), 1);
        assert_eq!(
            b.statements[0].0,
            "INSERT INTO t VALUES ($1, $2);\nINSERT INTO u VALUES ($3, $3)"
        );
        assert_eq!(b.statements[0].1.len(), 3);
        let mut b = Batch::new(Backend::Postgres);
        b.push("INSERT INTO t VALUES ($1, $2)", vec![1.into(), "a".into()]);
        b.push("INSERT INTO u VALUES ($1, $1)", vec![2.into()]);
        assert_eq!(b.statements.len(), 2);
        assert_eq!(b.statements[1].0, "INSERT INTO u VALUES ($1, $1)");
    }

    /// Every statement of a SQLite batch runs, in order, with its own values; a failing one
    /// fails the whole query (and the caller's transaction rolls back what ran before it).
    #[tokio::test]
    async fn a_sqlite_batch_runs_every_statement_with_its_values() {
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect("sqlite::memory:")
            .await
            .expect("connect");
        sqlx::raw_sql("CREATE TABLE t (a BIGINT, b TEXT UNIQUE)")
            .execute(&mut conn)
            .await
            .expect("table");
        let mut b = Batch::new(Backend::Sqlite);
        b.push("INSERT INTO t VALUES ($1, $2)", vec![1.into(), "x".into()]);
        b.push(
            "INSERT INTO t VALUES ($1, $2)",
            vec![2.into(), Val::MaybeText(None)],
        );
        b.push("INSERT INTO t VALUES ($2, $1)", vec!["z".into(), 3.into()]);
        b.execute(&mut conn, "inserting").await.expect("batch");
        let rows: Vec<(i64, Option<String>)> = sqlx::query_as("SELECT a, b FROM t ORDER BY a")
            .fetch_all(&mut conn)
            .await
            .expect("rows");
        assert_eq!(
            rows,
            vec![(1, Some("x".into())), (2, None), (3, Some("z".into()))]
        );
        let mut b = Batch::new(Backend::Sqlite);
        b.push("INSERT INTO t VALUES ($1, $2)", vec![4.into(), "y".into()]);
        b.push("INSERT INTO t VALUES ($1, $2)", vec![5.into(), "x".into()]);
        let err = b.execute(&mut conn, "inserting").await.expect_err("duplicate b");
        assert!(format!("{err:#}").contains("UNIQUE"), "{err:#}");
    }
}
