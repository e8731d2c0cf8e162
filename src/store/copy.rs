//! PostgreSQL's full reads of the big tables: `COPY (SELECT …) TO STDOUT (FORMAT binary)`
//! on a connection of its own, in the snapshot of the caller's read transaction, each
//! value taken by position from the binary tuples as they come — for the analytics'
//! full build ([`read_postgres`]) and the API's read snapshot ([`read_graph`]).
//!
//! Through sea-orm every row of a `SELECT` became a driver row (its own allocations, an
//! `Arc` of column metadata), then values by index with type checks, and every
//! progress month's code a `String`: at 1,000,000 projects the read took 8.1–8.2 s of a
//! 10.3–11.4 s build, the server mostly waiting for the client (BENCHMARKS.md). Binary
//! COPY sends each row as one message of length-prefixed values that are read here
//! in place; a month's project is found by the bytes of its code.

use chrono::NaiveDate;
use entities::project;
use futures_util::TryStreamExt;
use sea_orm::sqlx::{AssertSqlSafe, ConnectOptions, Connection, PgConnection};
use sea_orm::{DatabaseConnection, DbErr};

use super::bulk::{
    self, ByPosition, ENGAGEMENT_COLUMNS, FULL_PROJECT_COLUMNS, Graph, INCENTIVE_COLUMNS, INVESTOR_COLUMNS, Interned,
    KEY_PROJECTS, Month, PROGRESS_COLUMNS, PROJECT_COLUMNS, Tables, WorkTables,
};

/// The most columns a copied row may have (a whole project has 34).
const MAX_COLUMNS: usize = 40;

/// How many messages (rows) a copy takes before it lets other tasks run (and, paced,
/// pauses).
const YIELD_EVERY: u32 = 4_096;

/// The share of the time a copy may spend copying: all of it for a read something waits
/// for, less for one that nothing waits for (see [`Pace::BACKGROUND`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pace(f64);

impl Pace {
    /// Copies without pause: the analytics' full build, which the first figures wait for.
    pub const FULL: Pace = Pace(1.0);
    /// Copies a third of the time and pauses the rest: the API's read snapshot, which no
    /// read waits for (the graph reads SQL until it comes). A pause pauses PostgreSQL's
    /// backend too, once the socket's buffer is full. At 1,000,000 projects on two cores
    /// a snapshot copied without pause held the other server's frame updates for up to
    /// 3.4 s (BENCHMARKS.md, issue 14).
    pub const BACKGROUND: Pace = Pace(1.0 / 3.0);

    /// How long to pause after `worked`.
    fn pause_after(self, worked: std::time::Duration) -> Option<std::time::Duration> {
        (self.0 < 1.0).then(|| worked.mul_f64((1.0 - self.0) / self.0))
    }
}

/// The start of every binary COPY stream.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// 2000-01-01, PostgreSQL's day 0, as days from 0001-01-01 (chrono's common era).
const PG_EPOCH_FROM_CE: i32 = 730_120;

/// What [`read_postgres`] reads: the frames' big tables and the promotion's key projects.
pub struct PostgresTables {
    /// Projects (the frames' columns) and their progress months.
    pub tables: Tables,
    /// Investors, engagements and incentives, whole.
    pub work: WorkTables,
    /// The key projects marked public, whole, in code order.
    pub key_projects: Vec<project::Model>,
}

/// A read transaction on a PostgreSQL connection of its own (never the pool's: a copy
/// stopped half-way leaves its connection unusable, and this one is then dropped) that
/// takes an exported snapshot (`pg_export_snapshot()` of the caller's read transaction,
/// still open): it sees the same state as that transaction, value for value.
pub struct SnapshotReader {
    conn: PgConnection,
    pace: Pace,
}

