//! The module graph stays a DAG (docs/architecture.md): the scenario data at the bottom depends on
//! nothing but the error type, no concern imports the run's assembly (`build`, `sim`, `run`), and
//! no two top-level modules import each other, directly or round a longer loop.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module -> the top-level modules its non-test code names as `crate::x`.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap();
        let top = rel
            .iter()
            .next()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if top == "main" || top == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        let deps = g.entry(top.clone()).or_default();
        for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for (i, _) in line.match_indices("crate::") {
                let rest = &line[i + 7..];
                let names: Vec<&str> = match rest.strip_prefix('{') {
                    Some(group) => group.split('}').next().unwrap_or_default().split(',').collect(),
                    None => vec![rest],
                };
                for n in names {
                    let m: String = n
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if !m.is_empty() && m.chars().next().is_some_and(|c| c.is_lowercase()) && m != top {
                        deps.insert(m);
                    }
                }
            }
        }
    }
    g
}

#[test]
fn the_module_graph_is_a_dag_with_the_scenario_at_the_bottom() {
    let g = graph();
    assert!(g.len() > 15, "{g:?}");
    let scenario: Vec<&String> = g["scenario"].iter().collect();
    assert_eq!(scenario, ["error"], "scenario data depends only on the error type");
    for concern in [
        "venue",
        "crowd",
        "checkpoint",
        "responders",
        "incidents",
        "metrics",
        "report",
    ] {
        for above in ["build", "sim", "run", "batch", "optimize", "compare", "viewer"] {
            assert!(
                !g[concern].contains(above),
                "{concern} imports {above}, which is above it"
            );
        }
    }
    // depth-first search for a back edge
    fn visit<'a>(
        m: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
    ) {
        match state.get(m) {
            Some(2) => return,
            Some(1) => panic!("import cycle: {} -> {m}", path.join(" -> ")),
            _ => {}
        }
        state.insert(m, 1);
        path.push(m);
        for d in g.get(m).into_iter().flatten() {
            if g.contains_key(d) {
                visit(d, g, state, path);
            }
        }
        path.pop();
        state.insert(m, 2);
    }
    let mut state = BTreeMap::new();
    for m in g.keys() {
        visit(m, &g, &mut state, &mut Vec::new());
    }
}
