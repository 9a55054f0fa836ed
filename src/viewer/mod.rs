//! The 2D viewer (`cordon view`, cargo feature `viewer`): owns the window, the camera, the drawing
//! of the venue, visitors, units and incidents, the time controls, hot reload of the scenario
//! file and the screenshot mode. It reads the simulation's world and changes it only through the
//! contingency timeline ([`crate::contingency::live`]: what-ifs applied with a key, each a
//! timeline entry that `S` saves into the file): the simulation is a [`Simulation`] of its own
//! (its own `App` and `World`), stepped from here at the chosen speed, so the run is the same
//! one `cordon run` makes of the file with those entries.
//!
//! Visitors are drawn as one mesh (two triangles each, vertex-coloured by state) rebuilt every
//! frame, not one entity per dot; walls, rings, units and incidents are gizmo lines. Overlays
//! live in [`overlay`], the side panel and click-to-inspect in [`panel`].

pub mod overlay;
pub mod panel;

use crate::build::Validated;
use crate::checkpoint::systems::{Queued, Screening};
use crate::crowd::{Agent, Leg, Position, Standing, Walking};
use crate::error::{CordonError, Result};
use crate::incidents::IncidentState;
use crate::responders::{Responders, Task, Unit};
use crate::scenario::model::{ClockTime, UnitKind};
use crate::schedule::SimClock;
use crate::sim::{SimOptions, Simulation};
use crate::venue::Venue;
use crate::venue::cache::FieldCache;
use bevy::asset::RenderAssetUsages;
use bevy::input::mouse::{AccumulatedMouseMotion, AccumulatedMouseScroll};
use bevy::mesh::{Indices, PrimitiveTopology};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::window::{PrimaryWindow, WindowResolution};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What `cordon view` was asked for.
#[derive(Debug, Clone, Default)]
pub struct ViewerOptions {
    /// Scenario file (None: the built-in default; then there is nothing to hot-reload).
    pub file: Option<PathBuf>,
    /// Seed override.
    pub seed: Option<u64>,
    /// Screenshot mode: write this PNG and exit.
    pub screenshot: Option<PathBuf>,
    /// Screenshot mode: sim seconds after the start to run to first.
    pub at: f64,
    /// Window size, pixels.
    pub size: (u32, u32),
    /// Overlays on at the start (and in the screenshot).
    pub overlays: overlay::Overlays,
    /// Frame-rate measurement: run this many frames at the chosen speed, print the frame rate,
    /// exit.
    pub bench_frames: Option<u32>,
    /// Speed at the start (×).
    pub speed: f64,
    /// Start paused.
    pub paused: bool,
    /// Scripted what-ifs (`--act`): a click and a key at a time.
    pub acts: Vec<Act>,
    /// With a screenshot: the panel's text is written here too.
    pub panel_text: Option<PathBuf>,
    /// Run to the end at top speed, write the report's JSON here and exit (`--report-json`).
    pub report_json: Option<PathBuf>,
}

/// A scripted what-if: once the run reaches `t` (s after the start), a click at `at` and the key
/// `key`, as a planner would give them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Act {
    /// Seconds after the start.
    pub t: f64,
    /// Where the click is, m.
    pub at: Vec2,
    /// The key.
    pub key: KeyCode,
}

impl Act {
    /// Parses `T:X,Y:KEY` (KEY one of x m k u e s p [ ], or `-`: a click alone).
    pub fn parse(text: &str) -> Option<Act> {
        let mut parts = text.split(':');
        let t: f64 = parts.next()?.trim().parse().ok()?;
        let (x, y) = parts.next()?.split_once(',')?;
        let (x, y): (f32, f32) = (x.trim().parse().ok()?, y.trim().parse().ok()?);
        let key = match parts.next()?.trim() {
            "x" | "X" => KeyCode::KeyX,
            "m" | "M" => KeyCode::KeyM,
            "k" | "K" => KeyCode::KeyK,
            "u" | "U" => KeyCode::KeyU,
            "e" | "E" => KeyCode::KeyE,
            "s" | "S" => KeyCode::KeyS,
            "p" | "P" => KeyCode::KeyP,
            "[" => KeyCode::BracketLeft,
            "]" => KeyCode::BracketRight,
            "-" => KeyCode::F24, // no key: a click alone
            _ => return None,
        };
        if parts.next().is_some() || !(t.is_finite() && t >= 0.0 && x.is_finite() && y.is_finite()) {
            return None;
        }
        Some(Act {
            t,
            at: Vec2::new(x, y),
            key,
        })
    }
}

/// The `cordon view` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ViewArgs {
    /// Scenario file (RON).
    pub file: Option<PathBuf>,
    /// Seed (default: the scenario's `sim.seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write a screenshot to this PNG at `--at` and exit.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// Simulated seconds after the start at which the screenshot is taken.
    #[arg(long, default_value_t = 0.0)]
    pub at: f64,
    /// Window width, pixels.
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    /// Window height, pixels.
    #[arg(long, default_value_t = 900)]
    pub height: u32,
    /// Overlays on at the start: density, coverage60, coverage180, coverage300, trails, queues
    /// (repeat the flag or separate with commas).
    #[arg(long)]
    pub overlay: Vec<String>,
    /// Simulation speed at the start (×0.25 … ×64).
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
    /// Measure the frame rate over this many frames (after 30 warm-up frames), print it, exit.
    #[arg(long)]
    pub bench_frames: Option<u32>,
    /// Start paused.
    #[arg(long)]
    pub paused: bool,
    /// A scripted what-if, `T:X,Y:KEY`: when the run reaches T s after the start, a click at
    /// (X, Y) m and the key KEY (x close/reopen, [ ] lanes, m meter, k cordon, u send the group
    /// of the unit clicked before there, s save; `-` only clicks);
    /// repeatable, in time order.
    #[arg(long)]
    pub act: Vec<String>,
    /// Run to the end at top speed, write the report's JSON to this file and exit.
    #[arg(long)]
    pub report_json: Option<PathBuf>,
    /// With --screenshot: also write the panel's text, as shown in it, to this file.
    #[arg(long)]
    pub panel_text: Option<PathBuf>,
}

impl ViewerOptions {
    /// The options `a` asks for, checked (a bad `--at`, `--speed` or overlay: exit 2).
    pub fn from_args(a: ViewArgs) -> Result<ViewerOptions> {
        let usage = |t: String| crate::CordonError::Usage(t);
        if !(a.at.is_finite() && a.at >= 0.0) {
            return Err(usage(format!(
                "--at must be a non-negative number of seconds, got {}",
                a.at
            )));
        }
        if ![0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0].contains(&a.speed) {
            return Err(usage(format!(
                "--speed must be one of 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64; got {}",
                a.speed
            )));
        }
        let mut acts = Vec::new();
        for text in &a.act {
            let act = Act::parse(text).ok_or_else(|| {
                usage(format!(
                    "--act must be T:X,Y:KEY (seconds after the start, a point in metres, one of x m k u e s p [ ] -), got {text:?}"
                ))
            })?;
            if acts.last().is_some_and(|l: &Act| l.t > act.t) {
                return Err(usage(format!("--act entries must be in time order: {text:?}")));
            }
            acts.push(act);
        }
        Ok(ViewerOptions {
            acts,
            report_json: a.report_json,
            panel_text: a.panel_text,
            overlays: overlay::Overlays::parse(&a.overlay)?,
            file: a.file,
            seed: a.seed,
            screenshot: a.screenshot,
            at: a.at,
            size: (a.width, a.height),
            bench_frames: a.bench_frames,
            speed: a.speed,
            paused: a.paused,
        })
    }
}

/// Loads the scenario of `opts` (the file, or the built-in default), with the fields of `cache`.
fn load(opts: &ViewerOptions, cache: &Mutex<FieldCache>) -> Result<Validated> {
    match &opts.file {
        Some(f) => load_file(f, cache),
        None => crate::build::default_scenario(),
    }
}

/// Validates `file`, taking the floor fields it can from `cache` and leaving its own there.
fn load_file(file: &std::path::Path, cache: &Mutex<FieldCache>) -> Result<Validated> {
    let text = crate::scenario::read_text(file)?;
    let label = file.display().to_string();
    let sc = crate::scenario::parse_file(&text, file)?;
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    crate::build::validate_cached(&sc, &label, Some(&text), &Default::default(), &mut cache)
}

