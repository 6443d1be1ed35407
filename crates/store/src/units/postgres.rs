//! The reference tables on PostgreSQL: one `UNNEST` insert per table, each
//! column one array parameter.

use sqlx::PgConnection;

use super::{Table, Values};
use crate::{Context, StoreError};

/// Writes the reference tables (emptied before), in order.
pub(super) async fn write_tables(
    conn: &mut PgConnection,
    tables: &[Table<'_>],
) -> Result<(), StoreError> {
    for table in tables {
        let arrays: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, column)| format!("${}::{}[]", i + 1, array_type(&column.values)))
            .collect();
        let sql = format!(
            "INSERT INTO {} ({}) SELECT * FROM UNNEST({})",
            table.name,
            table.column_list(),
            arrays.join(", ")
        );
        let mut insert = sqlx::query(&sql);
        for column in &table.columns {
            insert = match &column.values {
                Values::Text(v) => insert.bind(v),
                Values::Real(v) => insert.bind(v),
                Values::MaybeReal(v) => insert.bind(v),
                Values::Flag(v) => insert.bind(v),
            };
        }
        insert
            .execute(&mut *conn)
            .await
            .with_context(|| format!("writing {}", table.what))?;
    }
    Ok(())
}

/// The SQL type of a column's values.
fn array_type(values: &Values<'_>) -> &'static str {
    match values {
        Values::Text(_) => "text",
        Values::Real(_) | Values::MaybeReal(_) => "float8",
        Values::Flag(_) => "bool",
    }
}
