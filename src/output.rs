//! Writing results: a set of files lands in its folder all at once, or not at all.
//!
//! [`write_folder`] writes every file into a fresh temporary folder beside the output folder
//! (created exclusively, with an unpredictable name: nobody else can have placed a link in it),
//! then swaps it in for the output folder in one rename. A reader sees the old folder or the new
//! one, never a mix, and an interrupted or failed write leaves the old folder as it was. Files in
//! the old folder that this write does not produce (a batch's shard files and Slurm logs, say)
//! are moved over into the new one after the swap. [`write_file`] does the same for one file
//! in a folder that others write into at the same time (the shards of a Slurm array).

use crate::error::{CordonError, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> CordonError + '_ {
    move |error| CordonError::Write {
        path: path.to_path_buf(),
        source: error,
    }
}

/// The folder `dir` made absolute (links resolved where it exists) and its parent, created.
fn resolve(dir: &Path) -> Result<(PathBuf, PathBuf)> {
    let abs = if dir.exists() {
        std::fs::canonicalize(dir).map_err(write_err(dir))?
    } else {
        std::path::absolute(dir).map_err(write_err(dir))?
    };
    let (Some(parent), Some(_)) = (abs.parent(), abs.file_name()) else {
        return Err(CordonError::Write {
            path: dir.to_path_buf(),
            source: std::io::Error::other("not a folder that can be replaced (a root?)"),
        });
    };
    std::fs::create_dir_all(parent).map_err(write_err(parent))?;
    Ok((abs.clone(), parent.to_path_buf()))
}

/// Checks, before a long run, that `dir` can be written later: its parent folder exists or can
/// be made, and a file can be created beside it. Leaves nothing behind but created parents.
pub fn check_writable(dir: &Path) -> Result<()> {
    let (abs, parent) = resolve(dir)?;
    if abs.exists() && !abs.is_dir() {
        return Err(CordonError::Write {
            path: dir.to_path_buf(),
            source: std::io::Error::other("exists and is not a folder"),
        });
    }
    tempfile::Builder::new()
        .prefix(".cordon-probe-")
        .tempfile_in(&parent)
        .map(drop)
        .map_err(write_err(&parent))
}

/// Writes `files` (name, contents) as the folder `dir`: all of them or none (see the module).
pub fn write_folder(dir: &Path, files: &[(String, Vec<u8>)]) -> Result<()> {
    write_folder_with(dir, files, exchange)
}

/// [`write_folder`] with the atomic exchange of two folders given (a test gives one that fails,
/// as on a system or file system without it).
fn write_folder_with(dir: &Path, files: &[(String, Vec<u8>)], exchange: Exchange) -> Result<()> {
    let (abs, parent) = resolve(dir)?;
    if abs.exists() && !abs.is_dir() {
        return Err(CordonError::Write {
            path: dir.to_path_buf(),
            source: std::io::Error::other("exists and is not a folder"),
        });
    }
    let tmp = tempfile::Builder::new()
        .prefix(".cordon-new-")
        .tempdir_in(&parent)
        .map_err(write_err(&parent))?;
    for (name, contents) in files {
        let path = tmp.path().join(name);
        (|| {
            let mut f = std::fs::File::create_new(&path)?;
            f.write_all(contents)?;
            f.sync_all()
        })()
        .map_err(|source| CordonError::Write {
            path: abs.join(name),
            source,
        })?;
    }
    set_folder_mode(tmp.path(), &abs).map_err(write_err(&abs))?;
    if !abs.exists() {
        // a plain rename; if someone made the folder meanwhile, fall through to the swap
        if std::fs::rename(tmp.path(), &abs).is_ok() {
            // the temporary folder is now the output folder: do not delete it
            let _ = tmp.keep();
            return Ok(());
        }
    }
    swap_in(tmp, &abs, files, exchange)
}

/// Swaps two folders' names atomically.
type Exchange = fn(&Path, &Path) -> std::io::Result<()>;

