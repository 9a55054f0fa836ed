//! Hot reload keeps floor fields: revalidating a plan whose geometry is unchanged with the same
//! [`FieldCache`] shares every field, and a shared field gives the same answers as a recomputed
//! one; a geometry change recomputes just the fields it touches.

use cordon::build::validate_cached;
use cordon::build::{Validated, validate};
use cordon::scenario::parse_str;
use cordon::venue::cache::FieldCache;
use std::sync::Arc;

const PLAN: &str = include_str!("../scenarios/entrance_checkpoints.ron");

fn check(text: &str) -> Validated {
    let s = parse_str(text, "plan.ron").expect("parses");
    validate(&s, "plan.ron", Some(text)).expect("valid")
}

fn check_cached(text: &str, cache: &mut FieldCache) -> Validated {
    let s = parse_str(text, "plan.ron").expect("parses");
    validate_cached(&s, "plan.ron", Some(text), &Default::default(), cache).expect("valid")
}

fn same_fields(a: &Validated, b: &Validated) {
    let (va, vb) = (&a.venue, &b.venue);
    assert_eq!(va.fields.len(), vb.fields.len());
    let g = &va.grid;
    for (fa, fb) in va.fields.iter().zip(&vb.fields) {
        assert_eq!(fa.bytes(), fb.bytes());
        for i in (0..g.nx * g.ny).step_by(7) {
            let (ca, cb) = (fa.cell_cost(g, i), fb.cell_cost(&vb.grid, i));
            assert!(
                ca == cb || (ca.is_infinite() && cb.is_infinite()),
                "cell {i}: {ca} vs {cb}"
            );
        }
    }
}

/// How many fields `a` and `b` share (the same field in memory, not a copy).
fn shared(a: &Validated, b: &Validated) -> usize {
    a.venue
        .fields
        .iter()
        .zip(&b.venue.fields)
        .filter(|(x, y)| Arc::ptr_eq(x, y))
        .count()
}

#[test]
fn an_edit_that_keeps_the_geometry_reuses_every_floor_field() {
    let fresh = check(PLAN);
    let mut cache = FieldCache::new();
    let first = check_cached(PLAN, &mut cache);
    assert_eq!(cache.reused(), 0);
    // another seed, service time and crowd: same walls, targets and checkpoints
    let edited = PLAN
        .replace("seed: 7", "seed: 8")
        .replace("Exponential(mean: 8)", "Exponential(mean: 9)")
        .replace("count: 600", "count: 900");
    assert_ne!(edited, PLAN);
    let second = check_cached(&edited, &mut cache);
    let n = second.venue.fields.len();
    assert_eq!(cache.reused(), n, "every field reused");
    assert_eq!(shared(&first, &second), n, "and shared, not copied");
    same_fields(&fresh, &first);
    same_fields(&fresh, &second);
    assert_eq!(
        shared(&fresh, &first),
        0,
        "a validation without the cache computes its own"
    );
    // a target moved: its field is computed again, the others are reused
    let moved = PLAN.replace(
        "(75, 70), (85, 70), (85, 74), (75, 74)",
        "(70, 70), (80, 70), (80, 74), (70, 74)",
    );
    assert_ne!(moved, PLAN);
    let third = check_cached(&moved, &mut cache);
    assert_eq!(cache.reused(), n + n - 1, "all but the moved target's field");
    assert_eq!(shared(&second, &third), n - 1);
    same_fields(&check(&moved), &third);
}