impl SnapshotReader {
    /// Opens the reader of `db`'s database in `snapshot`, copying at `pace`.
    pub async fn open(db: &DatabaseConnection, snapshot: &str, pace: Pace) -> Result<SnapshotReader, DbErr> {
        // An exported snapshot's name is hex digits and dashes; anything else is not one.
        if snapshot.is_empty() || !snapshot.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
            return Err(DbErr::Custom(format!("not a snapshot name: {snapshot:?}")));
        }
        let options = db.get_postgres_connection_pool().connect_options();
        let mut conn = options.connect().await.map_err(failed)?;
        // Statements of this connection alone, which no pool will ever reuse: a
        // transaction begun by hand is not left open for anyone else.
        let begin = format!("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET TRANSACTION SNAPSHOT '{snapshot}'");
        sea_orm::sqlx::raw_sql(AssertSqlSafe(begin)).execute(&mut conn).await.map_err(failed)?;
        Ok(SnapshotReader { conn, pace })
    }

    /// The rows of `table` (its `columns`, those meeting `condition`) by binary COPY, each
    /// taken by `of` as it comes.
    pub async fn rows<T>(
        &mut self,
        columns: &str,
        table: &str,
        condition: &str,
        mut of: impl FnMut(&CopyRow) -> Result<T, DbErr>,
    ) -> Result<Vec<T>, DbErr> {
        let width = columns.split(',').count();
        let sql = format!("COPY (SELECT {columns} FROM {table} WHERE {condition}) TO STDOUT (FORMAT binary)");
        let mut stream = self.conn.copy_out_raw(&sql).await.map_err(failed)?;
        let mut parser = Parser { width, state: State::Header };
        let mut all = Vec::new();
        let mut take = |row: &CopyRow| -> Result<(), DbErr> {
            all.push(of(row)?);
            Ok(())
        };
        // PostgreSQL sends a row per message; a row split across messages waits here.
        let mut pending: Vec<u8> = Vec::new();
        let mut messages = 0u32;
        let mut working = std::time::Instant::now();
        while let Some(chunk) = stream.try_next().await.map_err(failed)? {
            // The driver hands over buffered messages without waiting, so millions of rows
            // would hold this thread, which answers requests too, for seconds: let the
            // other tasks in now and then.
            messages = messages.wrapping_add(1);
            if messages.is_multiple_of(YIELD_EVERY) {
                match self.pace.pause_after(working.elapsed()) {
                    Some(pause) => tokio::time::sleep(pause).await,
                    None => tokio::task::yield_now().await,
                }
                working = std::time::Instant::now();
            }
            if pending.is_empty() {
                let used = parser.rows(&chunk, &mut take)?;
                pending.extend_from_slice(&chunk[used..]);
            } else {
                pending.extend_from_slice(&chunk);
                let used = parser.rows(&pending, &mut take)?;
                pending.drain(..used);
            }
        }
        if !matches!(parser.state, State::Done) || !pending.is_empty() {
            return Err(DbErr::Custom(format!("the copy of {table} ended early")));
        }
        Ok(all)
    }

    /// Ends the transaction and closes the connection.
    pub async fn close(mut self) -> Result<(), DbErr> {
        sea_orm::sqlx::raw_sql("COMMIT").execute(&mut self.conn).await.map_err(failed)?;
        self.conn.close().await.map_err(failed)
    }
}

/// Reads every project (the frames' columns), progress month, investor, engagement and
/// incentive and the public key projects of the PostgreSQL database of `db` in
/// `snapshot` ([`SnapshotReader`]).
///
/// Two readers side by side, each a task (so that both cores decode while two backends
/// send): the projects, then the work sheets on one; the progress months, then the key
/// projects on the other, the months read before their projects are known (each
/// distinct code kept once, as [`bulk::read_sqlite`] does) and placed by position
/// afterwards. One after the other on one connection, a backend and the decoding of its
/// rows left a core partly idle. A reader whose other side fails, or whose caller stops
/// waiting, is stopped with it (its connection closed).
pub async fn read_postgres(db: &DatabaseConnection, snapshot: &str) -> Result<PostgresTables, DbErr> {
    let (first, second) = (db.clone(), db.clone());
    let (snapshot_first, snapshot_second) = (snapshot.to_string(), snapshot.to_string());
    let projects = Aborting(tokio::spawn(async move {
        let mut reader = SnapshotReader::open(&first, &snapshot_first, Pace::FULL).await?;
        let projects = reader.rows(PROJECT_COLUMNS, "projects", "TRUE", |row| bulk::project_of(row)).await?;
        // Sorted by code off the async threads, which answer requests too (a million
        // rows of some hundred bytes each), while this connection copies the work sheets.
        let sorted = crate::background::run(move || bulk::by_code(projects));
        let work = WorkTables {
            investors: reader.rows(INVESTOR_COLUMNS, "investors", "TRUE", |row| bulk::investor_of(row)).await?,
            engagements: reader.rows(ENGAGEMENT_COLUMNS, "engagements", "TRUE", |row| bulk::engagement_of(row)).await?,
            incentives: reader.rows(INCENTIVE_COLUMNS, "incentives", "TRUE", |row| bulk::incentive_of(row)).await?,
        };
        reader.close().await?;
        let projects = sorted.await.map_err(failed)?;
        Ok::<_, DbErr>((projects, work))
    }));
    let progress = Aborting(tokio::spawn(async move {
        let mut reader = SnapshotReader::open(&second, &snapshot_second, Pace::FULL).await?;
        let mut codes = Interned::default();
        let months = reader
            .rows(PROGRESS_COLUMNS, "progress", "TRUE", |row| {
                let code = row.field(0)?.ok_or_else(|| row.missing(0))?;
                Ok(Month { project: codes.id(code), ..bulk::month_of(row)? })
            })
            .await?;
        // A scan of every project for a few whole rows, on this side, which balances the
        // two (PostgreSQL's log at 1,000,000, one table after another: projects 3.1 s,
        // the work sheets 2 s; progress 3.9 s, the key projects 1.2 s).
        let key_projects =
            reader.rows(FULL_PROJECT_COLUMNS, "projects", KEY_PROJECTS, |row| bulk::full_project_of(row)).await?;
        reader.close().await?;
        Ok::<_, DbErr>((codes, months, bulk::by_code(key_projects)))
    }));
    // The first failure returns at once, dropping (so stopping) the other reader.
    let ((projects, work), (codes, months, key_projects)) =
        tokio::try_join!(async { projects.await.map_err(failed)? }, async { progress.await.map_err(failed)? })?;
    let progress = codes.placed(months, &projects);
    Ok(PostgresTables { tables: Tables { projects, progress }, work, key_projects })
}