/// Exchanges the filled temporary folder with the existing output folder, then moves over the
/// old folder's entries that the new one does not have and removes the rest of the old one.
fn swap_in(tmp: tempfile::TempDir, abs: &Path, files: &[(String, Vec<u8>)], exchange: Exchange) -> Result<()> {
    let new_path = tmp.keep();
    let old = match exchange(&new_path, abs) {
        Ok(()) => new_path, // it now holds the old folder
        Err(_) => {
            // no atomic exchange here: move the old folder aside, then the new one in
            let aside = tempfile::Builder::new()
                .prefix(".cordon-old-")
                .tempdir_in(abs.parent().unwrap_or(abs))
                .map_err(write_err(abs))?
                .keep();
            let aside = aside.join("old");
            let moved = std::fs::rename(abs, &aside).and_then(|()| {
                std::fs::rename(&new_path, abs).inspect_err(|_| {
                    let _ = std::fs::rename(&aside, abs);
                })
            });
            if let Err(error) = moved {
                let _ = std::fs::remove_dir_all(&new_path);
                let _ = std::fs::remove_dir_all(aside.parent().unwrap_or(&aside));
                return Err(CordonError::Write {
                    path: abs.to_path_buf(),
                    source: error,
                });
            }
            aside
        }
    };
    let ours: std::collections::HashSet<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    if let Ok(entries) = std::fs::read_dir(&old) {
        for e in entries.flatten() {
            let name = e.file_name();
            if name.to_str().is_some_and(|n| ours.contains(n)) {
                continue;
            }
            let _ = std::fs::rename(e.path(), abs.join(&name));
        }
    }
    let _ = std::fs::remove_dir_all(&old);
    if old.file_name().is_some_and(|n| n == "old") {
        if let Some(p) = old.parent() {
            let _ = std::fs::remove_dir(p);
        }
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE).map_err(std::io::Error::from)
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// The new folder gets the old one's permissions, or the usual 0755 for a new one (a temporary
/// folder is made 0700).
fn set_folder_mode(tmp: &Path, abs: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(abs).map_or(0o755, |m| m.permissions().mode() & 0o7777);
        std::fs::set_permissions(tmp, std::fs::Permissions::from_mode(mode))?;
    }
    let _ = (tmp, abs);
    Ok(())
}

/// A file's contents written in full to a fresh temporary file in `path`'s folder (made if
/// missing), to be renamed over `path` with `persist`: several files staged first replace
/// nothing until every one is complete.
pub fn stage_file(path: &Path, contents: &[u8]) -> Result<tempfile::NamedTempFile> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
    let mut f = tempfile::Builder::new()
        .prefix(".cordon-")
        .tempfile_in(dir)
        .map_err(write_err(dir))?;
    f.write_all(contents)
        .and_then(|()| f.as_file().sync_all())
        .map_err(write_err(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = f.as_file().set_permissions(std::fs::Permissions::from_mode(0o644));
    }
    Ok(f)
}

/// Writes one file atomically: a fresh, exclusively created temporary file in its folder renamed
/// over `path` once complete. Safe when other processes write other files into that folder.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    let target = path.to_path_buf();
    stage_file(path, contents)?
        .persist(&target)
        .map_err(|e| CordonError::Write {
            path: target.clone(),
            source: e.error,
        })?;
    Ok(())
}

/// CSV text of `rows` (RFC 4180 quoting where a field needs it, `\n` line ends), written by the
/// `csv` crate; rows may differ in length.
pub fn csv<R, F>(rows: impl IntoIterator<Item = R>) -> String
where
    R: IntoIterator<Item = F>,
    F: AsRef<[u8]>,
{
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(Vec::new());
    for r in rows {
        // a flexible writer into memory has no failure left: no I/O, no record-length check
        w.write_record(r).expect("CSV into memory");
    }
    let bytes = w.into_inner().expect("CSV into memory");
    // every field is a `str`, and the writer adds only ASCII quotes, commas and newlines
    String::from_utf8(bytes).expect("CSV of UTF-8 fields")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Without an atomic exchange the old folder is moved aside and the new one in: the folder
    /// then holds the new files and the old files the run did not write, and nothing is left
    /// beside it.
    #[test]
    fn without_an_atomic_exchange_the_folder_is_still_replaced_whole() {
        let unsupported: super::Exchange = |_: &Path, _: &Path| Err(std::io::ErrorKind::Unsupported.into());
        let parent = tempfile::tempdir().expect("temporary folder");
        let out = parent.path().join("out");
        std::fs::create_dir(&out).expect("old folder");
        std::fs::write(out.join("report.json"), "old").expect("old report");
        std::fs::write(out.join("notes.txt"), "mine").expect("a planner's file");
        let files = vec![("report.json".to_string(), b"new".to_vec())];
        super::write_folder_with(&out, &files, unsupported).expect("written");
        assert_eq!(
            std::fs::read_to_string(out.join("report.json")).ok().as_deref(),
            Some("new")
        );
        assert_eq!(
            std::fs::read_to_string(out.join("notes.txt")).ok().as_deref(),
            Some("mine")
        );
        let beside: Vec<String> = std::fs::read_dir(parent.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(beside, ["out"]);
        // and the exchange when there is one does the same
        super::write_folder(&out, &[("report.json".to_string(), b"newer".to_vec())]).expect("written");
        assert_eq!(
            std::fs::read_to_string(out.join("report.json")).ok().as_deref(),
            Some("newer")
        );
        assert_eq!(
            std::fs::read_to_string(out.join("notes.txt")).ok().as_deref(),
            Some("mine")
        );
    }

    #[test]
    fn csv_quotes_only_the_fields_that_need_it() {
        let text = super::csv([vec!["zone", "a,b", "say \"hi\"", "two\nlines", ""], vec!["1", "2"]]);
        assert_eq!(text, "zone,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n1,2\n");
    }
}