fn new_sim(v: &Validated, seed: Option<u64>) -> Simulation {
    Simulation::new(
        v,
        &SimOptions {
            seed,
            ..Default::default()
        },
    )
}

/// The running simulation and the viewer's own state (not `Send`: it owns an `App`).
struct Run {
    sim: Simulation,
    venue: Venue,
    /// Bumped at every restart (overlays and labels are made again for the new run).
    generation: u64,
    /// Trails recorded while running ahead to `--at` (taken by the overlays).
    trails: Option<overlay::TrailBook>,
    /// A saved scenario being validated in the background.
    pending: Option<std::sync::mpsc::Receiver<Reload>>,
    /// Sim seconds the display is at (the sim is stepped up to it).
    shown_t: f64,
    /// Floor fields of the last validation: a reload that keeps the geometry reuses them.
    fields: Arc<Mutex<FieldCache>>,
    /// The what-ifs applied so far.
    live: crate::contingency::live::Live,
    /// The venue's projection, when its scenario gives an `origin` (the readout's lat/lon).
    earth: Option<crate::import::projection::Projection>,
}

/// The projection of `v`'s venue, if it has an origin.
fn earth_of(v: &Validated) -> Option<crate::import::projection::Projection> {
    v.scenario
        .venue
        .origin
        .and_then(|o| crate::import::projection::Projection::about(o).ok())
}

/// The side panel and the inspector's state.
#[derive(Resource, Default)]
struct Inspect {
    pick: Option<panel::Pick>,
    /// Where the last click was, m.
    at: Option<Vec2>,
    /// The point under the cursor, m (None: the cursor is outside the window).
    cursor: Option<Vec2>,
    /// Where a scripted act (`--act`) put the cursor last.
    scripted: Option<Vec2>,
    /// The responder group of the unit picked last (U sends it to the place clicked).
    unit_group: Option<usize>,
    /// Cursor travel since the button went down (a click moves less than a few pixels).
    drag: f32,
    /// Wall time since the metrics text was made, s.
    since: f32,
    metrics: String,
}

/// Frame-rate measurement.
#[derive(Resource, Default)]
struct Bench {
    frames: Option<u32>,
    seen: u32,
    started: Option<std::time::Instant>,
    agents: usize,
}

/// The metrics side panel.
#[derive(Component)]
struct SidePanel;

/// The legend.
#[derive(Component)]
struct Legend;

/// A checkpoint's label (index).
#[derive(Component)]
struct CpLabel(usize);

/// Time controls, hot reload and screenshot state.
#[derive(Resource)]
struct Controls {
    paused: bool,
    speed: f64,
    step_once: bool,
    file: Option<PathBuf>,
    seed: Option<u64>,
    mtime: Option<SystemTime>,
    since_poll: f32,
    error: Option<String>,
    screenshot: Option<PathBuf>,
    frames_waited: u32,
    requested: bool,
    /// What the last what-if key did (or why not).
    note: Option<String>,
    /// Scripted what-ifs still to come.
    acts: Vec<Act>,
    /// A scripted key to release on the next frame.
    held_key: Option<KeyCode>,
    /// Run to the end, write the report's JSON here and exit.
    report_json: Option<PathBuf>,
    /// With a screenshot, write the panel's text here (taken once the screenshot is asked for).
    panel_text: Option<PathBuf>,
}

/// The visitors' mesh.
#[derive(Resource)]
struct AgentMesh(Handle<Mesh>);

/// The text panel.
#[derive(Component)]
struct Panel;

/// DejaVu Sans (the figures' font, embedded): Bevy's default font lacks · ≤ – and the like.
#[derive(Resource, Clone)]
struct UiFont(Handle<Font>);

fn font(f: &UiFont, size: f32) -> TextFont {
    TextFont {
        font: f.0.clone().into(),
        ..TextFont::from_font_size(size)
    }
}

const SPEEDS: [f64; 9] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0];

/// Opens the window and runs until it is closed (or, in screenshot mode, the PNG is written).
pub fn run(opts: ViewerOptions) -> Result<()> {
    crate::sim::init_compute_pool(0);
    // hot reload revalidates often: the floor fields are kept for the next validation
    let fields = Arc::new(Mutex::new(FieldCache::new()));
    let v = load(&opts, &fields)?;
    let mut sim = new_sim(&v, opts.seed);
    let screenshot = opts.screenshot.clone();
    let mut trails = overlay::TrailBook::default();
    if opts.at > 0.0 {
        // run headless to the requested time first, as fast as possible
        let trail_from = opts.at - overlay::TrailBook::span_s();
        sim.run_to(opts.at, |w| {
            if opts.overlays.trails && w.resource::<SimClock>().t() >= trail_from {
                trails.record(w);
            }
        });
    }
    let shown_t = sim.world().resource::<SimClock>().t();
    let venue = v.venue.clone();
    let mtime = opts.file.as_deref().and_then(stamp);
    let title = format!("Cordon: {}", v.scenario.name);
    let mut app = App::new();
    app.add_plugins(DefaultPlugins.set(WindowPlugin {
        primary_window: Some(Window {
            title,
            resolution: WindowResolution::new(opts.size.0, opts.size.1),
            ..default()
        }),
        ..default()
    }))
    .insert_non_send(Run {
        sim,
        venue,
        generation: 1,
        trails: Some(trails),
        pending: None,
        shown_t,
        fields,
        live: crate::contingency::live::Live::new(v.scenario.clone()),
        earth: earth_of(&v),
    })
    .insert_resource(opts.overlays)
    .init_resource::<Inspect>()
    .insert_resource(Bench {
        frames: opts.bench_frames,
        ..default()
    })
    .insert_resource(Controls {
        paused: opts.paused && opts.report_json.is_none(),
        speed: if opts.report_json.is_some() { 64.0 } else { opts.speed },
        note: None,
        acts: opts.acts.clone(),
        held_key: None,
        report_json: opts.report_json.clone(),
        panel_text: opts.panel_text.clone(),
        step_once: false,
        file: opts.file.clone(),
        seed: opts.seed,
        mtime,
        since_poll: 0.0,
        error: None,
        screenshot,
        frames_waited: 0,
        requested: false,
    })
    .insert_resource(ClearColor(Color::srgb(0.97, 0.97, 0.96)))
    .add_systems(Startup, setup)
    .add_systems(
        Update,
        (
            (
                scripted,
                keys,
                what_ifs,
                overlay::overlay_keys,
                click,
                camera_input,
                hot_reload,
            )
                .chain(),
            respawn_after_restart,
            advance,
            overlay::update_rasters,
            draw_venue,
            overlay::queue_bars,
            overlay::trails,
            draw_agents,
            draw_units,
            draw_vehicles,
            labels,
            panel,
            side_panel,
            screenshot_mode,
            report_when_done,
            bench,
        )
            .chain(),
    );
    let exit = app.run();
    match exit {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => Err(CordonError::Viewer(format!("the viewer exited with code {code}"))),
    }
}

