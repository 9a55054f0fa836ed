//! Overlays of the viewer, each toggled by a key and listed in the legend: crowd density
//! coloured by Fruin level of service (D), coverage within 60/180/300 s of a free unit (C cycles
//! the threshold), visitor trails (T) and checkpoint queue bars (Q). Density and coverage are
//! textures over the venue, trails and bars are gizmo lines; everything is read from the run.

use super::Run;
use crate::checkpoint::systems::{CheckpointState, Queued, Screening};
use crate::crowd::{Agent, Position, Standing, Walking};
use crate::error::{CordonError, Result};
use crate::figures::LOS_COLOURS;
use crate::metrics::{Metrics, Scale};
use crate::responders::coverage::{Coverage, available_units};
use crate::responders::{Responders, Task, Unit};
use crate::schedule::SimClock;
use bevy::asset::RenderAssetUsages;
use bevy::image::ImageSampler;
use bevy::prelude::*;
use bevy::render::render_resource::{Extent3d, TextureDimension, TextureFormat};
use std::collections::{BTreeMap, VecDeque};

/// Coverage thresholds the overlay cycles through, s.
pub const COVERAGE_S: [f64; 3] = [60.0, 180.0, 300.0];
/// Trails drawn at most (a fixed sample of visitors by id).
const MAX_TRAILS: usize = 3000;
/// Seconds of sim time between trail points, and points kept.
const TRAIL_EVERY: f64 = 2.0;
const TRAIL_POINTS: usize = 15;

/// Which overlays are on.
#[derive(Resource, Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overlays {
    /// Density heatmap.
    pub density: bool,
    /// Coverage at `COVERAGE_S[k]`.
    pub coverage: Option<usize>,
    /// Trails.
    pub trails: bool,
    /// Queue bars.
    pub queues: bool,
}

impl Overlays {
    /// Parses `--overlay` names (each may hold several, comma-separated).
    pub fn parse(names: &[String]) -> Result<Overlays> {
        let mut o = Overlays::default();
        for name in names
            .iter()
            .flat_map(|n| n.split(','))
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            match name {
                "density" => o.density = true,
                "coverage" | "coverage180" => o.coverage = Some(1),
                "coverage60" => o.coverage = Some(0),
                "coverage300" => o.coverage = Some(2),
                "trails" => o.trails = true,
                "queues" => o.queues = true,
                other => {
                    return Err(CordonError::Viewer(format!(
                        "unknown overlay `{other}`: expected density, coverage60, coverage180, coverage300, trails or queues"
                    )));
                }
            }
        }
        Ok(o)
    }
}

/// Textures and state of the overlays.
#[derive(Resource)]
pub struct OverlayState {
    density_img: Handle<Image>,
    coverage_img: Handle<Image>,
    /// Sim time the density texture shows (NaN: stale).
    density_t: f64,
    /// Sim time of the last coverage sample (NaN: none yet).
    pub coverage_t: f64,
    coverage_k: Option<usize>,
    /// The viewer's own coverage raster (the run's samples only every interval).
    pub coverage: Option<Coverage>,
    /// When it was last sampled (wall clock).
    coverage_wall: Option<std::time::Instant>,
    trails: TrailBook,
}

/// Recent positions of a fixed sample of walking visitors (by id).
#[derive(Debug, Clone)]
pub struct TrailBook {
    map: BTreeMap<u32, VecDeque<Vec2>>,
    last_t: f64,
}

impl Default for TrailBook {
    fn default() -> Self {
        TrailBook {
            map: BTreeMap::new(),
            last_t: f64::NEG_INFINITY,
        }
    }
}

