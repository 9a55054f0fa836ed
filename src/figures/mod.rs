//! Figures and the HTML page of a run: owns the PNG rendering of the report (venue map with peak
//! density by Fruin level of service, coverage maps, response-time CDF, queues and entering
//! throughput over time) and the self-contained `report.html` that shows them with the headline
//! table. Everything drawn comes from the finished world and its [`Report`]; nothing is invented.
//!
//! Maps are rasterised straight into an RGB buffer (one colour per cell), then walls, rings,
//! checkpoints and text are drawn over it with plotters; charts use plotters' chart builder. The
//! font (DejaVu Sans) is embedded, so no system library or font is needed.

pub mod html;

use crate::error::{CordonError, Result};
use crate::metrics::{Metrics, Scale};
use crate::report::Report;
use crate::responders::coverage::Coverage;
use crate::scenario::model::ClockTime;
use crate::schedule::SimClock;
use crate::venue::Venue;
use bevy::math::Vec2;
use bevy::prelude::World;
use plotters::prelude::*;
use plotters::style::FontStyle;
use std::sync::Once;

/// One rendered figure.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File name (`density_map.png`, ...).
    pub file: String,
    /// Title shown in the HTML page.
    pub title: String,
    /// What it shows, one sentence.
    pub caption: String,
    /// PNG bytes.
    pub png: Vec<u8>,
}

const FONT: &str = "sans-serif";
/// DejaVu Sans (licence beside it in assets/fonts), for figures and the viewer.
pub static FONT_BYTES: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_font() {
    REGISTER.call_once(|| {
        // the embedded font is valid; if registration ever failed, text would just be missing
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, FONT_BYTES);
    });
}

/// Fruin walkway level-of-service colours, A to F.
pub const LOS_COLOURS: [RGBColor; 6] = [
    RGBColor(26, 152, 80),
    RGBColor(145, 207, 96),
    RGBColor(217, 239, 139),
    RGBColor(254, 224, 139),
    RGBColor(252, 141, 89),
    RGBColor(215, 48, 39),
];
const WALL: RGBColor = RGBColor(90, 90, 90);
const BLOCKED: RGBColor = RGBColor(200, 200, 200);
const FREE: RGBColor = RGBColor(248, 248, 248);
const RING: RGBColor = RGBColor(40, 70, 200);
const SERIES: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn err(file: &str, e: impl std::fmt::Display) -> CordonError {
    CordonError::Figure {
        file: file.to_string(),
        message: e.to_string(),
    }
}

/// Encodes an RGB buffer as PNG.
fn encode_png(file: &str, buf: &[u8], w: u32, h: u32) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut writer = enc.write_header().map_err(|e| err(file, e))?;
    writer.write_image_data(buf).map_err(|e| err(file, e))?;
    writer.finish().map_err(|e| err(file, e))?;
    Ok(out)
}

/// Renders every figure the run has data for.
pub fn render(world: &World, report: &Report) -> Result<Vec<Figure>> {
    register_font();
    let mut out = vec![density_map(world, report)?];
    if let Some(f) = coverage_map(world)? {
        out.push(f);
    }
    if let Some(f) = response_cdf(report)? {
        out.push(f);
    }
    let start = world.resource::<SimClock>().start;
    if let Some(f) = queues(report, start)? {
        out.push(f);
    }
    if let Some(f) = throughput(world, report, start)? {
        out.push(f);
    }
    if let Some(f) = hall_occupancy(report, start)? {
        out.push(f);
    }
    Ok(out)
}

/// Pixel mapping of a map panel: venue metres to pixels, y up.
#[derive(Clone, Copy)]
struct Frame {
    min: Vec2,
    max: Vec2,
    left: i32,
    top: i32,
    scale: f32,
}

impl Frame {
    fn new(min: Vec2, max: Vec2, left: i32, top: i32, width: i32, height: i32) -> Frame {
        let size = (max - min).max(Vec2::splat(1e-3));
        let scale = (width as f32 / size.x).min(height as f32 / size.y);
        Frame {
            min,
            max,
            left,
            top,
            scale,
        }
    }

    fn px(&self, p: Vec2) -> (i32, i32) {
        (
            self.left + ((p.x - self.min.x) * self.scale).round() as i32,
            self.top + ((self.max.y - p.y) * self.scale).round() as i32,
        )
    }

