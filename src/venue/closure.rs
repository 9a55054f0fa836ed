//! Areas closed to the crowd while the contingency timeline says so (a cordon round a suspicious
//! object, a zone shut): the floor fields are computed again with the areas' raster cells
//! blocked, so every route, and every choice of crossing by walking time, goes round them; those
//! inside walk out by the shortest way (an escape field from the areas' edges) and then on round
//! them. A target or crossing that only the closed area leads to is out of reach while it is
//! closed: those heading there stop at its edge.

use super::field::{FloorField, SampleMemo};
use super::{Shape, Venue};
use bevy::math::Vec2;
use std::sync::Arc;

/// The areas closed now, on the raster.
#[derive(Debug, Clone)]
pub struct ClosedAreas {
    /// The areas.
    pub areas: Vec<Shape>,
    /// Per raster cell, whether it lies in a closed area.
    pub inside: Vec<bool>,
    /// The shortest way out of the areas (cost 0 on the free cells round their edges).
    pub escape: FloorField,
}

impl ClosedAreas {
    /// The direction out of the closed areas at `p`, if `p` lies in one (None outside them or
    /// where the way out is unknown).
    #[inline]
    pub fn way_out(&self, grid: &super::grid::NavGrid, p: Vec2) -> Option<Vec2> {
        let i = grid.cell_of(p)?;
        if !*self.inside.get(i)? {
            return None;
        }
        let mut memo = SampleMemo::default();
        let (_, d) = self.escape.sample_memo(grid, p, 0, 0, 0, &mut memo);
        (d != Vec2::ZERO).then_some(d)
    }

    /// Whether `p` lies in a closed area.
    pub fn contains(&self, p: Vec2) -> bool {
        self.areas.iter().any(|a| a.contains(p))
    }
}

/// The venue's floor fields with `areas` closed (none: the fields as built, `base`), and the
/// closed areas on the raster.
pub fn fields_round(
    venue: &Venue,
    base: &[Arc<FloorField>],
    areas: &[Shape],
) -> (Vec<Arc<FloorField>>, Option<Arc<ClosedAreas>>) {
    if areas.is_empty() {
        return (base.to_vec(), None);
    }
    let grid = &venue.grid;
    let mut inside = vec![false; grid.nx * grid.ny];
    for a in areas {
        for i in a.cells(grid) {
            if let Some(x) = inside.get_mut(i) {
                *x = true;
            }
        }
    }
    let mut masked = grid.clone();
    for (b, &x) in masked.blocked.iter_mut().zip(&inside) {
        *b |= x;
    }
    let fields = super::cache::compute_all(&masked, &venue.goals, &venue.security.region, venue.buffers)
        .into_iter()
        .map(Arc::new)
        .collect();
    // the way out: from the free cells next to the areas, over the areas' cells
    let mut edge: Vec<usize> = Vec::new();
    for (i, &x) in inside.iter().enumerate() {
        if x || grid.blocked[i] {
            continue;
        }
        let (cx, cy) = (i % grid.nx, i / grid.nx);
        let near = (cy.saturating_sub(1)..=(cy + 1).min(grid.ny - 1))
            .any(|y| (cx.saturating_sub(1)..=(cx + 1).min(grid.nx - 1)).any(|x| inside[y * grid.nx + x]));
        if near {
            edge.push(i);
        }
    }
    let centre = |c: Vec2| {
        areas
            .iter()
            .map(Shape::center)
            .min_by(|a, b| a.distance_squared(c).total_cmp(&b.distance_squared(c)))
            .unwrap_or(c)
    };
    let escape = FloorField::compute_from(
        grid,
        &edge,
        &|i| !grid.blocked[i] && (inside[i] || edge.binary_search(&i).is_ok()),
        venue.buffers,
        &|c| (c - centre(c)).normalize_or_zero(),
    );
    (
        fields,
        Some(Arc::new(ClosedAreas {
            areas: areas.to_vec(),
            inside,
            escape,
        })),
    )
}