impl TrailBook {
    /// Adds a point per sampled walker when `TRAIL_EVERY` s of sim time have passed.
    pub fn record(&mut self, world: &World) {
        let t = world.resource::<SimClock>().t();
        if t < self.last_t {
            // restarted
            *self = TrailBook::default();
        }
        if t - self.last_t < TRAIL_EVERY {
            return;
        }
        self.last_t = t;
        let walkers: Vec<(u32, Vec2)> = world
            .try_query_filtered::<(&Agent, &Position), With<Walking>>()
            .map(|mut q| q.iter(world).map(|(a, p)| (a.id, p.0)).collect())
            .unwrap_or_default();
        let stride = walkers.len().div_ceil(MAX_TRAILS).max(1) as u32;
        let mut seen = BTreeMap::new();
        for (id, p) in walkers {
            if id % stride == 0 {
                let mut tr = self.map.remove(&id).unwrap_or_default();
                tr.push_back(p);
                while tr.len() > TRAIL_POINTS {
                    tr.pop_front();
                }
                seen.insert(id, tr);
            }
        }
        self.map = seen;
    }

    /// Seconds of sim time a trail spans at most.
    pub fn span_s() -> f64 {
        TRAIL_EVERY * TRAIL_POINTS as f64
    }
}

/// Marks the density sprite.
#[derive(Component)]
pub struct DensitySprite;

/// Marks the coverage sprite.
#[derive(Component)]
pub struct CoverageSprite;

fn blank_image(w: usize, h: usize) -> Image {
    let mut img = Image::new_fill(
        Extent3d {
            width: w.max(1) as u32,
            height: h.max(1) as u32,
            depth_or_array_layers: 1,
        },
        TextureDimension::D2,
        &[0, 0, 0, 0],
        TextureFormat::Rgba8UnormSrgb,
        RenderAssetUsages::default(),
    );
    img.sampler = ImageSampler::nearest();
    img
}

/// A sprite showing a raster of `nx` × `ny` cells of `cell` metres from `origin`.
fn raster_sprite(image: Handle<Image>, origin: Vec2, cell: f32, nx: usize, ny: usize, z: f32) -> (Sprite, Transform) {
    let size = Vec2::new(nx as f32, ny as f32) * cell;
    (
        Sprite {
            image,
            custom_size: Some(size),
            ..default()
        },
        Transform::from_translation((origin + size * 0.5).extend(z)),
    )
}

/// Creates the overlay textures for the current run (again after a restart).
pub(super) fn spawn_overlays(commands: &mut Commands, images: &mut Assets<Image>, run: &mut Run) -> OverlayState {
    let w = run.sim.world();
    let (origin, cell, nx, ny) = w.resource::<Metrics>().raster();
    let density_img = images.add(blank_image(nx, ny));
    commands.spawn((
        DensitySprite,
        raster_sprite(density_img.clone(), origin, cell, nx, ny, 2.0),
        Visibility::Hidden,
    ));
    let coverage = w
        .get_resource::<Responders>()
        .filter(|r| !r.groups.is_empty())
        .map(|_| {
            let cell = w.resource::<Metrics>().settings.coverage_cell as f32;
            Coverage::new(&run.venue, cell, 1.0, COVERAGE_S.to_vec())
        });
    let (g_origin, g_cell, g_nx, g_ny) = coverage.as_ref().map_or((origin, cell, 1, 1), |c| {
        let g = c.times().0;
        (g.origin, g.h, g.nx, g.ny)
    });
    let coverage_img = images.add(blank_image(g_nx, g_ny));
    commands.spawn((
        CoverageSprite,
        raster_sprite(coverage_img.clone(), g_origin, g_cell, g_nx, g_ny, 0.4),
        Visibility::Hidden,
    ));
    OverlayState {
        density_img,
        coverage_img,
        density_t: f64::NAN,
        coverage_t: f64::NAN,
        coverage_k: None,
        coverage,
        coverage_wall: None,
        trails: run.trails.take().unwrap_or_default(),
    }
}