    fn size(&self) -> (i32, i32) {
        (
            ((self.max.x - self.min.x) * self.scale).ceil() as i32,
            ((self.max.y - self.min.y) * self.scale).ceil() as i32,
        )
    }

    /// Venue point at the centre of pixel (x, y).
    fn point(&self, x: i32, y: i32) -> Vec2 {
        Vec2::new(
            self.min.x + (x - self.left) as f32 / self.scale + 0.5 / self.scale,
            self.max.y - (y - self.top) as f32 / self.scale - 0.5 / self.scale,
        )
    }

    /// Fills every pixel of the panel with `colour(point)`.
    fn fill(&self, buf: &mut [u8], w: u32, colour: impl Fn(Vec2) -> RGBColor) {
        let (pw, ph) = self.size();
        for y in self.top..self.top + ph {
            for x in self.left..self.left + pw {
                let c = colour(self.point(x, y));
                let i = (y as usize * w as usize + x as usize) * 3;
                if i + 2 < buf.len() {
                    buf[i] = c.0;
                    buf[i + 1] = c.1;
                    buf[i + 2] = c.2;
                }
            }
        }
    }
}

/// Colour of the walkable raster at `p` (free or blocked), used under every map.
fn base_colour(venue: &Venue, p: Vec2) -> Option<RGBColor> {
    match venue.grid.cell_of(p) {
        Some(i) if venue.grid.blocked[i] => Some(BLOCKED),
        Some(_) => None,
        None => Some(BLOCKED),
    }
}

/// Exit doors on the maps (exit-sign green).
const DOOR: RGBColor = RGBColor(0, 150, 70);

/// Walls, obstacles, rings, exit doors and checkpoints over a map panel.
fn draw_venue<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    venue: &Venue,
    f: &Frame,
    labels: bool,
) where
    DB::ErrorType: 'static,
{
    for o in &venue.obstacles {
        let pts: Vec<(i32, i32)> = o.iter().map(|p| f.px(*p)).collect();
        let _ = area.draw(&Polygon::new(pts, BLOCKED.filled()));
    }
    for s in &venue.walls.segments {
        let _ = area.draw(&PathElement::new(vec![f.px(s.a), f.px(s.b)], WALL.stroke_width(1)));
    }
    let sec = &venue.security;
    for r in &sec.rings {
        for e in r.edges() {
            let _ = area.draw(&PathElement::new(vec![f.px(e.a), f.px(e.b)], RING.stroke_width(2)));
        }
    }
    for d in &sec.doors {
        // an exit door: its opening in exit-sign green
        let _ = area.draw(&PathElement::new(vec![f.px(d.a), f.px(d.b)], DOOR.stroke_width(3)));
    }
    let font = TextStyle::from((FONT, 11).into_font()).color(&BLACK);
    for cp in &sec.checkpoints {
        let (x, y) = f.px(cp.pos);
        let _ = area.draw(&Rectangle::new([(x - 3, y - 3), (x + 3, y + 3)], BLACK.filled()));
        if labels {
            let _ = area.draw(&Text::new(
                format!("{} ({})", cp.name, cp.lanes),
                (x + 5, y - 12),
                font.clone(),
            ));
        }
    }
}

fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    at: (i32, i32),
    items: &[(RGBColor, String)],
) where
    DB::ErrorType: 'static,
{
    let font = TextStyle::from((FONT, 13).into_font()).color(&BLACK);
    let mut x = at.0;
    for (c, label) in items {
        let _ = area.draw(&Rectangle::new([(x, at.1), (x + 14, at.1 + 14)], c.filled()));
        let _ = area.draw(&Rectangle::new([(x, at.1), (x + 14, at.1 + 14)], BLACK.stroke_width(1)));
        let _ = area.draw(&Text::new(label.clone(), (x + 18, at.1), font.clone()));
        x += 26 + 8 * label.chars().count() as i32;
    }
}

