//! Statements prepared once per connection. A query given as text is two round trips to the
//! server (prepare, then run) and is prepared again every time; the relay's hot path runs the same
//! few statements thousands of times a minute, so on a pooled connection each is prepared on its
//! first use and kept ([`Statements`], one per connection), then run in one round trip.

use std::collections::HashMap;

use postgres::types::ToSql;
use postgres::{GenericClient, Row, Statement, Transaction};

/// The statements prepared on one connection, by their text (the code's own SQL: a fixed, small
/// set, so the cache needs no bound).
#[derive(Default)]
pub(crate) struct Statements(HashMap<&'static str, Statement>);

impl Statements {
    /// `sql` prepared on `client` (this connection, or a transaction on it) on its first use, then
    /// kept.
    pub(crate) fn prepared(
        &mut self,
        client: &mut impl GenericClient,
        sql: &'static str,
    ) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.0.get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        self.0.insert(sql, statement.clone());
        Ok(statement)
    }
}

/// Runs the code's own SQL (`&'static str`, never text built from input).
pub(crate) trait Sql {
    fn query(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, postgres::Error>;
    fn query_opt(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>, postgres::Error>;
    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, postgres::Error>;
}

/// Any client or transaction, each statement prepared as it runs.
impl<C: GenericClient> Sql for C {
    fn query(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, postgres::Error> {
        GenericClient::query(self, sql, params)
    }
    fn query_opt(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>, postgres::Error> {
        GenericClient::query_opt(self, sql, params)
    }
    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, postgres::Error> {
        GenericClient::execute(self, sql, params)
    }
}

/// A transaction whose statements are prepared once on its connection.
pub(crate) struct Prepared<'a, 't> {
    pub(crate) tx: &'a mut Transaction<'t>,
    statements: &'a mut Statements,
}

impl<'a, 't> Prepared<'a, 't> {
    pub(crate) fn new(tx: &'a mut Transaction<'t>, statements: &'a mut Statements) -> Self {
        Self { tx, statements }
    }

    fn statement(&mut self, sql: &'static str) -> Result<Statement, postgres::Error> {
        self.statements.prepared(self.tx, sql)
    }
}

impl Sql for Prepared<'_, '_> {
    fn query(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.tx.query(&statement, params)
    }
    fn query_opt(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Option<Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.tx.query_opt(&statement, params)
    }
    fn execute(&mut self, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64, postgres::Error> {
        let statement = self.statement(sql)?;
        self.tx.execute(&statement, params)
    }
}