fn setup(
    mut commands: Commands,
    run: NonSend<Run>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
    mut fonts: ResMut<Assets<Font>>,
    window: Single<&Window, With<PrimaryWindow>>,
) {
    let ui_font = UiFont(fonts.add(Font::from_bytes(crate::figures::FONT_BYTES.to_vec())));
    commands.insert_resource(ui_font.clone());
    let (min, max) = (run.venue.min, run.venue.max);
    let centre = (min + max) * 0.5;
    let size = (max - min).max(Vec2::splat(1.0));
    let scale = (size.x / window.width()).max(size.y / window.height()) * 1.05;
    commands.spawn((
        Camera2d,
        Transform::from_xyz(centre.x, centre.y, 0.0),
        Projection::Orthographic(OrthographicProjection {
            scale,
            ..OrthographicProjection::default_2d()
        }),
    ));
    let mesh = meshes.add(empty_mesh());
    commands.spawn((
        Mesh2d(mesh.clone()),
        MeshMaterial2d(materials.add(ColorMaterial::from(Color::WHITE))),
        Transform::from_xyz(0.0, 0.0, 1.0),
    ));
    commands.insert_resource(AgentMesh(mesh));
    commands.spawn((
        Panel,
        Text::new(""),
        font(&ui_font, 14.0),
        TextColor(Color::srgb(0.1, 0.1, 0.1)),
        BackgroundColor(Color::srgba(1.0, 1.0, 1.0, 0.85)),
        Node {
            position_type: PositionType::Absolute,
            top: Val::Px(8.0),
            left: Val::Px(8.0),
            padding: UiRect::all(Val::Px(6.0)),
            ..default()
        },
    ));
    commands.spawn((
        SidePanel,
        Text::new(""),
        font(&ui_font, 13.0),
        TextColor(Color::srgb(0.1, 0.1, 0.1)),
        BackgroundColor(Color::srgba(1.0, 1.0, 1.0, 0.85)),
        Node {
            position_type: PositionType::Absolute,
            top: Val::Px(8.0),
            right: Val::Px(8.0),
            max_width: Val::Px(430.0),
            padding: UiRect::all(Val::Px(6.0)),
            ..default()
        },
    ));
    commands.spawn((
        Legend,
        Text::new(""),
        font(&ui_font, 12.0),
        TextColor(Color::srgb(0.1, 0.1, 0.1)),
        BackgroundColor(Color::srgba(1.0, 1.0, 1.0, 0.85)),
        Node {
            position_type: PositionType::Absolute,
            bottom: Val::Px(8.0),
            left: Val::Px(8.0),
            padding: UiRect::all(Val::Px(6.0)),
            ..default()
        },
    ));
}

/// The site plan under the venue.
#[derive(Component)]
struct UnderlaySprite;