/// Map canvas size for a venue: 1200 px wide at most, with room for a title and a legend.
fn map_size(venue: &Venue, panels: i32) -> (u32, u32, i32, i32) {
    let size = (venue.max - venue.min).max(Vec2::splat(1e-3));
    let pw = (1200 / panels).max(300);
    let ph = ((pw as f32) * size.y / size.x).clamp(200.0, 1000.0) as i32;
    ((pw * panels + 20 * (panels + 1)) as u32, (ph + 90) as u32, pw, ph)
}

fn density_map(world: &World, report: &Report) -> Result<Figure> {
    const FILE: &str = "density_map.png";
    let venue = world.resource::<Venue>();
    let metrics = world.resource::<Metrics>();
    let (origin, dc, dnx, dny, peak) = metrics.peak_raster();
    let queue_cell = metrics.queue_cells();
    let (w, h, pw, ph) = map_size(venue, 1);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    let f = Frame::new(venue.min, venue.max, 20, 40, pw, ph);
    f.fill(&mut buf, w, |p| {
        if let Some(c) = base_colour(venue, p) {
            return c;
        }
        let x = ((p.x - origin.x) / dc) as usize;
        let y = ((p.y - origin.y) / dc) as usize;
        if x >= dnx || y >= dny {
            return FREE;
        }
        let d = peak[y * dnx + x];
        // a pen's or holding area's cells on Fruin's queueing scale, the others as walkways
        let scale = if queue_cell.get(y * dnx + x).copied().unwrap_or(false) {
            Scale::Queueing
        } else {
            Scale::Walkway
        };
        if d <= 0.0 {
            FREE
        } else {
            LOS_COLOURS[scale.level(f64::from(d))]
        }
    });
    {
        let area = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        draw_venue(&area, venue, &f, true);
        let title = TextStyle::from((FONT, 18).into_font()).color(&BLACK);
        let peak_zone = report
            .zones
            .iter()
            .max_by(|a, b| a.peak_density.total_cmp(&b.peak_density));
        let sub = peak_zone.map_or(String::new(), |z| {
            format!(
                " · highest zone peak {:.2} /m² ({}) in {}",
                z.peak_density, z.peak_los, z.name
            )
        });
        let _ = area.draw(&Text::new(
            format!("Peak density per {dc} m cell, Fruin level of service (queueing scale in pens){sub}"),
            (20, 10),
            title,
        ));
        let names = ["A", "B", "C", "D", "E", "F"];
        let bounds = ["<0.31", "0.31–0.43", "0.43–0.72", "0.72–1.08", "1.08–2.17", ">2.17"];
        let queue = ["<0.83", "0.83–1.08", "1.08–1.54", "1.54–3.57", "3.57–5.26", ">5.26"];
        let items: Vec<(RGBColor, String)> = (0..6)
            .map(|k| (LOS_COLOURS[k], format!("{} {} | {}", names[k], bounds[k], queue[k])))
            .chain([
                (FREE, "never occupied".to_string()),
                (BLOCKED, "wall / building".to_string()),
                (WHITE, "persons/m²: walkway | queueing (pens)".to_string()),
            ])
            .collect();
        legend(&area, (20, 40 + ph + 12), &items[..6]);
        legend(&area, (20, 40 + ph + 34), &items[6..]);
        area.present().map_err(|e| err(FILE, e))?;
    }
    Ok(Figure {
        file: FILE.into(),
        title: "Peak density".into(),
        caption: format!(
            "Highest density each {dc} m cell reached during the run, coloured by Fruin's level of service (cells in a checkpoint's pen or holding area on his queueing scale, in brackets in the legend; the others on the walkway scale); rings in blue, exit doors in green, checkpoints as black squares with their lane counts."
        ),
        png: encode_png(FILE, &buf, w, h)?,
    })
}

const COV_BANDS: [(f32, RGBColor, &str); 4] = [
    (60.0, RGBColor(0, 104, 55), "≤ 60 s"),
    (180.0, RGBColor(102, 189, 99), "≤ 180 s"),
    (300.0, RGBColor(254, 224, 139), "≤ 300 s"),
    (f32::INFINITY, RGBColor(215, 48, 39), "> 300 s"),
];

