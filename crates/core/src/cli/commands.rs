//! The subcommands: each reads its input, calls the store once, prints the result.

use std::io::Read;
use std::path::Path;

use gridmate_core::Store;
use gridmate_core::store::{ListFilters, ListQuery};
use gridmate_domain::fixtures::{self, Rng};
use gridmate_domain::{GridId, RecordId, Timestamp};

use super::output::*;
use super::report::CliError;
use super::{Cli, Command, ListArgs};

pub fn dispatch(cli: Cli) -> Result<(), CliError> {
    // The account names a folder: checked before anything is created.
    gridmate_core::store::files::check_account_name(&cli.account).map_err(CliError::field)?;
    gridmate_core::store::files::private_data_dir(&cli.data)?;
    let path = Store::account_path(&cli.data, &cli.account);
    let json = cli.json;
    match cli.command {
        Command::Add { file } => {
            let value = read_json(file.as_deref())?;
            let mut store = Store::open(&path, &cli.account)?;
            let r = store.create_json(value)?;
            if json {
                print_json(&serde_json::json!({"id": r.id()}))
            } else {
                outln!("{}", r.id())
            }
        }
        Command::Edit { id, patch } => {
            let id = parse_id(&id)?;
            let patch = read_json(patch.as_deref())?;
            let mut store = Store::open(&path, &cli.account)?;
            let r = store.edit(id, &patch)?;
            if json {
                print_json(&r)
            } else {
                outln!("{}", r.id())
            }
        }
        Command::List(args) => {
            let q = list_query(&args)?;
            let page = Store::open(&path, &cli.account)?.list(&q)?;
            if json {
                print_json(&page)
            } else {
                print_page(&page)
            }
        }
        Command::Show { id } => {
            super::dispute::show(&Store::open(&path, &cli.account)?, parse_id(&id)?, json)?
        }
        Command::Dispute {
            action,
            id,
            details,
        } => super::dispute::run(&path, &cli.account, &action, parse_id(&id)?, details, json)?,
        Command::Tasks => super::dispute::tasks(&Store::open(&path, &cli.account)?, json)?,
        Command::History { id } => {
            let h = Store::open(&path, &cli.account)?.history(parse_id(&id)?)?;
            if json {
                print_json(&h)
            } else {
                print_history(&h)
            }
        }
        Command::Delete { id } => {
            let r = Store::open(&path, &cli.account)?.delete(parse_id(&id)?)?;
            if json {
                print_json(&r)
            } else {
                outln!("{}", r.id())
            }
        }
        Command::Search { query, kind, limit } => {
            let items =
                Store::open(&path, &cli.account)?.search(&query, kind.map(Into::into), limit)?;
            if json {
                print_json(&items)
            } else {
                print_summaries(&items)
            }
        }
        Command::ExportDoc { id, out } => {
            let bytes = Store::open(&path, &cli.account)?.export_doc(parse_id(&id)?)?;
            std::fs::write(&out, &bytes).map_err(|e| {
                CliError::input("io_error", "out", format!("{}: {e}", out.display()))
            })?;
            if json {
                print_json(&serde_json::json!({"bytes": bytes.len()}))
            } else {
                outln!("{} bytes", bytes.len())
            }
        }
        Command::Check => {
            let store = Store::open(&path, &cli.account)?;
            store.check()?;
            let q = store.quarantined()?;
            if json {
                print_json(&q)
            } else if q.is_empty() {
                outln!("all documents readable");
            } else {
                for r in &q {
                    outln!("{}  {}  {}", r.id, r.title, r.reason);
                }
            }
        }
        Command::Import(args) => super::import::run(&path, &cli.account, args, json)?,
        Command::Seed {
            count,
            seed,
            grid,
            print_ids,
        } => seed_records(&path, &cli.account, count, seed, grid, print_ids)?,
        Command::Login {
            server,
            user,
            password_stdin,
            allow_insecure,
            ca_cert,
            device_name,
        } => super::sync_cmd::login(
            &path,
            &cli.account,
            &super::sync_cmd::LoginArgs {
                server: &server,
                user: &user,
                password_stdin,
                allow_insecure,
                ca_cert: ca_cert.as_deref(),
                device_name: &device_name,
            },
            json,
        )?,
        Command::Sync => super::sync_cmd::sync(&path, &cli.account, json)?,
        Command::Status => super::sync_cmd::status(&path, &cli.account, json)?,
        Command::Logout { force } => super::sync_cmd::logout(&path, &cli.account, force, json)?,
    }
    Ok(())
}

fn seed_records(
    path: &Path,
    account: &str,
    count: u32,
    seed: u64,
    grid: Option<String>,
    print_ids: bool,
) -> Result<(), CliError> {
    let grid = grid
        .map(|g| {
            GridId::parse(&g).ok_or_else(|| {
                CliError::input("invalid_grid_id", "grid", format!("not a grid id: {g}"))
            })
        })
        .transpose()?;
    let mut store = Store::open(path, account)?;
    let mut rng = Rng::new(seed);
    let now = Timestamp::now();
    let demo = [fixtures::grid_id(1), fixtures::grid_id(3)];
    for i in 0..count {
        let g = grid
            .clone()
            .unwrap_or_else(|| demo[i as usize % demo.len()].clone());
        // Spread over the past 30 days.
        let at = now.plus_millis(-i64::from(rng.below(30 * 86_400) as u32) * 1000);
        let r = store.create(fixtures::draft(&mut rng, g, at))?;
        if i % 256 == 255 {
            store.maintain()?; // what the app's idle upkeep does between saves
        }
        if print_ids {
            // Printed only after the save returned: a line on stdout is a durability promise.
            outln!("{}", r.id());
        }
    }
    if !print_ids {
        outln!("{count} records added");
    }
    Ok(())
}

pub(super) fn read_json(file: Option<&Path>) -> Result<serde_json::Value, CliError> {
    let mut text = String::new();
    match file {
        None => std::io::stdin().read_to_string(&mut text).map(|_| ()),
        Some(p) if p.as_os_str() == "-" => std::io::stdin().read_to_string(&mut text).map(|_| ()),
        Some(p) => std::fs::read_to_string(p).map(|t| text = t),
    }
    .map_err(|e| CliError::input("io_error", "", format!("cannot read the input: {e}")))?;
    serde_json::from_str(&text)
        .map_err(|e| CliError::input("invalid_json", "", format!("not valid JSON: {e}")))
}

fn parse_id(s: &str) -> Result<RecordId, CliError> {
    s.parse()
        .map_err(|_| CliError::input("invalid_id", "id", format!("not a record id (UUID): {s}")))
}

fn list_query(a: &ListArgs) -> Result<ListQuery, CliError> {
    let filters = ListFilters {
        kind: a
            .kind
            .map(|k| gridmate_domain::RecordKind::from(k).as_str().to_owned()),
        grid_id: a.grid.clone(),
        status: a.status.clone(),
        risk_level: a.risk.clone(),
        sync_state: a.sync_state.clone(),
        from: a.from.clone(),
        to: a.to.clone(),
        limit: Some(a.limit),
        cursor: a.cursor.clone(),
        include_deleted: Some(a.deleted),
        assigned_to_me: Some(a.assigned_to_me),
        overdue: Some(a.overdue),
    };
    filters.to_query().map_err(CliError::field)
}
