//! RON text to [`Scenario`]: syntax and schema errors become [`ParseError`]s with line, column and caret.

use super::check::Checker;
use super::limits::MAX_FILE_BYTES;
use super::model::{Bounds, Scenario, Venue, VenueText};
use super::spans::{Spans, line_col};
use crate::error::{CordonError, ParseError, Result};
use std::path::Path;

/// The built-in default scenario, embedded in the binary.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/import_expo.ron");
/// Name shown for the built-in scenario in messages.
pub const DEFAULT_SCENARIO_FILE: &str = "<built-in>/scenarios/import_expo.ron";
/// The built-in scenario's venue file (`venue: (file: "necc.venue.ron")`), embedded too.
pub const DEFAULT_VENUE: &str = include_str!("../../scenarios/necc.venue.ron");
/// Name shown for the built-in venue file in messages.
pub const DEFAULT_VENUE_FILE: &str = "<built-in>/scenarios/necc.venue.ron";

/// Reads a scenario file's text: at most [`MAX_FILE_BYTES`] (a larger file, or an endless one
/// such as `/dev/zero`, is refused after reading one byte more), valid UTF-8.
pub fn read_text(path: &Path) -> Result<String> {
    use std::io::Read;
    let io = |source| CordonError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    // a regular file only: opening a pipe blocks until someone writes, a device may never end
    if !std::fs::metadata(path).map_err(io)?.is_file() {
        return Err(io(std::io::Error::other("not a regular file")));
    }
    let f = std::fs::File::open(path).map_err(io)?;
    f.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(io(std::io::Error::other(format!(
            "larger than {MAX_FILE_BYTES} bytes, the limit for a scenario file"
        ))));
    }
    let file = path.display().to_string();
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let prefix = String::from_utf8_lossy(valid);
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        let source_line = prefix.rsplit('\n').next().unwrap_or("").to_string();
        CordonError::Parse(Box::new(ParseError {
            file: file.clone(),
            line,
            column,
            message: "the file is not valid UTF-8 text".into(),
            source_line,
        }))
    })?;
    Ok(text)
}

/// Reads and parses a scenario file (and its venue file, if it names one).
pub fn load_file(path: &Path) -> Result<Scenario> {
    parse_file(&read_text(path)?, path)
}

/// Parses the text of the scenario file `path` and reads the venue file it names, if any
/// (see [`resolve_venue`]).
pub fn parse_file(text: &str, path: &Path) -> Result<Scenario> {
    let mut sc = parse_str(text, &path.display().to_string())?;
    resolve_venue(&mut sc, path, Some(text))?;
    if let Some(u) = &mut sc.venue.underlay {
        let folder = path.parent().unwrap_or(Path::new(""));
        u.path = inside_name(&u.file).then(|| folder.join(&u.file));
        if u.path.as_ref().is_some_and(|p| !really_inside(p, folder)) {
            let mut ck = Checker::new(Some(text)).with_venue(sc.venue.source.clone());
            let msg = format!(
                "venue.underlay \"{}\" leads outside the scenario's folder (through a link)",
                u.file
            );
            ck.err(Some("underlay".into()), msg);
            return Err(ck.into_error(&path.display().to_string()));
        }
    }
    Ok(sc)
}

/// Reads the venue file that `sc.venue.file` names, relative to the folder of the scenario file
/// `scenario_path`, and puts the section together: the file's bounds, cell size and origin, its
/// walls, obstacles, zones, sources and targets and then the scenario's own. The name must be a
/// relative path inside that folder (no `..`, not absolute) to a `.ron` file within
/// [`MAX_FILE_BYTES`]; a venue file cannot name another. Afterwards `file` is empty (the
/// section is whole, for reports) and `source` keeps the file's text for placing problems.
///
/// `src` is the scenario file's text, for placing problems in it.
pub fn resolve_venue(sc: &mut Scenario, scenario_path: &Path, src: Option<&str>) -> Result<()> {
    let Some(name) = sc.venue.file.clone() else {
        return Ok(());
    };
    let file = scenario_path.display().to_string();
    let rel = Path::new(&name);
    let wrong = if !inside_name(&name) {
        Some("must be a file name relative to the scenario's folder, inside it (no `..`, not absolute)")
    } else if rel.extension().and_then(|e| e.to_str()) != Some("ron") {
        Some("must be a `.ron` file")
    } else {
        None
    };
    if let Some(text) = wrong {
        let mut ck = Checker::new(src);
        ck.named(&name, format!("venue.file \"{name}\" {text}"));
        return Err(ck.into_error(&file));
    }
    let folder = scenario_path.parent().unwrap_or(Path::new(""));
    let path = folder.join(rel);
    let named = |text: String| {
        let mut ck = Checker::new(src);
        ck.named(&name, format!("venue.file \"{name}\" {text}"));
        ck.into_error(&file)
    };
    if !really_inside(&path, folder) {
        return Err(named("leads outside the scenario's folder (through a link)".into()));
    }
    let text = read_text(&path).map_err(|e| match e {
        CordonError::Io { path, source } => named(format!("cannot be read: {}: {source}", path.display())),
        e => e,
    })?;
    let label = path.display().to_string();
    merge_venue(sc, &name, path, label, text, &file, src)
}