fn share_colour(s: f32) -> RGBColor {
    // red (never) → yellow (half the time) → green (always)
    let s = s.clamp(0.0, 1.0);
    let lerp = |a: u8, b: u8, t: f32| (f32::from(a) + (f32::from(b) - f32::from(a)) * t).round() as u8;
    let (r, y, g) = ((215u8, 48u8, 39u8), (254u8, 224u8, 139u8), (26u8, 152u8, 80u8));
    if s < 0.5 {
        let t = s / 0.5;
        RGBColor(lerp(r.0, y.0, t), lerp(r.1, y.1, t), lerp(r.2, y.2, t))
    } else {
        let t = (s - 0.5) / 0.5;
        RGBColor(lerp(y.0, g.0, t), lerp(y.1, g.1, t), lerp(y.2, g.2, t))
    }
}

fn coverage_map(world: &World) -> Result<Option<Figure>> {
    const FILE: &str = "coverage_map.png";
    let Some(cov) = world.get_resource::<Coverage>() else {
        return Ok(None);
    };
    let Some(maps) = cov.maps() else {
        return Ok(None);
    };
    let venue = world.resource::<Venue>();
    let clock = world.resource::<SimClock>();
    let (w, h, pw, ph) = map_size(venue, 2);
    let mut buf = vec![255u8; (w * h * 3) as usize];
    let g = maps.grid;
    let cell = |p: Vec2| -> Option<usize> { g.cell_of(p).filter(|&i| !g.blocked[i]) };
    let f1 = Frame::new(venue.min, venue.max, 20, 40, pw, ph);
    let f2 = Frame::new(venue.min, venue.max, 40 + pw, 40, pw, ph);
    f1.fill(&mut buf, w, |p| match (base_colour(venue, p), cell(p)) {
        (Some(c), _) => c,
        (None, None) => FREE,
        (None, Some(i)) => {
            let t = maps.worst[i];
            if t.is_finite() {
                COV_BANDS.iter().find(|b| t <= b.0).map_or(COV_BANDS[3].1, |b| b.1)
            } else {
                RGBColor(120, 0, 0)
            }
        }
    });
    f2.fill(&mut buf, w, |p| match (base_colour(venue, p), cell(p)) {
        (Some(c), _) => c,
        (None, None) => FREE,
        (None, Some(i)) => share_colour(maps.share[i]),
    });
    let th = maps.threshold_s;
    {
        let area = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        draw_venue(&area, venue, &f1, false);
        draw_venue(&area, venue, &f2, false);
        let title = TextStyle::from((FONT, 16).into_font()).color(&BLACK);
        let _ = area.draw(&Text::new(
            format!(
                "Worst moment ({}): travel time of the nearest free unit",
                ClockTime(clock.start + maps.worst_t).hms()
            ),
            (20, 12),
            title.clone(),
        ));
        let _ = area.draw(&Text::new(
            format!("Average: share of the time within {th} s"),
            (40 + pw, 12),
            title,
        ));
        let mut items: Vec<(RGBColor, String)> = COV_BANDS.iter().map(|b| (b.1, b.2.to_string())).collect();
        items.push((RGBColor(120, 0, 0), "unreachable".into()));
        legend(&area, (20, 40 + ph + 12), &items);
        let shares: Vec<(RGBColor, String)> = [0.0f32, 0.25, 0.5, 0.75, 1.0]
            .iter()
            .map(|&s| (share_colour(s), format!("{:.0}%", s * 100.0)))
            .collect();
        legend(&area, (40 + pw, 40 + ph + 12), &shares);
        area.present().map_err(|e| err(FILE, e))?;
    }
    Ok(Some(Figure {
        file: FILE.into(),
        title: format!("Coverage at {th} s"),
        caption: format!(
            "Left: how long the nearest free responder needs to reach each place at the sample with the lowest area coverage within {th} s. Right: the share of coverage samples in which each place was within {th} s."
        ),
        png: encode_png(FILE, &buf, w, h)?,
    }))
}

fn chart_canvas() -> (u32, u32, Vec<u8>) {
    let (w, h) = (1000u32, 500u32);
    (w, h, vec![255u8; (w * h * 3) as usize])
}

/// Axis label of a clock time given in hours after midnight (the axis is in hours so the tick
/// marks fall on round clock times).
fn hhmm(hours: &f64) -> String {
    let s = ClockTime(hours * 3600.0).hms();
    s.get(..5).map_or(s.clone(), |x| x.to_string())
}

