//! The members of a trace shipped as several files: a tar archive (`.tar`, or
//! `.tar.gz` decompressed on the fly), a directory, or one plain file standing
//! for itself. Members are streamed one after the other, never unpacked.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::trace::tasks::files_of;
use crate::trace::{open, open_uncapped, LineCap, TraceError};

/// Whether `path` names a tar archive (by its name, as `.gz` is recognised).
pub(super) fn is_tar(path: &Path) -> bool {
    let name = path.file_name().map(|n| n.to_string_lossy().to_ascii_lowercase()).unwrap_or_default();
    name.ends_with(".tar") || name.ends_with(".tar.gz")
}

/// Whether member `name` (its path inside the archive) is the one `wanted`:
/// the same path, or the same file name.
pub(super) fn is_member(name: &Path, wanted: &str) -> bool {
    name == Path::new(wanted) || name.file_name().is_some_and(|n| n == wanted)
}

/// Calls `each` with every regular file of the trace at `path`: its path (the
/// archive's path joined with the member's, so that errors locate it), its name
/// in the archive (a file's own name outside one) and its contents, in archive
/// order (directory files in name order), until `each` returns false. Returns
/// the number of members visited.
pub(super) fn for_each_member(
    path: &Path,
    mut each: impl FnMut(&Path, &Path, &mut dyn Read) -> Result<bool, TraceError>,
) -> Result<u64, TraceError> {
    let io = |error| TraceError::Io { path: path.to_path_buf(), error };
    let mut visited = 0;
    if is_tar(path) {
        // The archive is binary: each member is capped on its own instead.
        let mut archive = tar::Archive::new(open_uncapped(path)?);
        for entry in archive.entries().map_err(io)? {
            let mut entry = entry.map_err(io)?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name: PathBuf = entry.path().map_err(io)?.into_owned();
            visited += 1;
            if !each(&path.join(&name), &name, &mut LineCap::new(&mut entry))? {
                break;
            }
        }
        return Ok(visited);
    }
    for file in files_of(path)? {
        let mut source = open(&file)?;
        let name = PathBuf::from(file.file_name().unwrap_or_default());
        visited += 1;
        if !each(&file, &name, &mut source)? {
            break;
        }
    }
    Ok(visited)
}
