use cordon::crowd::{Agent, Position, Velocity, Walking};
fn main() {
    cordon::sim::init_compute_pool(0);
    let v = cordon::scenario::default_scenario().unwrap();
    let mut sim = cordon::Simulation::new(&v, &Default::default());
    let until: f64 = std::env::args().nth(1).map_or(11700.0, |s| s.parse().unwrap());
    let dt = sim.world().resource::<cordon::schedule::SimClock>().dt;
    for _ in 0..(until / dt) as u64 {
        sim.step();
    }
    let venue = v.venue.clone();
    let w = sim.world_mut();
    let mut q = w.query::<(&Agent, &Position, &Velocity, &Walking)>();
    let cps = &venue.security.checkpoints;
    for (k, cp) in cps.iter().enumerate() {
        if !cp.name.contains("exit-door") {
            continue;
        }
        let near: Vec<_> = q.iter(w).filter(|(_, p, _, _)| p.0.distance(cp.pos) < 30.0).collect();
        let moving = near.iter().filter(|x| x.2.0.length() > 0.3).count();
        println!(
            "{} pos {:?} out {:?} width {:.1}: {} walkers within 30 m ({} moving)",
            cp.name,
            cp.pos,
            cp.out,
            cp.width(),
            near.len(),
            moving
        );
        let mut by: std::collections::BTreeMap<String, usize> = Default::default();
        for (a, p, vel, wk) in &near {
            let side = if (p.0 - cp.pos).dot(cp.out) > 0.0 {
                "outside"
            } else {
                "inside"
            };
            let tname = venue
                .targets
                .get(wk.target as usize)
                .map_or(format!("field{}", wk.target), |t| t.name.clone());
            let via = wk.via.map_or("-".to_string(), |v| {
                format!("{}{}", cps[v.cp as usize].name, if v.inbound { "-in" } else { "-out" })
            });
            *by.entry(format!("{side} {:?} target {tname} via {via}", wk.leg))
                .or_default() += 1;
            let _ = (a, vel);
        }
        for (k2, n) in by {
            println!("   {n:5}  {k2}");
        }
        let _ = k;
    }
}