fn response_cdf(report: &Report) -> Result<Option<Figure>> {
    const FILE: &str = "response_cdf.png";
    let Some(r) = &report.response else {
        return Ok(None);
    };
    let mut times: Vec<f64> = r.incidents.iter().filter_map(|i| i.response_s).collect();
    times.sort_by(f64::total_cmp);
    let n = times.len() as f64;
    let marks = &r.thresholds_s;
    let xmax = times
        .last()
        .copied()
        .unwrap_or(0.0)
        .max(marks.iter().copied().fold(0.0, f64::max))
        * 1.05
        + 1.0;
    let (w, h, mut buf) = chart_canvas();
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "Response time (report → first unit on scene), {} incidents",
                    times.len()
                ),
                (FONT, 18),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..xmax, 0f64..1.0f64)
            .map_err(|e| err(FILE, e))?;
        chart
            .configure_mesh()
            .x_desc("response time, s")
            .y_desc("share of incidents answered within")
            .x_label_formatter(&|x| format!("{x:.0}"))
            .label_style((FONT, 13))
            .draw()
            .map_err(|e| err(FILE, e))?;
        if times.is_empty() {
            chart
                .draw_series(std::iter::once(Text::new(
                    "no incident was answered in this run",
                    (xmax * 0.3, 0.5),
                    (FONT, 18).into_font(),
                )))
                .map_err(|e| err(FILE, e))?;
        } else {
            let mut pts = vec![(0.0, 0.0)];
            for (k, t) in times.iter().enumerate() {
                pts.push((*t, k as f64 / n));
                pts.push((*t, (k + 1) as f64 / n));
            }
            pts.push((xmax, 1.0));
            chart
                .draw_series(LineSeries::new(pts, SERIES[0].stroke_width(2)))
                .map_err(|e| err(FILE, e))?;
        }
        for (k, &m) in marks.iter().enumerate() {
            let share = r.overall.within.get(k).copied().unwrap_or(0.0);
            chart
                .draw_series(LineSeries::new(vec![(m, 0.0), (m, 1.0)], SERIES[3].stroke_width(1)))
                .map_err(|e| err(FILE, e))?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{m} s: {:.0}%", share * 100.0),
                    // labels near the right edge go left of their line
                    (
                        if m > 0.85 * xmax {
                            m - 0.1 * xmax
                        } else {
                            m + 0.005 * xmax
                        },
                        0.08 + 0.07 * k as f64,
                    ),
                    (FONT, 13).into_font(),
                )))
                .map_err(|e| err(FILE, e))?;
        }
        root.present().map_err(|e| err(FILE, e))?;
    }
    Ok(Some(Figure {
        file: FILE.into(),
        title: "Response times".into(),
        caption: "Cumulative distribution of the response time of every answered incident; vertical lines mark the response-time thresholds with the share answered within each.".into(),
        png: encode_png(FILE, &buf, w, h)?,
    }))
}

/// Where the timeline's actions fired (s after the start) and their labels: the entry's number,
/// "off" for an undoing.
fn marks(report: &Report) -> Vec<(f64, String)> {
    report
        .timeline
        .iter()
        .map(|a| {
            let label = if a.undo {
                format!("{} off", a.entry)
            } else {
                a.entry.to_string()
            };
            (a.t_s, label)
        })
        .collect()
}