/// Keys: D density, C coverage 60 → 180 → 300 → off, T trails, Q queue bars.
pub fn overlay_keys(keys: Res<ButtonInput<KeyCode>>, mut o: ResMut<Overlays>) {
    if keys.just_pressed(KeyCode::KeyD) {
        o.density = !o.density;
    }
    if keys.just_pressed(KeyCode::KeyC) {
        o.coverage = match o.coverage {
            None => Some(0),
            Some(k) if k + 1 < COVERAGE_S.len() => Some(k + 1),
            Some(_) => None,
        };
    }
    if keys.just_pressed(KeyCode::KeyT) {
        o.trails = !o.trails;
    }
    if keys.just_pressed(KeyCode::KeyQ) {
        o.queues = !o.queues;
    }
}

/// Positions of everyone drawn (walking, queueing, in a lane, standing).
fn visible_positions(world: &mut World) -> Vec<Vec2> {
    let mut q = world.query_filtered::<&Position, (
        With<Agent>,
        Or<(With<Walking>, With<Queued>, With<Screening>, With<Standing>)>,
    )>();
    q.iter(world).map(|p| p.0).collect()
}

/// Samples the viewer's coverage raster from the units free now: at most every 5 s of sim
/// time and every 0.5 s of wall time (at ×64 a sample per frame would cost more than the run).
pub fn refresh_coverage(st: &mut OverlayState, world: &mut World) {
    let t = world.resource::<SimClock>().t();
    if st.coverage.is_none()
        || (t - st.coverage_t).abs() < 5.0
        || st.coverage_wall.is_some_and(|w| w.elapsed().as_secs_f32() < 0.5)
    {
        return;
    }
    st.coverage_wall = Some(std::time::Instant::now());
    let Some(resp) = world.get_resource::<Responders>().cloned() else {
        return;
    };
    let mut q = world.query::<(&Unit, &Position, &Task)>();
    let free = available_units(&resp, q.iter(world));
    let people = visible_positions(world);
    if let Some(c) = st.coverage.as_mut() {
        c.sample(t, (free.0, &free.1), &people);
    }
    st.coverage_t = t;
}

/// Updates the density and coverage textures and their visibility.
#[allow(clippy::type_complexity)]
pub(super) fn update_rasters(
    o: Res<Overlays>,
    mut st: ResMut<OverlayState>,
    mut run: NonSendMut<Run>,
    mut images: ResMut<Assets<Image>>,
    mut density: Query<&mut Visibility, (With<DensitySprite>, Without<CoverageSprite>)>,
    mut coverage: Query<&mut Visibility, (With<CoverageSprite>, Without<DensitySprite>)>,
) {
    let world = run.sim.world_mut();
    let t = world.resource::<SimClock>().t();
    for mut v in &mut density {
        *v = if o.density {
            Visibility::Visible
        } else {
            Visibility::Hidden
        };
    }
    for mut v in &mut coverage {
        *v = if o.coverage.is_some() && st.coverage.is_some() {
            Visibility::Visible
        } else {
            Visibility::Hidden
        };
    }
    if o.density && st.density_t != t {
        let pos = visible_positions(world);
        let m = world.resource::<Metrics>();
        let (_, _, nx, ny) = m.raster();
        let d = m.density_of(pos.into_iter());
        if let Some(mut img) = images.get_mut(&st.density_img) {
            img.data = Some(density_pixels(&d, m.queue_cells(), nx, ny));
        }
        st.density_t = t;
    }
    let before = st.coverage_t;
    refresh_coverage(&mut st, world);
    if let Some(k) = o.coverage
        && (st.coverage_t != before || st.coverage_k != Some(k))
        && let Some(c) = &st.coverage
    {
        let (g, times) = c.times();
        let px = coverage_pixels(times, &g.blocked, g.nx, g.ny, COVERAGE_S[k] as f32);
        if let Some(mut img) = images.get_mut(&st.coverage_img) {
            img.data = Some(px);
        }
        st.coverage_k = Some(k);
    }
}

