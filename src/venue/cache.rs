//! Floor fields kept between validations: an explicit value owned by whoever validates the same
//! venue again and again (the viewer's hot reload, a batch's sweep points), so every field whose
//! raster, target shape and wall and corner buffers are unchanged is shared instead of computed again.

use super::field::{Buffers, FieldGoal, FloorField};
use super::grid::NavGrid;
use std::sync::Arc;

/// The fields of the latest [`FieldCache::fields`] call, keyed by what each one reads.
#[derive(Debug, Default)]
pub struct FieldCache {
    grid_key: u64,
    buffers: (u32, u32),
    fields: Vec<(FieldGoal, Arc<FloorField>)>,
    reused: usize,
}

impl FieldCache {
    /// An empty cache.
    pub fn new() -> FieldCache {
        FieldCache::default()
    }

    /// Fields taken from the cache instead of computed, over this cache's life.
    pub fn reused(&self) -> usize {
        self.reused
    }

    /// The floor field towards each goal: from the cache where the last call had the same
    /// raster, buffers and goal (a reused field is the very same field), else computed
    /// (`region`: the raster's walkable regions, which a way through a door keeps to). The
    /// cache then holds this call's fields (shared, not copied).
    pub fn fields(
        &mut self,
        grid: &NavGrid,
        shapes: &[FieldGoal],
        region: &[u32],
        buffers: Buffers,
    ) -> Vec<Arc<FloorField>> {
        let key = grid_key(grid);
        if key != self.grid_key || buffers.bits() != self.buffers {
            self.fields.clear();
        }
        let reuse: Vec<Option<Arc<FloorField>>> = shapes
            .iter()
            .map(|sh| self.fields.iter().find(|(s, _)| s == sh).map(|(_, f)| f.clone()))
            .collect();
        let missing: Vec<FieldGoal> = shapes
            .iter()
            .zip(&reuse)
            .filter(|(_, r)| r.is_none())
            .map(|(s, _)| s.clone())
            .collect();
        self.reused += shapes.len() - missing.len();
        let mut fresh = compute_all(grid, &missing, region, buffers).into_iter().map(Arc::new);
        let fields: Vec<Arc<FloorField>> = reuse
            .into_iter()
            .map(|r| r.or_else(|| fresh.next()).expect("a field for every shape"))
            .collect();
        self.grid_key = key;
        self.buffers = buffers.bits();
        self.fields = shapes.iter().cloned().zip(fields.iter().cloned()).collect();
        fields
    }
}

/// FNV-1a over everything a floor field reads from the raster.
fn grid_key(grid: &NavGrid) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |x: u64| {
        h ^= x;
        h = h.wrapping_mul(0x0100_0000_01b3);
    };
    eat(grid.nx as u64);
    eat(grid.ny as u64);
    eat(u64::from(grid.h.to_bits()));
    eat(u64::from(grid.origin.x.to_bits()));
    eat(u64::from(grid.origin.y.to_bits()));
    for ((b, d), c) in grid.blocked.iter().zip(&grid.wall_dist).zip(&grid.corner_dist) {
        eat(u64::from(*b) << 32 | u64::from(d.to_bits()));
        eat(u64::from(c.to_bits()));
    }
    h
}

/// Floor fields towards each shape, computed in parallel on the compute task pool when one is
/// set up (each field is independent, so the result does not depend on the thread count).
pub fn compute_all(grid: &NavGrid, shapes: &[FieldGoal], region: &[u32], buffers: Buffers) -> Vec<FloorField> {
    use bevy::tasks::ComputeTaskPool;
    match ComputeTaskPool::try_get() {
        Some(pool) if pool.thread_num() > 0 && shapes.len() > 1 => {
            let workers = pool.thread_num() + 1;
            let mut out: Vec<Option<FloorField>> = vec![None; shapes.len()];
            let chunk = shapes.len().div_ceil(workers);
            pool.scope(|s| {
                for (outs, ins) in out.chunks_mut(chunk).zip(shapes.chunks(chunk)) {
                    s.spawn(async move {
                        for (o, sh) in outs.iter_mut().zip(ins) {
                            *o = Some(FloorField::compute_goal(grid, sh, region, buffers));
                        }
                    });
                }
            });
            out.into_iter().map(|f| f.expect("every field computed")).collect()
        }
        _ => shapes
            .iter()
            .map(|sh| FloorField::compute_goal(grid, sh, region, buffers))
            .collect(),
    }
}