/// An underlay PNG as an RGBA image (at most `MAX_UNDERLAY_PX` a side; 8 and 16 bits, grey,
/// grey + alpha, RGB, RGBA and palettes).
fn underlay_image(path: &std::path::Path) -> std::result::Result<Image, String> {
    use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    let mut d = png::Decoder::new(std::io::BufReader::new(f));
    d.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut r = d.read_info().map_err(|e| e.to_string())?;
    let (w, h) = (r.info().width, r.info().height);
    let max = crate::venue::build::MAX_UNDERLAY_PX;
    if w > max || h > max {
        return Err(format!("{w} × {h} pixels; at most {max} a side"));
    }
    let mut buf = vec![0; r.output_buffer_size()];
    let info = r.next_frame(&mut buf).map_err(|e| e.to_string())?;
    let px = &buf[..info.buffer_size()];
    let rgba: Vec<u8> = match info.color_type {
        png::ColorType::Rgba => px.to_vec(),
        png::ColorType::Rgb => px.chunks_exact(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect(),
        png::ColorType::GrayscaleAlpha => px.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect(),
        png::ColorType::Grayscale => px.iter().flat_map(|g| [*g, *g, *g, 255]).collect(),
        png::ColorType::Indexed => return Err("palette not expanded".into()),
    };
    Ok(Image::new(
        Extent3d {
            width: info.width,
            height: info.height,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        rgba,
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    ))
}

/// After a start or restart: the overlay textures, the viewer's coverage raster and the
/// checkpoint labels are made for the new run (camera and overlay choices stay).
#[allow(clippy::too_many_arguments)]
fn respawn_after_restart(
    mut commands: Commands,
    mut run: NonSendMut<Run>,
    mut images: ResMut<Assets<Image>>,
    mut inspect: ResMut<Inspect>,
    mut c: ResMut<Controls>,
    ui_font: Res<UiFont>,
    mut seen: Local<u64>,
    old: Query<
        Entity,
        Or<(
            With<overlay::DensitySprite>,
            With<overlay::CoverageSprite>,
            With<CpLabel>,
            With<UnderlaySprite>,
        )>,
    >,
) {
    if *seen == run.generation {
        return;
    }
    *seen = run.generation;
    for e in &old {
        commands.entity(e).despawn();
    }
    if let Some(u) = &run.live.scenario.venue.underlay
        && let Some(path) = &u.path
    {
        match underlay_image(path) {
            Ok(img) => {
                let (min, max) = (
                    Vec2::new(u.min.0 as f32, u.min.1 as f32),
                    Vec2::new(u.max.0 as f32, u.max.1 as f32),
                );
                commands.spawn((
                    UnderlaySprite,
                    Sprite {
                        image: images.add(img),
                        custom_size: Some(max - min),
                        color: Color::srgba(1.0, 1.0, 1.0, u.opacity as f32),
                        ..default()
                    },
                    Transform::from_translation(((min + max) * 0.5).extend(-1.0)),
                ));
            }
            Err(e) => c.note = Some(format!("underlay {}: {e}", path.display())),
        }
    }
    let st = overlay::spawn_overlays(&mut commands, &mut images, &mut run);
    commands.insert_resource(st);
    for (k, cp) in run.venue.security.checkpoints.iter().enumerate() {
        commands.spawn((
            CpLabel(k),
            Text2d::new(cp.name.clone()),
            font(&ui_font, 11.0),
            TextColor(Color::srgb(0.05, 0.05, 0.05)),
            Transform::from_translation((cp.pos + cp.out * 4.0).extend(6.0)),
        ));
    }
    inspect.pick = None;
}

/// Checkpoint labels: name, lanes and live queue, kept 11 px high whatever the zoom.
fn labels(
    run: NonSend<Run>,
    cam: Single<&Projection, With<Camera2d>>,
    mut q: Query<(&CpLabel, &mut Text2d, &mut Transform)>,
) {
    let scale = match cam.into_inner() {
        Projection::Orthographic(o) => o.scale,
        _ => 1.0,
    };
    let w = run.sim.world();
    let state = w.get_resource::<crate::checkpoint::CheckpointState>();
    for (l, mut text, mut tf) in &mut q {
        let Some(cp) = run.venue.security.checkpoints.get(l.0) else {
            continue;
        };
        let queued = state.map_or(0, |s| s.queue_length(l.0));
        let s = format!("{} {}L q{queued}", cp.name, cp.lanes);
        if text.0 != s {
            text.0 = s;
        }
        tf.scale = Vec3::splat(scale);
        tf.translation = (cp.pos + cp.out * (3.0 + 8.0 * scale)).extend(6.0);
    }
}

/// The side panel: live metrics (made twice a second) and what is picked.
fn side_panel(
    time: Res<Time>,
    mut run: NonSendMut<Run>,
    mut inspect: ResMut<Inspect>,
    st: Option<Res<overlay::OverlayState>>,
    o: Res<overlay::Overlays>,
    mut text: Single<&mut Text, (With<SidePanel>, Without<Legend>)>,
    mut legend: Single<&mut Text, (With<Legend>, Without<SidePanel>)>,
    mut gizmos: Gizmos,
) {
    let run = &mut *run;
    inspect.since += time.delta_secs();
    if inspect.since >= 0.5 || inspect.metrics.is_empty() {
        inspect.since = 0.0;
        let cov = st.as_ref().and_then(|s| s.coverage.as_ref());
        inspect.metrics = panel::metrics_text(run.sim.world_mut(), &run.venue, cov);
    }
    let mut s = inspect.metrics.clone();
    if let Some(p) = inspect.pick {
        s += "\n\nSELECTED\n";
        s += &panel::describe(run.sim.world_mut(), &run.venue, p);
        if let Some(at) = panel::pick_position(run.sim.world(), &run.venue, p) {
            gizmos.circle_2d(Isometry2d::from_translation(at), 3.0, Color::srgb(1.0, 0.0, 1.0));
        }
    } else {
        s += "\n\nclick a visitor, unit, checkpoint or zone to inspect it";
    }
    // only changed text is laid out again (text layout is costly on a software renderer)
    if text.0 != s {
        text.0 = s;
    }
    let cov_t = st.as_ref().filter(|s| s.coverage_t.is_finite()).map(|s| s.coverage_t);
    let l = overlay::legend(&o, cov_t);
    if legend.0 != l {
        legend.0 = l;
    }
}

/// A click (press and release without dragging) picks what is under the cursor.
fn click(
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    mut run: NonSendMut<Run>,
    mut inspect: ResMut<Inspect>,
    window: Single<&Window, With<PrimaryWindow>>,
    cam: Single<(&Camera, &GlobalTransform, &Projection), With<Camera2d>>,
) {
    let (camera, gt, proj) = cam.into_inner();
    // the readout: the point under the cursor (where a scripted act put it, in a scripted run)
    inspect.cursor = inspect.scripted.or_else(|| {
        window
            .cursor_position()
            .and_then(|c| camera.viewport_to_world_2d(gt, c).ok())
    });
    if buttons.just_pressed(MouseButton::Left) {
        inspect.drag = 0.0;
    }
    if buttons.pressed(MouseButton::Left) {
        inspect.drag += motion.delta.length();
    }
    if !buttons.just_released(MouseButton::Left) || inspect.drag > 5.0 {
        return;
    }
    let scale = match proj {
        Projection::Orthographic(o) => o.scale,
        _ => 1.0,
    };
    let Some(cursor) = window.cursor_position() else {
        return;
    };
    let Ok(p) = camera.viewport_to_world_2d(gt, cursor) else {
        return;
    };
    let run = &mut *run;
    let reach = (8.0 * scale).max(1.0);
    inspect.at = Some(p);
    inspect.pick = match panel::pick(run.sim.world_mut(), &run.venue, p, reach) {
        panel::Pick::None => None,
        other => Some(other),
    };
    if let Some(panel::Pick::Unit(e)) = inspect.pick
        && let Some(u) = run.sim.world().get::<Unit>(e)
    {
        inspect.unit_group = Some(usize::from(u.group));
    }
}

/// Frame-rate measurement (`--bench-frames N`): after 30 warm-up frames, times N frames and
/// prints the rate and the number of visitors drawn, then exits.
fn bench(mut b: ResMut<Bench>, mut run: NonSendMut<Run>, mut exit: MessageWriter<AppExit>) {
    let Some(n) = b.frames else { return };
    b.seen += 1;
    if b.seen == 30 {
        b.started = Some(std::time::Instant::now());
        let w = run.sim.world_mut();
        b.agents = w
            .query_filtered::<(), (
                With<Agent>,
                Or<(With<Walking>, With<Queued>, With<Screening>, With<Standing>)>,
            )>()
            .iter(w)
            .len();
    }
    if b.seen == 30 + n
        && let Some(t0) = b.started
    {
        let s = t0.elapsed().as_secs_f64();
        let clock = *run.sim.world().resource::<SimClock>();
        println!(
            "{n} frames in {s:.2} s: {:.1} fps with {} visitors drawn (sim at {})",
            f64::from(n) / s,
            b.agents,
            ClockTime(clock.start + clock.t()).hms()
        );
        exit.write(AppExit::Success);
    }
}

/// Scripted what-ifs (`--act`): once the run reaches an act's time, a click at its point and its
/// key pressed (released on the next frame), for the keys' own systems to act on.
fn scripted(
    mut keys: ResMut<ButtonInput<KeyCode>>,
    mut c: ResMut<Controls>,
    mut run: NonSendMut<Run>,
    mut inspect: ResMut<Inspect>,
) {
    if let Some(k) = c.held_key.take() {
        keys.release(k);
    }
    let t = run.sim.clock().t();
    if let Some(a) = c.acts.first().copied()
        && t >= a.t
    {
        c.acts.remove(0);
        let run = &mut *run;
        inspect.at = Some(a.at);
        inspect.scripted = Some(a.at);
        inspect.pick = match panel::pick(run.sim.world_mut(), &run.venue, a.at, 1.0) {
            panel::Pick::None => None,
            other => Some(other),
        };
        if let Some(panel::Pick::Unit(e)) = inspect.pick
            && let Some(u) = run.sim.world().get::<Unit>(e)
        {
            inspect.unit_group = Some(usize::from(u.group));
        }
        keys.press(a.key);
        c.held_key = Some(a.key);
    }
}

/// The point `p` as the scenario file writes one, "(x, y)" to 0.1 m, onto the clipboard; says
/// what was done.
fn copy_point(p: Vec2) -> String {
    let text = point_text(p);
    match arboard::Clipboard::new().and_then(|mut c| c.set_text(text.clone())) {
        Ok(()) => format!("copied {text} to the clipboard"),
        Err(e) => format!("{text}: no clipboard here ({e})"),
    }
}

/// "(x, y)" to 0.1 m.
fn point_text(p: Vec2) -> String {
    format!("({:.1}, {:.1})", p.x, p.y)
}

/// What-if keys, on the place last clicked: X closes or reopens the checkpoint, exit door or
/// zone there (or puts a cordon round the point, K too, and lifts it again), [ and ] open a lane
/// fewer or more, M meters the checkpoint or exit door or lifts its meter, U sends the group of the unit
/// clicked before to a post there (or back, on its post), E evacuates the zone there (the whole
/// venue outside every zone), S writes the what-ifs applied so far into the scenario file's
/// timeline.
fn what_ifs(keys: Res<ButtonInput<KeyCode>>, mut c: ResMut<Controls>, mut run: NonSendMut<Run>, inspect: Res<Inspect>) {
    use crate::contingency::live::Target;
    let pressed = [
        KeyCode::KeyX,
        KeyCode::KeyK,
        KeyCode::KeyM,
        KeyCode::BracketLeft,
        KeyCode::BracketRight,
        KeyCode::KeyS,
        KeyCode::KeyU,
        KeyCode::KeyE,
        KeyCode::KeyP,
    ]
    .into_iter()
    .find(|k| keys.just_pressed(*k));
    let Some(key) = pressed else { return };
    if key == KeyCode::KeyP {
        c.note = Some(match inspect.cursor.or(inspect.at) {
            Some(p) => copy_point(p),
            None => "P copies the point under the cursor: move it over the venue".into(),
        });
        return;
    }
    let run = &mut *run;
    if key == KeyCode::KeyS {
        c.note = Some(save_what_ifs(run, &mut c));
        return;
    }
    let Some(p) = inspect.at else {
        c.note = Some("click a checkpoint, door, zone or point first".into());
        return;
    };
    let place = panel::place_at(&run.venue, p, 2.0);
    let world = run.sim.world_mut();
    let live = &mut run.live;
    let done = match (key, place) {
        (KeyCode::KeyK, _) => live.toggle_close(world, Target::Point(p)),
        (KeyCode::KeyX, place) => live.toggle_close(world, place),
        (KeyCode::BracketLeft, Target::Checkpoint(k)) => live.lanes(world, k, -1),
        (KeyCode::BracketRight, Target::Checkpoint(k)) => live.lanes(world, k, 1),
        (KeyCode::KeyM, Target::Checkpoint(k)) => live.toggle_meter(world, k),
        (KeyCode::KeyM, Target::Door(d)) => live.toggle_door_meter(world, d),
        (KeyCode::KeyE, _) => live.evacuate(world, panel::zone_at(&run.venue, p)),
        (KeyCode::KeyU, _) => match inspect.unit_group {
            Some(g) => live.deploy(world, g, p),
            None => Err("click a unit first, then the place to send its group (U)".into()),
        },
        (KeyCode::KeyM, _) => Err("meters are a checkpoint's or an exit door's: click one first".into()),
        _ => Err("lanes are a checkpoint's: click one first".into()),
    };
    c.note = Some(match done {
        Ok(words) => words,
        Err(e) => format!("not applied: {e}"),
    });
}

/// Writes the what-ifs applied so far into the scenario file (atomically); the run goes on (the
/// file's new time is taken as seen, so it is not reloaded).
fn save_what_ifs(run: &mut Run, c: &mut Controls) -> String {
    let Some(file) = c.file.clone() else {
        return "not saved: the built-in scenario has no file".into();
    };
    let n = run.live.applied().len();
    if n == 0 {
        return "nothing to save: no what-ifs applied".into();
    }
    let text = match crate::scenario::read_text(&file) {
        Ok(t) => t,
        Err(e) => return format!("not saved: {e}"),
    };
    let saved = match run.live.save(&text) {
        Ok(s) => s,
        Err(e) => return format!("not saved: {e}"),
    };
    if let Err(e) = crate::output::write_file(&file, saved.as_bytes()) {
        return format!("not saved: {e}");
    }
    c.mtime = stamp(&file);
    run.live.base = run.live.scenario.timeline.len();
    format!("{n} what-if(s) saved into {}'s timeline", file.display())
}

/// `--report-json`: once the run is over, writes its report's JSON and exits.
fn report_when_done(mut c: ResMut<Controls>, mut run: NonSendMut<Run>, mut exit: MessageWriter<AppExit>) {
    let Some(path) = c.report_json.clone() else { return };
    let Some(why) = run.sim.finished() else { return };
    c.report_json = None;
    let report = run.sim.report(why);
    match crate::output::write_file(&path, report.to_json().as_bytes()) {
        Ok(()) => {
            exit.write(AppExit::Success);
        }
        Err(e) => {
            error!("{e}");
            exit.write(AppExit::from_code(3));
        }
    }
}

fn empty_mesh() -> Mesh {
    let mut m = Mesh::new(PrimitiveTopology::TriangleList, RenderAssetUsages::default());
    m.insert_attribute(Mesh::ATTRIBUTE_POSITION, Vec::<[f32; 3]>::new());
    m.insert_attribute(Mesh::ATTRIBUTE_COLOR, Vec::<[f32; 4]>::new());
    m.insert_indices(Indices::U32(Vec::new()));
    m
}

fn restart(run: &mut Run, c: &mut Controls, v: &Validated) {
    run.sim = new_sim(v, c.seed);
    run.venue = v.venue.clone();
    run.live = crate::contingency::live::Live::new(v.scenario.clone());
    run.earth = earth_of(v);
    c.note = None;
    run.shown_t = 0.0;
    run.generation += 1;
    c.error = None;
}

fn keys(keys: Res<ButtonInput<KeyCode>>, mut c: ResMut<Controls>, mut run: NonSendMut<Run>) {
    if keys.just_pressed(KeyCode::Space) {
        c.paused = !c.paused;
    }
    if keys.just_pressed(KeyCode::Period) {
        c.paused = true;
        c.step_once = true;
    }
    let k = SPEEDS.iter().position(|s| (*s - c.speed).abs() < 1e-9).unwrap_or(2);
    if keys.just_pressed(KeyCode::Equal) || keys.just_pressed(KeyCode::NumpadAdd) {
        c.speed = SPEEDS[(k + 1).min(SPEEDS.len() - 1)];
    }
    if keys.just_pressed(KeyCode::Minus) || keys.just_pressed(KeyCode::NumpadSubtract) {
        c.speed = SPEEDS[k.saturating_sub(1)];
    }
    if keys.just_pressed(KeyCode::KeyR) {
        let opts = ViewerOptions {
            file: c.file.clone(),
            speed: 1.0,
            ..default()
        };
        match load(&opts, &run.fields) {
            Ok(v) => restart(&mut run, &mut c, &v),
            Err(e) => c.error = Some(e.to_string()),
        }
    }
}

fn camera_input(
    keys: Res<ButtonInput<KeyCode>>,
    buttons: Res<ButtonInput<MouseButton>>,
    motion: Res<AccumulatedMouseMotion>,
    scroll: Res<AccumulatedMouseScroll>,
    run: NonSend<Run>,
    window: Single<&Window, With<PrimaryWindow>>,
    cam: Single<(&mut Transform, &mut Projection), With<Camera2d>>,
) {
    let (mut tf, mut proj) = cam.into_inner();
    let Projection::Orthographic(ortho) = proj.as_mut() else {
        return;
    };
    if buttons.pressed(MouseButton::Left) && motion.delta != Vec2::ZERO {
        tf.translation.x -= motion.delta.x * ortho.scale;
        tf.translation.y += motion.delta.y * ortho.scale;
    }
    if scroll.delta.y != 0.0 {
        ortho.scale = (ortho.scale * (1.0 - 0.1 * scroll.delta.y.clamp(-5.0, 5.0))).clamp(0.005, 100.0);
    }
    if keys.just_pressed(KeyCode::KeyF) {
        let (min, max) = (run.venue.min, run.venue.max);
        let c = (min + max) * 0.5;
        let size = (max - min).max(Vec2::splat(1.0));
        tf.translation.x = c.x;
        tf.translation.y = c.y;
        ortho.scale = (size.x / window.width()).max(size.y / window.height()) * 1.05;
    }
}

/// What a look at the scenario file found.
enum Reload {
    /// Not saved since the last look.
    #[cfg_attr(not(test), allow(dead_code))]
    Unchanged,
    /// Saved and valid: restart with it.
    Restart(Box<Validated>),
    /// Saved but invalid: the error, with file:line:column.
    Invalid(String),
}

/// Whether `file` was saved since `last` (and remembers the new time).
fn saved_since(file: &std::path::Path, last: &mut Option<SystemTime>) -> bool {
    let m = stamp(file);
    if m.is_none() || m == *last {
        return false;
    }
    *last = m;
    true
}

/// The latest modification time of `file`, of the venue file it names and of its underlay image.
fn stamp(file: &std::path::Path) -> Option<SystemTime> {
    let modified = |f: &std::path::Path| std::fs::metadata(f).ok().and_then(|m| m.modified().ok());
    let mut latest = modified(file)?;
    let Some(text) = crate::scenario::read_text(file).ok().filter(|t| t.contains("file")) else {
        return Some(latest);
    };
    let folder = file.parent().unwrap_or(std::path::Path::new(""));
    // the venue file and the underlay image, from the whole scenario when it reads; the venue
    // file by name when it does not (a broken one is watched too, so that saving it fixed reloads)
    let watched: Vec<PathBuf> = match crate::scenario::parse_file(&text, file) {
        Ok(sc) => (sc.venue.source.map(|v| v.path.clone()).into_iter())
            .chain(sc.venue.underlay.and_then(|u| u.path))
            .collect(),
        Err(_) => (crate::scenario::parse_str(&text, "").ok())
            .and_then(|sc| sc.venue.file)
            .map(|f| folder.join(f))
            .into_iter()
            .collect(),
    };
    for f in &watched {
        if let Some(m) = modified(f) {
            latest = latest.max(m);
        }
    }
    Some(latest)
}

/// Validates `file` again.
fn revalidate(file: &std::path::Path, cache: &Mutex<FieldCache>) -> Reload {
    match load_file(file, cache) {
        Ok(v) => Reload::Restart(Box::new(v)),
        Err(e) => Reload::Invalid(e.to_string()),
    }
}

/// Looks at `file`'s modification time; when it changed since `last`, validates it again.
#[cfg(test)]
fn check_reload(file: &std::path::Path, last: &mut Option<SystemTime>) -> Reload {
    if saved_since(file, last) {
        revalidate(file, &Mutex::new(FieldCache::new()))
    } else {
        Reload::Unchanged
    }
}

/// Polls the file every 0.25 s; a save is validated on a thread of its own (the run and the
/// window go on meanwhile), then the run restarts with the new plan or shows the error.
fn hot_reload(time: Res<Time>, mut c: ResMut<Controls>, mut run: NonSendMut<Run>) {
    if let Some(rx) = &run.pending {
        match rx.try_recv() {
            Ok(Reload::Restart(v)) => {
                run.pending = None;
                restart(&mut run, &mut c, &v);
            }
            Ok(Reload::Invalid(e)) => {
                run.pending = None;
                c.error = Some(e);
            }
            Ok(Reload::Unchanged) | Err(std::sync::mpsc::TryRecvError::Disconnected) => run.pending = None,
            Err(std::sync::mpsc::TryRecvError::Empty) => {}
        }
    }
    c.since_poll += time.delta_secs();
    if c.since_poll < 0.25 || c.screenshot.is_some() || run.pending.is_some() {
        return;
    }
    c.since_poll = 0.0;
    let Some(file) = c.file.clone() else { return };
    let mut mtime = c.mtime;
    if saved_since(&file, &mut mtime) {
        let (tx, rx) = std::sync::mpsc::channel();
        let cache = run.fields.clone();
        std::thread::spawn(move || {
            let _ = tx.send(revalidate(&file, &cache));
        });
        run.pending = Some(rx);
    }
    c.mtime = mtime;
}

fn advance(time: Res<Time>, mut c: ResMut<Controls>, mut run: NonSendMut<Run>) {
    if c.screenshot.is_some() {
        return;
    }
    if c.step_once {
        c.step_once = false;
        let next = run.sim.clock().t_end();
        run.sim.run_to(next, |_| {});
        run.shown_t = run.sim.clock().t();
        return;
    }
    if c.paused {
        return;
    }
    // decoupled from the frame rate: as many fixed steps as the speed asks for, within a budget
    run.shown_t += f64::from(time.delta_secs().min(0.1)) * c.speed;
    let (to, budget) = (run.shown_t, std::time::Duration::from_millis(40));
    let over = run.sim.run_to_within(to, Some(budget), |_| {});
    if over.is_some() || run.sim.clock().t_end() <= to {
        // the run is over, or the machine cannot keep up at this speed: the display falls behind
        run.shown_t = run.sim.clock().t();
    }
}

/// What the timeline has closed now, in red: cordons and zones, checkpoints and doors crossed out.
fn draw_closures(gizmos: &mut Gizmos, run: &Run) {
    let (w, v) = (run.sim.world(), &run.venue);
    let red = Color::srgb(0.85, 0.1, 0.1);
    if let Some(tl) = w.get_resource::<crate::contingency::TimelineRt>() {
        for &a in &tl.open_areas {
            match tl.areas.get(a) {
                Some(crate::venue::Shape::Circle(c, r)) => {
                    gizmos.circle_2d(Isometry2d::from_translation(*c), *r, red);
                }
                Some(crate::venue::Shape::Polygon(pts, _, _)) => {
                    for k in 0..pts.len() {
                        gizmos.line_2d(pts[k], pts[(k + 1) % pts.len()], red);
                    }
                }
                _ => {}
            }
        }
    }
    let Some(st) = w.get_resource::<crate::checkpoint::CheckpointState>() else {
        return;
    };
    let cross = |gizmos: &mut Gizmos, a: Vec2, b: Vec2, n: Vec2| {
        gizmos.line_2d(a + n, b - n, red);
        gizmos.line_2d(a - n, b + n, red);
    };
    for (k, cp) in v.security.checkpoints.iter().enumerate() {
        if st.plan_closed.get(k).copied().unwrap_or(false) {
            let half = cp.along * cp.width() * 0.5;
            cross(gizmos, cp.pos - half, cp.pos + half, cp.out * 2.0);
        }
    }
    for (d, door) in v.security.doors.iter().enumerate() {
        if st.door_closed.get(d).copied().unwrap_or(false) {
            cross(gizmos, door.a, door.b, door.out * 1.0);
        }
    }
}

fn draw_venue(mut gizmos: Gizmos, run: NonSend<Run>) {
    draw_closures(&mut gizmos, &run);
    let v = &run.venue;
    let wall = Color::srgb(0.3, 0.3, 0.3);
    for s in &v.walls.segments {
        gizmos.line_2d(s.a, s.b, wall);
    }
    for o in &v.obstacles {
        for k in 0..o.len() {
            gizmos.line_2d(o[k], o[(k + 1) % o.len()], wall);
        }
    }
    for z in &v.zones {
        let p = &z.polygon;
        for k in 0..p.len() {
            gizmos.line_2d(p[k], p[(k + 1) % p.len()], Color::srgba(0.5, 0.5, 0.7, 0.35));
        }
    }
    for r in &v.security.rings {
        let c = match r.depth {
            1 => Color::srgb(0.15, 0.3, 0.85),
            2 => Color::srgb(0.5, 0.2, 0.8),
            _ => Color::srgb(0.8, 0.2, 0.5),
        };
        for e in r.edges() {
            gizmos.line_2d(e.a, e.b, c);
        }
    }
    for d in &v.security.doors {
        // an exit door: its opening in exit-sign green
        gizmos.line_2d(d.a, d.b, Color::srgb(0.0, 0.6, 0.28));
    }
    for cp in &v.security.checkpoints {
        // the lanes as a bar along the ring, the queue pen as its outline
        let half = cp.along * cp.width() * 0.5;
        gizmos.line_2d(cp.pos - half, cp.pos + half, Color::BLACK);
        if let crate::venue::Shape::Polygon(pts, _, _) = &cp.pen {
            for k in 0..pts.len() {
                gizmos.line_2d(pts[k], pts[(k + 1) % pts.len()], Color::srgba(0.9, 0.5, 0.0, 0.6));
            }
        }
    }
    for t in &v.targets {
        let c = t.shape.center();
        gizmos.circle_2d(Isometry2d::from_translation(c), 1.5, Color::srgb(0.1, 0.6, 0.2));
    }
    for s in &v.sources {
        let c = s.shape.center();
        gizmos.circle_2d(Isometry2d::from_translation(c), 1.5, Color::srgb(0.9, 0.5, 0.1));
    }
}

/// Colour of a visitor by state.
fn state_colour(walking: Option<&Walking>, queued: bool, screening: bool, standing: bool) -> [f32; 4] {
    if screening {
        [0.85, 0.1, 0.1, 1.0]
    } else if queued {
        [0.95, 0.55, 0.0, 1.0]
    } else if standing {
        [0.1, 0.6, 0.3, 1.0]
    } else if walking.is_some_and(|w| w.leg == Leg::ToExit) {
        [0.55, 0.2, 0.7, 1.0]
    } else {
        [0.1, 0.35, 0.85, 1.0]
    }
}

fn draw_agents(
    mut run: NonSendMut<Run>,
    mesh: Res<AgentMesh>,
    mut meshes: ResMut<Assets<Mesh>>,
    cam: Single<&Projection, With<Camera2d>>,
) {
    let px = match cam.into_inner() {
        Projection::Orthographic(o) => o.scale,
        _ => 1.0,
    };
    let w = run.sim.world_mut();
    let mut q = w.query::<(
        &Agent,
        &Position,
        Option<&Walking>,
        Has<Queued>,
        Has<Screening>,
        Has<Standing>,
    )>();
    let mut pos: Vec<[f32; 3]> = Vec::new();
    let mut col: Vec<[f32; 4]> = Vec::new();
    for (a, p, walking, queued, screening, standing) in q.iter(w) {
        if walking.is_none() && !queued && !screening && !standing {
            continue; // staying inside a hall: not drawn
        }
        // at least 1.5 pixels across, so a whole site stays readable
        let h = a.radius.max(0.75 * px);
        let c = state_colour(walking, queued, screening, standing);
        let (x, y) = (p.0.x, p.0.y);
        pos.extend_from_slice(&[
            [x - h, y - h, 0.0],
            [x + h, y - h, 0.0],
            [x + h, y + h, 0.0],
            [x - h, y + h, 0.0],
        ]);
        col.extend_from_slice(&[c, c, c, c]);
    }
    let n = pos.len() as u32 / 4;
    let mut idx = Vec::with_capacity(n as usize * 6);
    for k in 0..n {
        let b = k * 4;
        idx.extend_from_slice(&[b, b + 1, b + 2, b, b + 2, b + 3]);
    }
    if let Some(mut m) = meshes.get_mut(&mesh.0) {
        m.insert_attribute(Mesh::ATTRIBUTE_POSITION, pos);
        m.insert_attribute(Mesh::ATTRIBUTE_COLOR, col);
        m.insert_indices(Indices::U32(idx));
    }
}

/// Roads (grey, a line per lane), vehicle rings (purple), checkpoints (a black bar across the
/// road) with their queue drawn back along the road in red, destinations (a green bar),
/// crossings (white stripes, edged green or red by who has the way), and each vehicle as a box
/// along its road, coloured by class.
fn draw_vehicles(mut gizmos: Gizmos, run: NonSend<Run>) {
    let Some(st) = run.sim.world().get_resource::<crate::vehicles::VehicleState>() else {
        return;
    };
    let rt = &st.rt;
    let road = Color::srgba(0.45, 0.45, 0.45, 0.8);
    let shut = Color::srgba(0.85, 0.45, 0.0, 0.9);
    for (li, l) in rt.links.iter().enumerate() {
        // a road the timeline closed is drawn orange
        let road = if st.closed.get(li).copied().unwrap_or(false) {
            shut
        } else {
            road
        };
        for w in l.points.windows(2) {
            let n = (w[1] - w[0]).perp().normalize_or_zero();
            for k in 0..l.lanes {
                // lanes side by side, 3 m apart, to the right of the direction of travel
                let off = -n * (1.5 + 3.0 * k as f32);
                gizmos.line_2d(w[0] + off, w[1] + off, road);
            }
        }
    }
    // crossings: stripes across the road, edged green while walkers have the way, red else
    for (c, log) in rt.crossings.iter().zip(&st.crossings) {
        let edge = if log.walkers_go() {
            Color::srgb(0.1, 0.75, 0.2)
        } else {
            Color::srgb(0.9, 0.1, 0.1)
        };
        for k in 0..4 {
            gizmos.line_2d(c.corners[k], c.corners[(k + 1) % 4], edge);
        }
        let n = c.u.perp() * c.half;
        let stripes = (c.length / 1.0).floor().clamp(1.0, 200.0) as u32;
        for k in 0..stripes {
            let p = c.a + c.u * (0.5 + k as f32);
            gizmos.line_2d(p - n, p + n, Color::srgba(0.95, 0.95, 0.95, 0.8));
        }
    }
    for area in &rt.ring_areas {
        for k in 0..area.len() {
            gizmos.line_2d(area[k], area[(k + 1) % area.len()], Color::srgba(0.5, 0.1, 0.6, 0.7));
        }
    }
    for (ci, cp) in rt.checkpoints.iter().enumerate() {
        let l = &rt.links[cp.link as usize];
        let end = l.point_at(l.length);
        let n = l.direction_at(l.length).perp();
        let width = 3.0 * l.lanes as f32 + 2.0;
        gizmos.line_2d(end + n * 1.0, end - n * width, Color::BLACK);
        // the queue, back from the stop line along the road (onto the links before it too)
        let (_, metres) = st.queue_of(ci);
        if metres > 0.0 {
            let mut left = metres;
            let mut link = cp.link as usize;
            for _ in 0..64 {
                let ll = &rt.links[link];
                let from = (ll.length - left).max(0.0);
                let steps = 16;
                for k in 0..steps {
                    let a = from + (ll.length - from) * k as f64 / steps as f64;
                    let b = from + (ll.length - from) * (k + 1) as f64 / steps as f64;
                    gizmos.line_2d(ll.point_at(a), ll.point_at(b), Color::srgb(0.9, 0.1, 0.1));
                }
                left -= ll.length;
                if left <= 0.0 {
                    break;
                }
                // onto the busiest link feeding this one
                let Some(&up) = rt.links_in[ll.from as usize]
                    .iter()
                    .max_by_key(|&&u| st.traffic.queues[u as usize].len())
                else {
                    break;
                };
                link = up as usize;
            }
        }
    }
    for d in &rt.destinations {
        let l = &rt.links[d.link as usize];
        let end = l.point_at(l.length);
        let n = l.direction_at(l.length).perp();
        gizmos.line_2d(
            end + n * 1.0,
            end - n * (3.0 * l.lanes as f32 + 2.0),
            Color::srgb(0.1, 0.6, 0.2),
        );
    }
    const PALETTE: [(f32, f32, f32); 6] = [
        (0.1, 0.1, 0.1),
        (0.9, 0.6, 0.0),
        (0.0, 0.45, 0.7),
        (0.8, 0.4, 0.6),
        (0.35, 0.7, 0.9),
        (0.6, 0.3, 0.1),
    ];
    for (car, c) in st.traffic.cars.iter().enumerate() {
        let Some((p, dir)) = st.place_of(car as u32) else {
            continue;
        };
        let class = &rt.classes[c.class as usize];
        let (r, g, b) = PALETTE[c.class as usize % PALETTE.len()];
        // the lanes of a link are one stream: a vehicle is drawn in a lane by its number
        let lane = if c.on_road {
            (car as u32 % rt.links[c.link as usize].lanes) as f32
        } else {
            0.0
        };
        let at = p - dir.perp() * (1.5 + 3.0 * lane);
        let iso = Isometry2d::new(at, Rot2::from_sin_cos(dir.y, dir.x));
        gizmos.rect_2d(
            iso,
            Vec2::new((class.spacing as f32 - 2.0).max(2.0), 2.0),
            Color::srgb(r, g, b),
        );
    }
}

fn draw_units(mut gizmos: Gizmos, mut run: NonSendMut<Run>) {
    let t = run.sim.world().resource::<SimClock>().t();
    let w = run.sim.world_mut();
    let groups = w
        .get_resource::<Responders>()
        .map(|r| r.groups.clone())
        .unwrap_or_default();
    let incidents: Vec<(Vec2, f64, bool)> = w
        .get_resource::<IncidentState>()
        .map(|s| {
            s.recs
                .iter()
                .filter(|r| r.resolved.is_none() && r.occurred <= t)
                .map(|r| (r.at, t - r.occurred, r.arrived.is_some()))
                .collect()
        })
        .unwrap_or_default();
    let all: Vec<(Vec2, f64, bool)> = w
        .get_resource::<IncidentState>()
        .map(|s| s.recs.iter().map(|r| (r.at, r.occurred, r.arrived.is_some())).collect())
        .unwrap_or_default();
    let mut q = w.query::<(&Unit, &Position, &Task)>();
    for (u, p, task) in q.iter(w) {
        let Some(g) = groups.get(u.group as usize) else {
            continue;
        };
        let at = Isometry2d::from_translation(p.0);
        match g.kind {
            UnitKind::FootPatrol => gizmos.rect_2d(at, Vec2::splat(3.0), Color::srgb(0.0, 0.2, 0.6)),
            UnitKind::BikePatrol => {
                gizmos.circle_2d(at, 2.0, Color::srgb(0.0, 0.5, 0.9));
            }
            UnitKind::Vehicle => gizmos.rect_2d(at, Vec2::new(5.0, 2.5), Color::srgb(0.1, 0.1, 0.1)),
            UnitKind::Medical => {
                gizmos.line_2d(p.0 - Vec2::X * 2.0, p.0 + Vec2::X * 2.0, Color::srgb(0.9, 0.0, 0.0));
                gizmos.line_2d(p.0 - Vec2::Y * 2.0, p.0 + Vec2::Y * 2.0, Color::srgb(0.9, 0.0, 0.0));
            }
            UnitKind::Post => gizmos.rect_2d(at, Vec2::splat(4.0), Color::srgb(0.2, 0.2, 0.2)),
            UnitKind::Volunteer => {
                gizmos.circle_2d(at, 1.0, Color::srgb(0.9, 0.7, 0.0));
            }
        }
        if let Task::EnRoute { incident } = task
            && let Some(i) = all.get(*incident as usize)
        {
            gizmos.line_2d(p.0, i.0, Color::srgba(0.9, 0.0, 0.0, 0.6));
        }
    }
    for (at, age, attended) in incidents {
        // a marker that grows redder with age: yellow when new, red after 5 minutes
        let k = (age / 300.0).clamp(0.0, 1.0) as f32;
        let c = Color::srgb(1.0, 0.85 * (1.0 - k), 0.0);
        let iso = Isometry2d::from_translation(at);
        gizmos.circle_2d(iso, 4.0, c);
        if !attended {
            gizmos.circle_2d(iso, 6.0, c);
        }
    }
}

fn panel(
    mut c: ResMut<Controls>,
    mut run: NonSendMut<Run>,
    mut text: Single<&mut Text, With<Panel>>,
    inspect: Res<Inspect>,
) {
    let clock = *run.sim.world().resource::<SimClock>();
    let w = run.sim.world_mut();
    // those waiting at the edge of a full pen are in its queue
    let walking = w
        .query_filtered::<(), (With<Walking>, Without<crate::crowd::Held>)>()
        .iter(w)
        .len();
    let queued = w.query_filtered::<(), With<Queued>>().iter(w).len()
        + w.query_filtered::<(), (With<Walking>, With<crate::crowd::Held>)>()
            .iter(w)
            .len();
    let present = w.query::<&Agent>().iter(w).len();
    let open = w
        .get_resource::<IncidentState>()
        .map_or(0, |s| s.recs.iter().filter(|r| r.resolved.is_none()).count());
    let mut s = format!(
        "{}  {}  x{}\npresent {present} | walking {walking} | queueing {queued} | open incidents {open}\n\
         Space pause | . step | +/- speed | R restart | F fit | drag pan | wheel zoom\n\
         what-ifs on the place clicked: X close/reopen | [ ] lanes | M meter | K cordon | U send unit | E evacuate | S save",
        ClockTime(clock.start + clock.t()).hms(),
        if c.paused { "paused" } else { "running" },
        c.speed
    );
    if let Some(p) = inspect.cursor {
        let lonlat = (run.earth.as_ref())
            .and_then(|e| e.to_lonlat(p.x as f64, p.y as f64))
            .map(|(lon, lat)| format!(" = lat {lat:.6}, lon {lon:.6}"))
            .unwrap_or_default();
        s += &format!("\ncursor {} m{lonlat} | P copies it", point_text(p));
    }
    if run.pending.is_some() {
        s += "\nvalidating the saved scenario…";
    }
    if let Some(n) = &c.note {
        s += &format!("\n{n}");
    }
    // the timeline as it fired (the last few), what-ifs applied live marked *
    let base = run.live.base;
    let live_from = base.min(run.live.scenario.timeline.len());
    if let Some(tl) = run.sim.world().get_resource::<crate::contingency::TimelineRt>()
        && !tl.fired.is_empty()
    {
        s += "\ntimeline:";
        for f in tl.fired.iter().rev().take(6).rev() {
            s += &format!(
                "\n {}{} {} {}",
                if f.entry >= live_from { "*" } else { " " },
                ClockTime(clock.start + f.t).hms(),
                f.entry + 1,
                f.what
            );
        }
        let unsaved = run.live.applied().len();
        if unsaved > 0 {
            s += &format!("\n * {unsaved} applied here, not yet saved (S)");
        }
    }
    if let Some(e) = &c.error {
        s += &format!("\nscenario not reloaded:\n{e}");
    }
    if c.screenshot.is_some() {
        c.paused = true;
    }
    // with --panel-text: the text of the screenshot's frame (asked for after this frame), once
    if c.screenshot.is_some()
        && c.frames_waited + 1 >= SCREENSHOT_FRAMES
        && let Some(path) = c.panel_text.take()
        && let Err(e) = std::fs::write(&path, &s)
    {
        error!("--panel-text {}: {e}", path.display());
    }
    if text.0 != s {
        text.0 = s;
    }
}

/// The frame a screenshot is taken in.
const SCREENSHOT_FRAMES: u32 = 20;

fn screenshot_mode(mut commands: Commands, mut c: ResMut<Controls>) {
    let Some(path) = c.screenshot.clone() else { return };
    if c.requested {
        return;
    }
    // give the renderer frames to upload the mesh and images, lay out the text and compile its
    // pipelines (compiled in the background: a busy machine takes more frames before a sprite's
    // pipeline is ready and the sprite drawn)
    c.frames_waited += 1;
    if c.frames_waited < SCREENSHOT_FRAMES {
        return;
    }
    c.requested = true;
    commands.spawn(Screenshot::primary_window()).observe(
        move |ev: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| {
            let img = &ev.image;
            let (w, h) = (img.width(), img.height());
            let res = write_png(
                &path,
                img.data.as_deref().unwrap_or(&[]),
                w,
                h,
                img.texture_descriptor.format,
            );
            match res {
                Ok(()) => {
                    exit.write(AppExit::Success);
                }
                Err(e) => {
                    error!("{e}");
                    exit.write(AppExit::from_code(3));
                }
            }
        },
    );
}

/// Writes RGBA or BGRA pixels as an RGB PNG, atomically.
fn write_png(
    path: &std::path::Path,
    data: &[u8],
    w: u32,
    h: u32,
    format: bevy::render::render_resource::TextureFormat,
) -> Result<()> {
    use bevy::render::render_resource::TextureFormat as F;
    let bgra = matches!(format, F::Bgra8Unorm | F::Bgra8UnormSrgb);
    if data.len() < (w * h * 4) as usize {
        return Err(CordonError::Viewer(format!(
            "screenshot of {w}x{h} has only {} bytes",
            data.len()
        )));
    }
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for px in data.chunks_exact(4).take((w * h) as usize) {
        if bgra {
            rgb.extend_from_slice(&[px[2], px[1], px[0]]);
        } else {
            rgb.extend_from_slice(&[px[0], px[1], px[2]]);
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut wr = enc.write_header().map_err(|e| CordonError::Viewer(e.to_string()))?;
        wr.write_image_data(&rgb)
            .map_err(|e| CordonError::Viewer(e.to_string()))?;
    }
    crate::output::write_file(path, &out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn save(path: &std::path::Path, text: &str, at: SystemTime) {
        std::fs::write(path, text).unwrap();
        touch(path, at);
    }

    /// Sets `path`'s modification time to `at`.
    fn touch(path: &std::path::Path, at: SystemTime) {
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(at)
            .unwrap();
    }

    #[test]
    fn a_saved_file_restarts_when_valid_and_reports_line_and_column_when_not() {
        let dir = std::env::temp_dir().join(format!("cordon-reload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("plan.ron");
        let good = include_str!("../../scenarios/entrance_plaza.ron");
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        save(&path, good, t0);
        let mut last = Some(t0);
        assert!(matches!(check_reload(&path, &mut last), Reload::Unchanged));
        // a typo: the old run goes on, the error names the place
        save(
            &path,
            &good.replace("dt: 0.05", "dt: 0.05,,"),
            t0 + Duration::from_secs(1),
        );
        match check_reload(&path, &mut last) {
            Reload::Invalid(e) => assert!(e.contains("plan.ron:") && e.contains(":8:"), "{e}"),
            _ => panic!("an invalid file must not restart the run"),
        }
        assert!(matches!(check_reload(&path, &mut last), Reload::Unchanged));
        // fixed, with another seed: restart with the new plan
        save(
            &path,
            &good.replace("seed: 42", "seed: 43"),
            t0 + Duration::from_secs(2),
        );
        match check_reload(&path, &mut last) {
            Reload::Restart(v) => assert_eq!(v.scenario.sim.seed, 43),
            _ => panic!("a valid save must restart the run"),
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn saving_the_venue_file_or_the_underlay_reloads_too() {
        let dir = std::env::temp_dir().join(format!("cordon-reload-venue-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (plan, venue, png) = (dir.join("plan.ron"), dir.join("site.venue.ron"), dir.join("plan.png"));
        let site = "(bounds: (min: (0, 0), max: (40, 30)), sources: [(name: \"s\", area: Circle((5, 5), 2))], \
                    targets: [(name: \"t\", area: Circle((35, 25), 2))])";
        let text = "Scenario(name: \"p\", sim: (dt: 0.1, start: \"09:00\", end: \"09:01\"), \
                    venue: (file: \"site.venue.ron\", underlay: (file: \"plan.png\", min: (0, 0), max: (40, 30))))";
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(2_000_000);
        let mut w = png::Encoder::new(std::fs::File::create(&png).unwrap(), 2, 2)
            .write_header()
            .unwrap();
        w.write_image_data(&[0; 4]).unwrap();
        drop(w);
        touch(&png, t0);
        save(&venue, site, t0);
        save(&plan, text, t0);
        let mut last = stamp(&plan);
        assert!(matches!(check_reload(&plan, &mut last), Reload::Unchanged));
        // the venue file saved broken, then fixed
        save(
            &venue,
            &site.replace("max: (40, 30)", "max: (40, 30),,"),
            t0 + Duration::from_secs(1),
        );
        match check_reload(&plan, &mut last) {
            Reload::Invalid(e) => assert!(e.contains("site.venue.ron:1:"), "{e}"),
            _ => panic!("a broken venue file must be reported"),
        }
        save(&venue, site, t0 + Duration::from_secs(2));
        assert!(matches!(check_reload(&plan, &mut last), Reload::Restart(_)));
        // the underlay image replaced
        touch(&png, t0 + Duration::from_secs(3));
        assert!(matches!(check_reload(&plan, &mut last), Reload::Restart(_)));
        assert!(matches!(check_reload(&plan, &mut last), Reload::Unchanged));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