/// RGBA rows, top row first, of a density raster coloured by Fruin level (empty cells clear):
/// the cells `queue` marks (a checkpoint's pen or holding area) on the queueing scale, the
/// others on the walkway scale, as in the density map.
pub fn density_pixels(d: &[f32], queue: &[bool], nx: usize, ny: usize) -> Vec<u8> {
    let mut px = vec![0u8; nx * ny * 4];
    for y in 0..ny {
        let row = ny - 1 - y;
        for x in 0..nx {
            let v = d[y * nx + x];
            if v > 0.0 {
                let scale = if queue.get(y * nx + x).copied().unwrap_or(false) {
                    Scale::Queueing
                } else {
                    Scale::Walkway
                };
                let c = LOS_COLOURS[scale.level(f64::from(v))];
                let o = (row * nx + x) * 4;
                px[o..o + 4].copy_from_slice(&[c.0, c.1, c.2, 200]);
            }
        }
    }
    px
}

/// RGBA rows, top row first: green where a free unit reaches within `th` seconds, red where not.
pub fn coverage_pixels(times: &[f32], blocked: &[bool], nx: usize, ny: usize, th: f32) -> Vec<u8> {
    let mut px = vec![0u8; nx * ny * 4];
    for y in 0..ny {
        let row = ny - 1 - y;
        for x in 0..nx {
            let i = y * nx + x;
            if blocked[i] {
                continue;
            }
            let o = (row * nx + x) * 4;
            let c = if times[i] <= th {
                [40, 170, 90, 90]
            } else {
                [215, 48, 39, 90]
            };
            px[o..o + 4].copy_from_slice(&c);
        }
    }
    px
}

/// Trails: every `TRAIL_EVERY` s of sim time, the walking visitors of a fixed sample (by id)
/// add a point; the last `TRAIL_POINTS` are drawn, fading.
pub(super) fn trails(o: Res<Overlays>, mut st: ResMut<OverlayState>, run: NonSend<Run>, mut gizmos: Gizmos) {
    if !o.trails {
        st.trails = TrailBook::default();
        return;
    }
    st.trails.record(run.sim.world());
    for tr in st.trails.map.values() {
        let n = tr.len();
        for (k, (a, b)) in tr.iter().zip(tr.iter().skip(1)).enumerate() {
            let alpha = 0.15 + 0.6 * (k + 1) as f32 / n as f32;
            gizmos.line_2d(*a, *b, Color::srgba(0.1, 0.3, 0.8, alpha));
        }
    }
}

/// Wait (s) of the person longest in checkpoint `k`'s queue now.
pub fn head_wait(state: &CheckpointState, k: usize, t: f64) -> f64 {
    state.queues[k]
        .waiting()
        .map(|(_, _, w)| t - w.joined)
        .fold(0.0, f64::max)
}

/// Colour of a wait: green under 10 min, amber to 30 min (the Import Expo's target), red beyond.
pub fn wait_colour(wait_s: f64) -> Color {
    if wait_s < 600.0 {
        Color::srgb(0.1, 0.65, 0.3)
    } else if wait_s < 1800.0 {
        Color::srgb(0.95, 0.6, 0.0)
    } else {
        Color::srgb(0.85, 0.1, 0.1)
    }
}

/// Queue bars: from each checkpoint out along its queue, 0.5 m per person queueing (at most
/// 150 m), coloured by the longest wait in it now.
pub(super) fn queue_bars(o: Res<Overlays>, run: NonSend<Run>, mut gizmos: Gizmos) {
    if !o.queues {
        return;
    }
    let w = run.sim.world();
    let t = w.resource::<SimClock>().t();
    let Some(state) = w.get_resource::<CheckpointState>() else {
        return;
    };
    for (k, cp) in run.venue.security.checkpoints.iter().enumerate() {
        let q = state.queue_length(k);
        if q == 0 {
            continue;
        }
        let len = (q as f32 * 0.5).min(150.0);
        let dir = cp.qdir.normalize_or(-cp.out);
        let side = dir.perp() * 1.2;
        let c = wait_colour(head_wait(state, k, t));
        let a = cp.pos + dir * 1.0;
        let b = a + dir * len;
        for off in [-side, Vec2::ZERO, side] {
            gizmos.line_2d(a + off, b + off, c);
        }
    }
}

