//! Where an account's files live, and who may read them: the data folder, `accounts/` and each
//! account's folder are owner-only (0700), the store file and its `-wal`, `-shm` companions 0600,
//! whether this process creates them or finds them with wider modes (a folder made with `mkdir`,
//! a copy restored from a backup). The store holds party names, phone and ID numbers and the
//! server token. An account name becomes a folder name, so it may not leave the data folder.
//!
//! SQLite creates `-wal` and `-shm` with the mode of the database file, so the store file is
//! created 0600 before SQLite opens it; companions that already exist are tightened after.
//! A folder with the sticky bit (a shared folder such as /tmp) is never changed: it is not
//! GridMate's, and the owner-only folders below it protect the files.

use std::path::Path;

use gridmate_domain::{ErrorCode, FieldError};

use super::StoreError;

/// Whether `name` can name an account's folder: 1-64 characters, not `.` or `..`, no separator,
/// no control or invisible character, no white space at either end, not hidden (`.x`).
pub fn is_valid_account_name(name: &str) -> bool {
    (1..=64).contains(&name.chars().count())
        && !name.starts_with('.')
        && name.trim() == name
        && !name.contains(['/', '\\', ':'])
        && gridmate_domain::rules::is_clean_name(name)
}

/// [`is_valid_account_name`] as the field error the CLI reports for `--account`.
pub fn check_account_name(name: &str) -> Result<(), FieldError> {
    if is_valid_account_name(name) {
        return Ok(());
    }
    Err(FieldError::new(
        ErrorCode::InvalidValue,
        "account",
        "账户名无效：1-64 个字符，不能为 . 或 ..，不能含 / \\ : 或控制字符，不能以点开头",
        "invalid account name: 1-64 characters, not . or .., no / \\ : or control characters, \
         not starting with a dot",
    ))
}

/// The data folder and its `accounts/` folder, created or tightened to 0700.
pub fn private_data_dir(data: &Path) -> Result<(), StoreError> {
    private_dir(&data.join("accounts"))?;
    tighten(data, 0o700)
}

/// Creates `dir` (and missing parents) 0700, or tightens an existing one to 0700.
pub(super) fn private_dir(dir: &Path) -> Result<(), StoreError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)?;
    tighten(dir, 0o700)
}

/// Creates the store file empty with mode 0600 if it is missing (an empty file is an empty
/// database), or tightens it.
pub(super) fn private_file(db: &Path) -> Result<(), StoreError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(db)?;
    tighten(db, 0o600)
}

/// Tightens the store's companions (`-wal`, `-shm`, `-journal`) that exist to 0600.
pub(super) fn tighten_companions(db: &Path) -> Result<(), StoreError> {
    for suffix in ["-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_owned();
        name.push(suffix);
        let path = Path::new(&name);
        if path.exists() {
            tighten(path, 0o600)?;
        }
    }
    Ok(())
}

/// Removes every permission bit beyond `mode` (never adds one); leaves sticky folders alone.
#[cfg(unix)]
fn tighten(path: &Path, mode: u32) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    if path.as_os_str().is_empty() {
        return Ok(());
    }
    let current = std::fs::metadata(path)?.permissions().mode() & 0o7777;
    if current & 0o1000 != 0 || current & !mode == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode))?;
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _mode: u32) -> Result<(), StoreError> {
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn account_names_stay_inside_the_data_folder() {
        for ok in ["local", "wang.wei", "li_na-2", "王伟"] {
            assert!(is_valid_account_name(ok), "{ok:?}");
        }
        for bad in [
            "",
            ".",
            "..",
            "a/b",
            "/abs",
            "..\\x",
            "c:x",
            ".hidden",
            " a",
            "a\u{0}",
            "a\u{202E}b",
            &"x".repeat(65),
        ] {
            assert!(!is_valid_account_name(bad), "{bad:?}");
            assert_eq!(check_account_name(bad).unwrap_err().field, "account");
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_existing_open_folder_and_store_are_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(data.join("accounts/u")).unwrap();
        for d in [&data, &data.join("accounts"), &data.join("accounts/u")] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        let db = data.join("accounts/u/gridmate.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        private_data_dir(&data).unwrap();
        drop(crate::Store::open(&db, "u").unwrap());
        assert_eq!(mode(&data), 0o700);
        assert_eq!(mode(&data.join("accounts")), 0o700);
        assert_eq!(mode(&data.join("accounts/u")), 0o700);
        for f in ["gridmate.db", "gridmate.db-wal", "gridmate.db-shm"] {
            let p = data.join("accounts/u").join(f);
            if p.exists() {
                assert_eq!(mode(&p), 0o600, "{f}");
            }
        }
    }
}