/// A spawned task that is stopped when its handle is dropped (tokio's would run on).
struct Aborting<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for Aborting<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<T> std::future::Future for Aborting<T> {
    type Output = Result<T, tokio::task::JoinError>;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Self::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

/// Every project, whole, and every progress month of `db`'s database in `snapshot`
/// ([`SnapshotReader`]), in the tables' order, at [`Pace::BACKGROUND`]: the API's read
/// snapshot of the graph.
pub async fn read_graph(db: &DatabaseConnection, snapshot: &str) -> Result<Graph, DbErr> {
    let mut reader = SnapshotReader::open(db, snapshot, Pace::BACKGROUND).await?;
    let projects = reader.rows(FULL_PROJECT_COLUMNS, "projects", "TRUE", |row| bulk::full_project_of(row)).await?;
    let progress = reader.rows(PROGRESS_COLUMNS, "progress", "TRUE", |row| bulk::progress_of(row)).await?;
    reader.close().await?;
    Ok(Graph { projects, progress })
}

/// The exported snapshot of the read transaction `txn` (REPEATABLE READ), for a
/// [`SnapshotReader`] to read in while `txn` stays open.
pub async fn export_snapshot(txn: &impl sea_orm::ConnectionTrait) -> Result<String, DbErr> {
    let sql = "SELECT pg_export_snapshot() AS snapshot";
    let rows = txn.query_all_raw(sea_orm::Statement::from_string(txn.get_database_backend(), sql)).await?;
    rows.first().ok_or_else(|| DbErr::Custom("no snapshot exported".into()))?.try_get("", "snapshot")
}

/// A failure of the driver, of a reading task or of background work, as an error of the
/// read.
fn failed(e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("PostgreSQL bulk read: {e}"))
}

/// Where a binary COPY stream is.
enum State {
    Header,
    Rows,
    Done,
}

/// Reads binary COPY tuples of `width` values.
struct Parser {
    width: usize,
    state: State,
}