/// Line chart of several named series over clock time; grey lines at `marks` (the timeline's
/// actions).
pub fn time_chart(
    file: &str,
    caption: &str,
    y_desc: &str,
    start: f64,
    lines: &[(String, Vec<(f64, f64)>)],
    marks: &[(f64, String)],
) -> Result<Vec<u8>> {
    register_font();
    // x in hours after midnight
    let hours = |t: f64| (start + t) / 3600.0;
    let xmin = hours(0.0);
    let xmax = lines
        .iter()
        .flat_map(|l| l.1.iter().map(|p| p.0))
        .fold(1.0, f64::max)
        .max(1.0);
    let xmax = hours(xmax);
    let ymax = lines.iter().flat_map(|l| l.1.iter().map(|p| p.1)).fold(1.0, f64::max) * 1.08;
    let (w, h, mut buf) = chart_canvas();
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, (FONT, 18))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(65)
            .build_cartesian_2d(xmin..xmax, 0f64..ymax)
            .map_err(|e| err(file, e))?;
        chart
            .configure_mesh()
            .x_desc("clock time")
            .y_desc(y_desc)
            .x_label_formatter(&hhmm)
            .y_label_formatter(&|y| format!("{y:.0}"))
            .label_style((FONT, 13))
            .draw()
            .map_err(|e| err(file, e))?;
        for (k, (name, pts)) in lines.iter().enumerate() {
            let c = SERIES[k % SERIES.len()];
            let s = chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|p| (hours(p.0), p.1)),
                    c.stroke_width(2),
                ))
                .map_err(|e| err(file, e))?;
            if k < 12 {
                s.label(name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            }
        }
        // the timeline's actions: a grey line each, labelled with its entry
        for (t, label) in marks {
            let x = hours(*t);
            if !(xmin..=xmax).contains(&x) {
                continue;
            }
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, 0.0), (x, ymax)],
                    RGBColor(110, 110, 110).stroke_width(1),
                )))
                .map_err(|e| err(file, e))?;
            chart
                .draw_series(std::iter::once(Text::new(label.clone(), (x, ymax * 0.99), (FONT, 11))))
                .map_err(|e| err(file, e))?;
        }
        chart
            .configure_series_labels()
            .label_font((FONT, 12))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(|e| err(file, e))?;
        root.present().map_err(|e| err(file, e))?;
    }
    encode_png(file, &buf, w, h)
}

fn queues(report: &Report, start: f64) -> Result<Option<Figure>> {
    const FILE: &str = "queues.png";
    let Some(sec) = &report.security else {
        return Ok(None);
    };
    // the longest queues first, so they get the legend and the distinct colours
    let mut cps: Vec<_> = sec.checkpoints.iter().collect();
    cps.sort_by(|a, b| b.queue_max.cmp(&a.queue_max).then(a.name.cmp(&b.name)));
    let lines: Vec<(String, Vec<(f64, f64)>)> = cps
        .iter()
        .map(|c| {
            let pts = c
                .queue_series
                .iter()
                .zip(&report.series)
                .map(|(q, row)| (row.t, *q as f64))
                .collect();
            (c.name.clone(), pts)
        })
        .collect();
    let png = time_chart(
        FILE,
        "Queue length per checkpoint",
        "persons queueing",
        start,
        &lines,
        &marks(report),
    )?;
    Ok(Some(Figure {
        file: FILE.into(),
        title: "Queues".into(),
        caption: format!(
            "Persons waiting in each checkpoint's queue (not yet in a lane) at every sample; the {} longest are named. Grey lines mark the timeline's actions (their entry number; \"off\": undone).",
            lines.len().min(12)
        ),
        png,
    }))
}

fn hall_occupancy(report: &Report, start: f64) -> Result<Option<Figure>> {
    const FILE: &str = "hall_occupancy.png";
    if report.halls.is_empty() {
        return Ok(None);
    }
    // the fullest halls by peak against capacity, at most 12
    let mut halls: Vec<_> = report.halls.iter().collect();
    halls.sort_by(|a, b| {
        let share = |h: &crate::report::HallReport| h.peak_occupancy as f64 / h.capacity.max(1) as f64;
        share(b).total_cmp(&share(a)).then(a.name.cmp(&b.name))
    });
    halls.truncate(12);
    let lines: Vec<(String, Vec<(f64, f64)>)> = halls
        .iter()
        .map(|h| {
            let pts = h
                .occupancy_series
                .iter()
                .zip(&report.series)
                .map(|(n, row)| (row.t, *n as f64))
                .collect();
            (format!("{} (licensed {})", h.name, h.capacity), pts)
        })
        .collect();
    let png = time_chart(
        FILE,
        "Occupants per hall",
        "persons inside",
        start,
        &lines,
        &marks(report),
    )?;
    Ok(Some(Figure {
        file: FILE.into(),
        title: "Hall occupancy".into(),
        caption: format!(
            "Occupants of each hall at every sample against its licensed capacity (in the legend); the {} fullest are drawn. At capacity admission stops and newcomers wait outside (report.json halls[]: waiting, wait_s).",
            lines.len()
        ),
        png,
    }))
}