/// The legend's text for the current overlays.
pub fn legend(o: &Overlays, coverage_t: Option<f64>) -> String {
    let on = |b: bool| if b { "on " } else { "off" };
    let mut s = String::from(
        "visitors: blue walking · purple leaving · orange queueing · red in a lane · green standing\n\
         units: square foot · circle bike · rect vehicle · cross medical · big square post · small circle volunteer\n\
         incidents: circle yellow (new) to red (5 min); double ring until a unit arrives\n",
    );
    s += &format!(
        "[D] density {}  Fruin LOS A·B·C·D·E·F per m² ≤0.31·0.43·0.72·1.08·2.17·>2.17\n",
        on(o.density)
    );
    s += &format!(
        "[C] coverage {}{}\n",
        o.coverage.map_or("off".to_string(), |k| format!(
            "{} s: green = a free unit reaches within {} s, red = not",
            COVERAGE_S[k], COVERAGE_S[k]
        )),
        coverage_t.map_or(String::new(), |t| format!(" (sampled at +{t:.0} s)"))
    );
    s += &format!(
        "[T] trails {}  [Q] queue bars {} (0.5 m per person; green <10 min, amber <30, red)",
        on(o.trails),
        on(o.queues)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_names_parse_and_a_wrong_one_is_named() {
        let o = Overlays::parse(&["density,trails".into(), "coverage60".into()]).unwrap();
        assert_eq!(
            o,
            Overlays {
                density: true,
                coverage: Some(0),
                trails: true,
                queues: false
            }
        );
        let e = Overlays::parse(&["heat".into()]).unwrap_err().to_string();
        assert!(e.contains("`heat`"), "{e}");
    }

    #[test]
    fn density_pixels_follow_fruin_levels_with_the_top_row_first() {
        // 2 x 2 raster: bottom-left empty, bottom-right LOS A, top-left LOS F, top-right LOS D
        let d = [0.0, 0.2, 3.0, 1.0];
        let px = density_pixels(&d, &[false; 4], 2, 2);
        let at = |row: usize, col: usize| &px[(row * 2 + col) * 4..(row * 2 + col) * 4 + 4];
        let rgb = |c: plotters::style::RGBColor| [c.0, c.1, c.2, 200];
        assert_eq!(at(1, 0), [0, 0, 0, 0]);
        assert_eq!(at(1, 1), rgb(LOS_COLOURS[0]));
        assert_eq!(at(0, 0), rgb(LOS_COLOURS[5]));
        assert_eq!(at(0, 1), rgb(LOS_COLOURS[crate::metrics::fruin_level(1.0)]));
        // in a queueing pen 3 /m² (0.33 m² each) is queueing level D, not walkway F
        let px = density_pixels(&d, &[false, false, true, false], 2, 2);
        assert_eq!(&px[0..4], &rgb(LOS_COLOURS[3]));
    }

    #[test]
    fn coverage_pixels_split_at_the_threshold_and_skip_walls() {
        let times = [30.0, 200.0, f32::INFINITY, 10.0];
        let blocked = [false, false, false, true];
        let px = coverage_pixels(&times, &blocked, 2, 2, 180.0);
        // bottom row (y = 0) is the second texture row
        assert_eq!(&px[8..12], &[40, 170, 90, 90]);
        assert_eq!(&px[12..16], &[215, 48, 39, 90]);
        assert_eq!(&px[0..4], &[215, 48, 39, 90]);
        assert_eq!(&px[4..8], &[0, 0, 0, 0]);
    }
}