impl Parser {
    /// Takes every whole tuple at the start of `data` to `take` and returns how many
    /// bytes it used (a tuple cut short is left for more data).
    fn rows(&mut self, data: &[u8], take: &mut dyn FnMut(&CopyRow) -> Result<(), DbErr>) -> Result<usize, DbErr> {
        let bad = |what: &str| DbErr::Custom(format!("a binary COPY stream with {what}"));
        let mut at = 0;
        if matches!(self.state, State::Header) {
            let Some(extension) = data.get(15..19) else { return Ok(0) };
            if &data[..11] != SIGNATURE {
                return Err(bad("no signature"));
            }
            let length = usize::try_from(be_i32(extension)).map_err(|_| bad("a negative header length"))?;
            if data.len() < 19 + length {
                return Ok(0);
            }
            at = 19 + length;
            self.state = State::Rows;
        }
        let mut row = CopyRow { fields: [None; MAX_COLUMNS], width: self.width };
        while matches!(self.state, State::Rows) {
            let Some(count) = data.get(at..at + 2) else { break };
            let count = i16::from_be_bytes([count[0], count[1]]);
            if count == -1 {
                at += 2;
                self.state = State::Done;
                break;
            }
            if usize::try_from(count).ok() != Some(self.width) || self.width > MAX_COLUMNS {
                return Err(bad(&format!("{count} values in a row of {}", self.width)));
            }
            let mut next = at + 2;
            let mut whole = true;
            for field in row.fields.iter_mut().take(self.width) {
                let Some(length) = data.get(next..next + 4) else {
                    whole = false;
                    break;
                };
                next += 4;
                let length = be_i32(length);
                *field = if length < 0 {
                    None
                } else {
                    let end = next + length as usize;
                    let Some(value) = data.get(next..end) else {
                        whole = false;
                        break;
                    };
                    next = end;
                    Some(value)
                };
            }
            if !whole {
                break;
            }
            take(&row)?;
            at = next;
        }
        if matches!(self.state, State::Done) && at != data.len() {
            return Err(bad("data after its end"));
        }
        Ok(at)
    }
}

fn be_i32(bytes: &[u8]) -> i32 {
    i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// One binary COPY tuple: its values' bytes (PostgreSQL's binary forms), NULL as `None`.
pub struct CopyRow<'a> {
    fields: [Option<&'a [u8]>; MAX_COLUMNS],
    width: usize,
}

impl<'a> CopyRow<'a> {
    /// The bytes of value `i`, or NULL.
    pub fn field(&self, i: usize) -> Result<Option<&'a [u8]>, DbErr> {
        if i >= self.width {
            return Err(DbErr::Custom(format!("no column {i} in a row of {}", self.width)));
        }
        Ok(self.fields[i])
    }

    /// The bytes of value `i`, which must be one of `widths` long (a `kind` of that width).
    fn sized(&self, i: usize, kind: &str, widths: &[usize]) -> Result<Option<&'a [u8]>, DbErr> {
        match self.field(i)? {
            Some(bytes) if !widths.contains(&bytes.len()) => {
                Err(DbErr::Custom(format!("column {i}: {} bytes are not a {kind}", bytes.len())))
            }
            value => Ok(value),
        }
    }
}

