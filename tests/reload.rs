//! Hot reload keeps floor fields: revalidating a plan whose geometry is unchanged reuses every
//! field, and a reused field gives the same answers as a recomputed one; a geometry change
//! recomputes. (Own test binary: the field memo is process-wide.)

use cordon::scenario::validate::{fields_reused, keep_fields_for_reuse};
use cordon::scenario::{Validated, parse_str, validate};

const PLAN: &str = include_str!("../scenarios/entrance_checkpoints.ron");

fn check(text: &str) -> Validated {
    let s = parse_str(text, "plan.ron").expect("parses");
    validate(&s, "plan.ron", Some(text)).expect("valid")
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

#[test]
fn an_edit_that_keeps_the_geometry_reuses_every_floor_field() {
    let fresh = check(PLAN);
    keep_fields_for_reuse(true);
    let first = check(PLAN);
    let before = fields_reused();
    // another seed, service time and crowd: same walls, targets and checkpoints
    let edited = PLAN
        .replace("seed: 7", "seed: 8")
        .replace("Exponential(mean: 8)", "Exponential(mean: 9)")
        .replace("count: 600", "count: 900");
    assert_ne!(edited, PLAN);
    let second = check(&edited);
    assert_eq!(
        fields_reused() - before,
        second.venue.fields.len(),
        "every field reused"
    );
    same_fields(&fresh, &first);
    same_fields(&fresh, &second);
    // a target moved: its field is computed again, the others are reused
    let before = fields_reused();
    let moved = PLAN.replace(
        "(75, 70), (85, 70), (85, 74), (75, 74)",
        "(70, 70), (80, 70), (80, 74), (70, 74)",
    );
    assert_ne!(moved, PLAN);
    let third = check(&moved);
    assert_eq!(
        fields_reused() - before,
        third.venue.fields.len() - 1,
        "all but the moved target's field"
    );
    let recomputed = {
        keep_fields_for_reuse(false);
        let v = check(&moved);
        keep_fields_for_reuse(true);
        v
    };
    same_fields(&recomputed, &third);
    keep_fields_for_reuse(false);
    let after = fields_reused();
    let again = check(PLAN);
    assert_eq!(fields_reused(), after, "nothing reused once switched off");
    same_fields(&fresh, &again);
}
