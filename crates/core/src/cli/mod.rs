//! Command-line definitions (clap) and dispatch. Each subcommand is a few lines over the store;
//! printing lives in `output`, error reporting (field errors in zh-CN and en) in `report`.

mod commands;
mod dispute;
mod import;
mod import_source;
mod output;
mod report;
mod sync_cmd;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "gridmate",
    version,
    about = "GridMate offline record store (网格随行)"
)]
pub struct Cli {
    /// Data folder; each account's store is DIR/accounts/ACCOUNT/gridmate.db.
    #[arg(
        long,
        env = "GRIDMATE_DATA",
        global = true,
        default_value = ".gridmate-data"
    )]
    pub data: PathBuf,
    /// Account (the user whose name goes into created_by).
    #[arg(long, env = "GRIDMATE_ACCOUNT", global = true, default_value = "local")]
    pub account: String,
    /// Print results and errors as JSON.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Add a record from JSON (a file, or - / nothing for stdin); prints the new id.
    Add { file: Option<PathBuf> },
    /// Edit a record with a JSON merge patch (a file, or - / nothing for stdin).
    Edit { id: String, patch: Option<PathBuf> },
    /// List records, newest first.
    List(ListArgs),
    /// Show one record (JSON); a dispute's workflow timeline follows (not with --json).
    Show { id: String },
    /// Take a workflow action on a dispute as the signed-in user (`actions` lists those allowed
    /// now): accept, not_accept, assign, start, log, resolve, return, escalate, supervise,
    /// follow_up, evaluate, close. DETAILS is the action's JSON (`-` for stdin), e.g.
    /// '{"assignee_user":"li.na","due_at":"2026-12-10T18:00:00+08:00"}'.
    Dispute {
        /// The action, or `actions`.
        action: String,
        id: String,
        details: Option<String>,
    },
    /// The disputes waiting for the signed-in user, overdue first.
    Tasks,
    /// Who changed which field when.
    History { id: String },
    /// Soft-delete a record (it stays so that the delete can sync).
    Delete { id: String },
    /// Full-text search over the Chinese free text.
    Search {
        query: String,
        #[arg(long)]
        kind: Option<KindArg>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Write the record's Automerge document (standard binary format) to a file.
    ExportDoc {
        id: String,
        #[arg(long)]
        out: PathBuf,
    },
    /// Read every document; quarantine and list those that cannot be read.
    Check,
    /// Sign in to a sync server (password from a prompt, or stdin with --password-stdin).
    Login {
        #[arg(long, env = "GRIDMATE_SERVER")]
        server: String,
        #[arg(long)]
        user: String,
        #[arg(long)]
        password_stdin: bool,
        /// Allow plain HTTP to a non-loopback address (only on a network you trust).
        #[arg(long)]
        allow_insecure: bool,
        /// Also trust this CA certificate (PEM file): a server whose certificate a private CA
        /// signed. Kept for every later sync.
        #[arg(long, value_name = "FILE")]
        ca_cert: Option<std::path::PathBuf>,
        #[arg(long, default_value = "gridmate-cli")]
        device_name: String,
    },
    /// Push what is pending, pull what is new; prints what was pushed, pulled and rejected.
    Sync,
    /// Records pending, rejected and quarantined; the server this account syncs with.
    Status,
    /// Forget the server. Refused while records are unsynced, unless --force.
    Logout {
        #[arg(long)]
        force: bool,
    },
    /// Add many records from JSON lines, a JSON array, or a CSV/XLSX ledger (台账).
    Import(import::ImportArgs),
    /// Add realistic generated records (fixed seed): demo data and load.
    Seed {
        #[arg(long, default_value_t = 20)]
        count: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Grid to put them in (default: spread over the demo grids).
        #[arg(long)]
        grid: Option<String>,
        /// Print each id as soon as its save has returned (one save per transaction).
        #[arg(long)]
        print_ids: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    #[arg(long)]
    pub kind: Option<KindArg>,
    #[arg(long)]
    pub grid: Option<String>,
    /// Dispute status, e.g. reported, assigned.
    #[arg(long)]
    pub status: Option<String>,
    /// Risk level: low, medium, high, critical.
    #[arg(long)]
    pub risk: Option<String>,
    /// local_only, pending, synced or rejected.
    #[arg(long)]
    pub sync_state: Option<String>,
    /// From this date (YYYY-MM-DD in China time, or RFC 3339), inclusive.
    #[arg(long)]
    pub from: Option<String>,
    /// Up to this date (YYYY-MM-DD in China time, or RFC 3339), exclusive.
    #[arg(long)]
    pub to: Option<String>,
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    /// Continue from a previous page's cursor.
    #[arg(long)]
    pub cursor: Option<String>,
    /// Include deleted records.
    #[arg(long)]
    pub deleted: bool,
    /// Only disputes the signed-in user (or their unit) holds now.
    #[arg(long)]
    pub assigned_to_me: bool,
    /// Only records past their due time (a dispute's current step, a visit's follow-up).
    #[arg(long)]
    pub overdue: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    PatrolVisit,
    LegalEducation,
    Dispute,
}

impl From<KindArg> for gridmate_domain::RecordKind {
    fn from(k: KindArg) -> Self {
        match k {
            KindArg::PatrolVisit => Self::PatrolVisit,
            KindArg::LegalEducation => Self::LegalEducation,
            KindArg::Dispute => Self::Dispute,
        }
    }
}

pub fn run() -> std::process::ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    match commands::dispatch(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => report::report(&e, json),
    }
}