fn throughput(world: &World, report: &Report, start: f64) -> Result<Option<Figure>> {
    const FILE: &str = "throughput.png";
    let Some(sec) = &report.security else {
        return Ok(None);
    };
    let interval = world.resource::<Metrics>().settings.series_interval;
    let venue = world.resource::<Venue>();
    let mut lines = Vec::new();
    for ring in &venue.security.rings {
        let cps: Vec<_> = sec.checkpoints.iter().filter(|c| c.ring == ring.name).collect();
        let bins = cps.iter().map(|c| c.throughput_series_per_h.len()).max().unwrap_or(0);
        if bins == 0 {
            continue;
        }
        let pts = (0..bins)
            .map(|k| {
                let sum: f64 = cps
                    .iter()
                    .map(|c| c.throughput_series_per_h.get(k).copied().unwrap_or(0.0))
                    .sum();
                ((k as f64 + 0.5) * interval, sum)
            })
            .collect();
        lines.push((
            format!("{} ({} lanes)", ring.name, cps.iter().map(|c| c.lanes).sum::<u64>()),
            pts,
        ));
    }
    if lines.is_empty() {
        return Ok(None);
    }
    let png = time_chart(
        FILE,
        "Persons entering through each ring",
        "persons per hour",
        start,
        &lines,
        &marks(report),
    )?;
    Ok(Some(Figure {
        file: FILE.into(),
        title: "Entering throughput".into(),
        caption: format!(
            "Persons screened and let through per hour at all checkpoints of each ring, in {interval} s bins."
        ),
        png,
    }))
}

/// One line of a sweep chart: its name and, per x position, (mean, CI low, CI high).
pub type SweepSeries = (String, Vec<(usize, f64, f64, f64)>);

/// A metric against a swept parameter: the mean per sweep value with its 95% confidence band,
/// one line per combination of the other swept parameters (`cordon batch`).
pub fn sweep_chart(
    file: &str,
    caption: &str,
    x_desc: &str,
    x_labels: &[String],
    series: &[SweepSeries],
) -> Result<Vec<u8>> {
    register_font();
    let n = x_labels.len().max(1);
    let (lo, hi) = series
        .iter()
        .flat_map(|s| s.1.iter())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.2), b.max(p.3)));
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let pad = ((hi - lo) * 0.08).max(1e-6 + lo.abs() * 0.02);
    let (ymin, ymax) = (lo - pad, hi + pad);
    let (w, h, mut buf) = chart_canvas();
    {
        let root = BitMapBackend::with_buffer(&mut buf, (w, h)).into_drawing_area();
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, (FONT, 18))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(75)
            .build_cartesian_2d(-0.3f64..(n as f64 - 0.7), ymin..ymax)
            .map_err(|e| err(file, e))?;
        let labels = x_labels.to_vec();
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc("mean, 95% confidence band")
            .x_labels(n.min(12))
            .x_label_formatter(&move |x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .label_style((FONT, 13))
            .draw()
            .map_err(|e| err(file, e))?;
        for (k, (name, pts)) in series.iter().enumerate() {
            let c = SERIES[k % SERIES.len()];
            let band: Vec<(f64, f64)> = pts
                .iter()
                .map(|p| (p.0 as f64, p.3))
                .chain(pts.iter().rev().map(|p| (p.0 as f64, p.2)))
                .collect();
            chart
                .draw_series(std::iter::once(Polygon::new(band, c.mix(0.18).filled())))
                .map_err(|e| err(file, e))?;
            chart
                .draw_series(pts.iter().map(|p| Circle::new((p.0 as f64, p.1), 4, c.filled())))
                .map_err(|e| err(file, e))?;
            let s = chart
                .draw_series(LineSeries::new(
                    pts.iter().map(|p| (p.0 as f64, p.1)),
                    c.stroke_width(2),
                ))
                .map_err(|e| err(file, e))?;
            if !name.is_empty() && k < 12 {
                s.label(name.clone())
                    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            }
        }
        if series.iter().any(|s| !s.0.is_empty()) {
            chart
                .configure_series_labels()
                .label_font((FONT, 12))
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(|e| err(file, e))?;
        }
        root.present().map_err(|e| err(file, e))?;
    }
    encode_png(file, &buf, w, h)
}
