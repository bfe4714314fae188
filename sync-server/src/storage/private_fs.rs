//! Owner-only files for the server's data: the directory is 0700 and `server.db`, `-wal` and
//! `-shm` are 0600, whether this process creates them or finds them with wider modes (a folder
//! made by hand with `mkdir`, a file restored from a backup). The database holds password hashes
//! and every record's personal data, so no other local user may read it.
//!
//! SQLite creates `-wal` and `-shm` with the mode of the database file, so the database file is
//! created 0600 before SQLite opens it; files that already exist are tightened after opening.

use std::path::Path;

use super::StorageError;

fn io(context: String) -> impl FnOnce(std::io::Error) -> StorageError {
    move |source| StorageError::Io { context, source }
}

/// Creates `dir` (and missing parents) 0700, or tightens an existing one to 0700.
pub fn private_dir(dir: &Path) -> Result<(), StorageError> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir).map_err(io(format!(
        "cannot create data directory {}",
        dir.display()
    )))?;
    tighten(dir, 0o700)
}

/// Creates `db` empty with mode 0600 if it is missing (an empty file is an empty database).
pub fn create_private_file(db: &Path) -> Result<(), StorageError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(db)
        .map_err(io(format!("cannot create {}", db.display())))?;
    tighten(db, 0o600)
}

/// Tightens the database's companions (`-wal`, `-shm`, `-journal`) that exist to 0600.
pub fn tighten_companions(db: &Path) -> Result<(), StorageError> {
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

/// Removes every permission bit beyond `mode` (never adds one).
#[cfg(unix)]
fn tighten(path: &Path, mode: u32) -> Result<(), StorageError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(io(format!("cannot read {}", path.display())))?;
    let current = meta.permissions().mode() & 0o7777;
    if current & !mode == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(current & mode)).map_err(io(
        format!("cannot restrict the permissions of {}", path.display()),
    ))
}

#[cfg(not(unix))]
fn tighten(_path: &Path, _mode: u32) -> Result<(), StorageError> {
    Ok(())
}

#[cfg(all(test, unix))]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn an_open_directory_and_files_are_tightened() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let db = dir.join("server.db");
        std::fs::write(&db, b"").unwrap();
        std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
        let wal = dir.join("server.db-wal");
        std::fs::write(&wal, b"").unwrap();
        std::fs::set_permissions(&wal, std::fs::Permissions::from_mode(0o666)).unwrap();
        private_dir(&dir).unwrap();
        create_private_file(&db).unwrap();
        tighten_companions(&db).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&db), 0o600);
        assert_eq!(mode(&wal), 0o600);
    }
}
