//! The admin commands of the reference data: `area add/list`, `unit add/list`, a user's unit and
//! display name (`user update`), and the demo seed's names and units.
//!
//! Invariant: every id and name is checked (`crate::reference`) before anything is written; a
//! refused command changes nothing.

use std::io::Write;
use std::path::Path;

use gridmate_domain::Timestamp;
use gridmate_domain::reference::Unit;

use super::{AreaCommand, CliError, UnitCommand, name_arg};
use crate::model::{AccountInputError, Area};
use crate::reference::{self, ReferenceInputError};
use crate::storage::{AccountStore, SqliteStorage, StorageError};

pub(super) fn area(cmd: AreaCommand) -> Result<(), CliError> {
    match cmd {
        AreaCommand::Add {
            data,
            id,
            name,
            level,
        } => {
            let area = Area {
                id: reference::parse_id(&id, "id")?,
                name: reference::parse_name(&name, "name")?,
                level,
            };
            let store = SqliteStorage::open(&data.data)?;
            store.upsert_area(&area, Timestamp::now())?;
            println!("area {} ({}, {})", area.id, area.name, area.level.as_str());
            Ok(())
        }
        AreaCommand::List { data, json } => {
            let areas = SqliteStorage::open(&data.data)?.list_areas()?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &areas)?;
                writeln!(out)?;
                return Ok(());
            }
            writeln!(out, "{:<40} {:<10} NAME", "ID", "LEVEL")?;
            for a in areas {
                writeln!(out, "{:<40} {:<10} {}", a.id, a.level.as_str(), a.name)?;
            }
            Ok(())
        }
    }
}

pub(super) fn unit(cmd: UnitCommand) -> Result<(), CliError> {
    match cmd {
        UnitCommand::Add { data, id, name } => {
            let unit = Unit {
                id: reference::unit_id(&id)?,
                name: reference::parse_name(&name, "name")?,
            };
            let store = SqliteStorage::open(&data.data)?;
            store.upsert_unit(&unit, Timestamp::now())?;
            println!("unit {} ({})", unit.id, unit.name);
            Ok(())
        }
        UnitCommand::List { data, json } => {
            let units = SqliteStorage::open(&data.data)?.list_units()?;
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &units)?;
                writeln!(out)?;
                return Ok(());
            }
            writeln!(out, "{:<40} NAME", "ID")?;
            for u in units {
                writeln!(out, "{:<40} {}", u.id, u.name)?;
            }
            Ok(())
        }
    }
}

/// `unknown_unit` unless `unit` is absent or a stored unit.
pub(super) fn check_unit(store: &SqliteStorage, unit: Option<&str>) -> Result<(), CliError> {
    match unit {
        Some(u) if !store.unit_exists(u)? => {
            Err(ReferenceInputError::UnknownUnit(u.to_owned()).into())
        }
        _ => Ok(()),
    }
}

/// `user update NAME [--unit ID | --no-unit] [--display-name X]`.
pub(super) fn update_user(
    data: &Path,
    name: &str,
    unit: Option<&str>,
    no_unit: bool,
    display_name: Option<&str>,
) -> Result<(), CliError> {
    let name = name_arg(name)?;
    let unit = unit.map(reference::unit_id).transpose()?;
    let display_name = display_name.map(str::trim);
    if display_name.is_some_and(|d| d.chars().count() > 64) {
        return Err(AccountInputError::DisplayNameTooLong.into());
    }
    if display_name.is_some_and(|d| !gridmate_domain::rules::is_clean_name(d)) {
        return Err(AccountInputError::DisplayNameInvalidCharacters.into());
    }
    let store = SqliteStorage::open(data)?;
    if store.user_by_name(&name)?.is_none() {
        return Err(CliError::UnknownUser(name));
    }
    check_unit(&store, unit.as_deref())?;
    let now = Timestamp::now();
    if unit.is_some() || no_unit {
        store.set_user_unit(&name, unit.as_deref(), now)?;
    }
    if let Some(d) = display_name {
        store.set_display_name(&name, Some(d).filter(|d| !d.is_empty()), now)?;
    }
    let p = store
        .user_by_name(&name)?
        .ok_or(StorageError::NotFound("user"))?
        .profile;
    println!(
        "user {} (unit {}, display name {})",
        p.name,
        p.unit.as_deref().unwrap_or("-"),
        p.display_name.as_deref().unwrap_or("-")
    );
    Ok(())
}

/// The demo's units.
pub(super) fn seed_units(store: &SqliteStorage, now: Timestamp) -> Result<(), CliError> {
    for (id, name) in [
        ("jingkou-zhengdonglu-sfs", "正东路司法所"),
        ("jingkou-zhengdonglu-pcs", "正东路派出所"),
    ] {
        store.upsert_unit(
            &Unit {
                id: id.to_owned(),
                name: name.to_owned(),
            },
            now,
        )?;
    }
    Ok(())
}