/// The built-in default scenario (its venue file, `necc.venue.ron`, is built in too).
pub fn default_scenario() -> Result<Scenario> {
    let mut sc = parse_str(DEFAULT_SCENARIO, DEFAULT_SCENARIO_FILE)?;
    if sc.venue.file.as_deref() == Some("necc.venue.ron") {
        merge_venue(
            &mut sc,
            "necc.venue.ron",
            std::path::PathBuf::from(DEFAULT_VENUE_FILE),
            DEFAULT_VENUE_FILE.to_string(),
            DEFAULT_VENUE.to_string(),
            DEFAULT_SCENARIO_FILE,
            Some(DEFAULT_SCENARIO),
        )?;
    }
    Ok(sc)
}

/// The venue file `name`'s `text` (read from `path`, named `label` in messages) as the
/// scenario's venue, with what the scenario's own section adds (see [`resolve_venue`]).
fn merge_venue(
    sc: &mut Scenario,
    name: &str,
    path: std::path::PathBuf,
    label: String,
    text: String,
    file: &str,
    src: Option<&str>,
) -> Result<()> {
    let v: Venue = options().from_str(&text).map_err(|e| spanned(&e, &text, &label))?;
    if v.file.is_some() {
        let at = Spans::of(&text).find_def("file").map(|at| line_col(&text, at));
        let (l, c) = at.unwrap_or((1, 1));
        return Err(CordonError::Invalid {
            file: label.clone(),
            problems: vec![format!("{label}:{l}:{c}: a venue file cannot name another (`file`)")],
        });
    }
    let own = std::mem::replace(&mut sc.venue, v);
    let v = &mut sc.venue;
    let mut ck = Checker::new(src);
    if own.bounds != Bounds::default() {
        ck.err(
            Some("bounds".into()),
            format!("venue: `bounds` come from the venue file \"{name}\"; give them there only"),
        );
    }
    if own.cell_size != Venue::DEFAULT_CELL {
        ck.err(
            Some("cell_size".into()),
            format!("venue: `cell_size` comes from the venue file \"{name}\"; give it there only"),
        );
    }
    if own.underlay.is_some() && v.underlay.is_some() {
        ck.err(
            Some("underlay".into()),
            format!("venue: an `underlay` is given here and in the venue file \"{name}\"; give one"),
        );
    }
    if own.origin.is_some() {
        ck.err(
            Some("origin".into()),
            format!("venue: `origin` comes from the venue file \"{name}\"; give it there only"),
        );
    }
    ck.finish(file)?;
    v.walls.extend(own.walls);
    v.obstacles.extend(own.obstacles);
    v.zones.extend(own.zones);
    v.sources.extend(own.sources);
    v.targets.extend(own.targets);
    if own.underlay.is_some() {
        v.underlay = own.underlay;
    }
    v.source = Some(std::sync::Arc::new(VenueText { path, label, text }));
    Ok(())
}

/// Whether `name` is a relative path inside the folder it is named from (no `..`, not
/// absolute, not empty).
pub fn inside_name(name: &str) -> bool {
    use std::path::Component::{CurDir, Normal};
    let p = Path::new(name);
    !name.is_empty() && p.components().all(|c| matches!(c, Normal(_) | CurDir)) && p.file_name().is_some()
}

/// Whether `path`, links followed, lies inside `dir` (links followed too); a path that does
/// not exist counts as inside (reading it says it is missing).
pub fn really_inside(path: &Path, dir: &Path) -> bool {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    match (std::fs::canonicalize(path), std::fs::canonicalize(dir)) {
        (Ok(p), Ok(d)) => p.starts_with(d),
        (Err(_), _) => true,
        _ => false,
    }
}

fn options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// A ron error in `text` (the file `file`) as a [`ParseError`] with line, column and the line.
fn spanned(e: &ron::error::SpannedError, text: &str, file: &str) -> CordonError {
    let line = e.span.start.line.max(1);
    let column = e.span.start.col.max(1);
    let source_line = text.lines().nth(line - 1).unwrap_or("").to_string();
    CordonError::Parse(Box::new(ParseError {
        file: file.to_string(),
        line,
        column,
        message: describe(&e.code),
        source_line,
    }))
}

/// Parses scenario text; `file` is only used in messages. A venue `file` it names is not read
/// (see [`parse_file`]).
pub fn parse_str(text: &str, file: &str) -> Result<Scenario> {
    options()
        .from_str::<Scenario>(text)
        .map_err(|e| spanned(&e, text, file))
}

/// Turns ron's error codes into planner-facing sentences.
fn describe(code: &ron::Error) -> String {
    use ron::Error as E;
    match code {
        E::NoSuchStructField { expected, found, outer } => format!(
            "unknown field `{found}`{}; allowed fields: {}",
            outer.as_ref().map(|o| format!(" in `{o}`")).unwrap_or_default(),
            list(expected)
        ),
        E::NoSuchEnumVariant { expected, found, outer } => format!(
            "unknown variant `{found}`{}; expected one of: {}",
            outer.as_ref().map(|o| format!(" of `{o}`")).unwrap_or_default(),
            list(expected)
        ),
        E::MissingStructField { field, outer } => format!(
            "missing required field `{field}`{}",
            outer.as_ref().map(|o| format!(" in `{o}`")).unwrap_or_default()
        ),
        other => other.to_string(),
    }
}

fn list(names: &[&str]) -> String {
    names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
}