impl ByPosition for CopyRow<'_> {
    type Error = DbErr;
    fn text(&self, i: usize) -> Result<Option<String>, DbErr> {
        let Some(bytes) = self.field(i)? else { return Ok(None) };
        let text = std::str::from_utf8(bytes).map_err(|e| DbErr::Custom(format!("column {i}: {e}")))?;
        Ok(Some(text.to_owned()))
    }
    /// `date`: days from 2000-01-01 (±infinity is no day).
    fn day(&self, i: usize) -> Result<Option<NaiveDate>, DbErr> {
        let Some(bytes) = self.sized(i, "date", &[4])? else { return Ok(None) };
        let days = be_i32(bytes).checked_add(PG_EPOCH_FROM_CE);
        let day = days.and_then(NaiveDate::from_num_days_from_ce_opt);
        day.map(Some).ok_or_else(|| DbErr::Custom(format!("column {i}: not a calendar day")))
    }
    /// `smallint`, `integer` or `bigint`.
    fn int(&self, i: usize) -> Result<Option<i64>, DbErr> {
        let Some(b) = self.sized(i, "integer", &[2, 4, 8])? else { return Ok(None) };
        Ok(Some(match b.len() {
            2 => i64::from(i16::from_be_bytes([b[0], b[1]])),
            4 => i64::from(be_i32(b)),
            _ => i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }))
    }
    /// `real` or `double precision`.
    fn real(&self, i: usize) -> Result<Option<f64>, DbErr> {
        let Some(b) = self.sized(i, "floating-point number", &[4, 8])? else { return Ok(None) };
        Ok(Some(match b.len() {
            4 => f64::from(f32::from_be_bytes([b[0], b[1], b[2], b[3]])),
            _ => f64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
        }))
    }
    fn flag(&self, i: usize) -> Result<bool, DbErr> {
        let bytes = self.sized(i, "boolean", &[1])?.ok_or_else(|| self.missing(i))?;
        Ok(bytes[0] != 0)
    }
    fn missing(&self, i: usize) -> DbErr {
        DbErr::Custom(format!("column {i} is NULL"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paced_copy_pauses_twice_as_long_as_it_worked_and_a_full_one_never() {
        let worked = std::time::Duration::from_millis(30);
        assert_eq!(Pace::FULL.pause_after(worked), None);
        let pause = Pace::BACKGROUND.pause_after(worked).unwrap();
        assert!((pause.as_secs_f64() - 0.060).abs() < 1e-9, "{pause:?}");
    }

    /// A binary COPY stream of `rows` (each value's bytes, NULL as `None`).
    fn stream(rows: &[Vec<Option<&[u8]>>]) -> Vec<u8> {
        let mut out = SIGNATURE.to_vec();
        out.extend_from_slice(&0i32.to_be_bytes());
        out.extend_from_slice(&0i32.to_be_bytes());
        for row in rows {
            out.extend_from_slice(&(row.len() as i16).to_be_bytes());
            for value in row {
                match value {
                    None => out.extend_from_slice(&(-1i32).to_be_bytes()),
                    Some(v) => {
                        out.extend_from_slice(&(v.len() as i32).to_be_bytes());
                        out.extend_from_slice(v);
                    }
                }
            }
        }
        out.extend_from_slice(&(-1i16).to_be_bytes());
        out
    }

    /// A parsed row of the tests: its text and its integer.
    type Parsed = (Option<String>, Option<i64>);

    fn parse_in_pieces(data: &[u8], piece: usize, width: usize) -> Result<Vec<Parsed>, DbErr> {
        let mut parser = Parser { width, state: State::Header };
        let mut got = Vec::new();
        let mut pending = Vec::new();
        for chunk in data.chunks(piece) {
            pending.extend_from_slice(chunk);
            let used = parser.rows(&pending, &mut |row| {
                got.push((row.text(0)?, row.int(1)?));
                Ok(())
            })?;
            pending.drain(..used);
        }
        assert!(matches!(parser.state, State::Done) && pending.is_empty(), "read to its end");
        Ok(got)
    }

    #[test]
    fn tuples_are_read_whole_however_the_stream_is_cut() {
        let seven = 7i64.to_be_bytes();
        let minus = (-3i32).to_be_bytes();
        let rows =
            vec![vec![Some(&b"ZS01"[..]), Some(&seven[..])], vec![None, Some(&minus[..])], vec![Some(&b""[..]), None]];
        let data = stream(&rows);
        let want = vec![(Some("ZS01".to_string()), Some(7)), (None, Some(-3)), (Some(String::new()), None)];
        for piece in [1, 2, 3, 5, 19, 20, data.len()] {
            assert_eq!(parse_in_pieces(&data, piece, 2).unwrap(), want, "pieces of {piece} bytes");
        }
        // A row of another width, a bad signature, bytes after the end: errors.
        assert!(parse_in_pieces(&data, data.len(), 3).is_err());
        let mut bad = data.clone();
        bad[0] = b'X';
        assert!(parse_in_pieces(&bad, bad.len(), 2).is_err());
        let mut long = data.clone();
        long.push(0);
        assert!(Parser { width: 2, state: State::Header }.rows(&long, &mut |_| Ok(())).is_err());
    }

    #[test]
    fn values_are_read_in_postgres_binary_forms() {
        let day = (9_190i32).to_be_bytes(); // 2025-02-28 is day 9,190 from 2000-01-01
        let small = 12i16.to_be_bytes();
        let real = 2.5f64.to_be_bytes();
        let fields: [Option<&[u8]>; 5] = [Some(&day), Some(&small), Some(&real), Some(&[1]), Some(&[0xff, 0xfe])];
        let mut row = CopyRow { fields: [None; MAX_COLUMNS], width: 5 };
        row.fields[..5].copy_from_slice(&fields);
        assert_eq!(
            NaiveDate::from_ymd_opt(2000, 1, 1).map(|d| chrono::Datelike::num_days_from_ce(&d)),
            Some(PG_EPOCH_FROM_CE)
        );
        assert_eq!(row.day(0).unwrap(), NaiveDate::from_ymd_opt(2025, 2, 28));
        assert_eq!(row.int(1).unwrap(), Some(12));
        assert_eq!(row.real(2).unwrap(), Some(2.5));
        assert!(row.flag(3).unwrap());
        // Not UTF-8, a day of the wrong width, a column past the row: errors, no panic.
        assert!(row.text(4).is_err());
        assert!(row.day(1).is_err());
        assert!(row.int(5).is_err());
    }
}
