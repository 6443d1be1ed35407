//! The reference tables on SQLite: multi-row inserts.

use sqlx::SqliteConnection;
use sqlx::query_builder::Separated;

use super::{Table, Values};
use crate::StoreError;
use crate::sqlite::{failed, insert_chunked};

/// Rows per multi-row INSERT (at most 9 columns: 4,500 parameters, well
/// under SQLite's limit of 32,766).
const BATCH_ROWS: usize = 500;

/// Writes the reference tables (emptied before), in order.
pub(super) async fn write_tables(
    conn: &mut SqliteConnection,
    tables: &[Table<'_>],
) -> Result<(), StoreError> {
    for table in tables {
        let head = format!("INSERT INTO {} ({}) ", table.name, table.column_list());
        let rows: Vec<usize> = (0..table.len()).collect();
        insert_chunked(
            conn,
            table.what,
            &head,
            &rows,
            BATCH_ROWS,
            failed,
            |b, row| {
                for column in &table.columns {
                    push(b, &column.values, *row);
                }
            },
        )
        .await?;
    }
    Ok(())
}

/// Binds a column's value in `row` (a row past the column's end binds
/// NULL, which the table refuses).
fn push<'q>(
    b: &mut Separated<'_, 'q, sqlx::Sqlite, &'static str>,
    values: &Values<'q>,
    row: usize,
) {
    match values {
        Values::Text(v) => b.push_bind(v.get(row).copied()),
        Values::Real(v) => b.push_bind(v.get(row).copied()),
        Values::MaybeReal(v) => b.push_bind(v.get(row).copied().flatten()),
        Values::Flag(v) => b.push_bind(v.get(row).copied()),
    };
}
