mod common;
use cordon::checkpoint::systems::Queued;
use cordon::crowd::{Agent, Position, Standing, Walking};
use cordon::prelude::*;

#[test]
#[ignore]
fn probe() {
    let v = common::load("/tmp/contingency_gates.ron");
    let mut sim = Simulation::new(
        &v,
        &SimOptions {
            threads: 1,
            ..Default::default()
        },
    );
    for t in [2200.0, 2400.0, 2533.0] {
        sim.run_to(t, |_| {});
        let w = sim.world_mut();
        let mut q = w.query::<(&Agent, &Position, Option<&Walking>, Option<&Queued>, Option<&Standing>)>();
        let (mut nq, mut nw, mut cellq, mut cellw) = (0, 0, 0, 0);
        let mut ws = Vec::new();
        for (a, p, wk, qd, _) in q.iter(w) {
            let p = p.0;
            if p.x >= 115.0 && p.x <= 125.0 && p.y >= 20.0 && p.y <= 40.0 {
                if qd.is_some() {
                    nq += 1
                } else if wk.is_some() {
                    nw += 1;
                    ws.push((a.id, p, wk.unwrap().via));
                }
                if p.x >= 118.0 && p.x < 120.0 && p.y >= 28.0 && p.y < 30.0 {
                    if qd.is_some() { cellq += 1 } else { cellw += 1 }
                }
            }
        }
        eprintln!("t {t}: pen queued {nq} walking {nw}; cell 118-120 x 28-30 queued {cellq} walking {cellw}");
        for x in ws.iter().take(15) {
            eprintln!("  {:?}", x);
        }
    }
}
