//! Scenario paths for `--set` and `--sweep`: `checkpoints[name="S2"].lanes`, `responders[0].count`,
//! `crowd[2].arrivals`, `sim.dt`, `checkpoints[*].service.LogNormal.mean`. A path walks the
//! scenario as plain data (its serde form): field names, list indices, `[field="value"]` to pick
//! the list element whose field equals the value, `[*]` for every element of a list and
//! `[a..b]` for elements a to b − 1 (`checkpoints[0..26]`: the first 26). Values are JSON or RON literals (`12`, `0.5`, `true`, `"S2"`, `[1, 2]`); anything else is
//! taken as a string.

use crate::error::{CordonError, Result};
use serde_json::Value;

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// A field of a struct.
    Field(String),
    /// An element of a list by position.
    Index(usize),
    /// The element of a list whose `field` equals `value`.
    Where(String, String),
    /// Every element of a list (`[*]`): the rest of the path is set in each.
    All,
    /// Elements `a..b` of a list (`[a..b]`, b excluded): the rest of the path is set in each.
    Range(usize, usize),
}

/// Parses `a.b[3].c[name="x"].d`.
pub fn parse(path: &str) -> Result<Vec<Step>> {
    let bad = |why: &str| CordonError::Batch(format!("bad path `{path}`: {why}"));
    let mut steps = Vec::new();
    let mut rest = path.trim();
    if rest.is_empty() {
        return Err(bad("empty"));
    }
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let (step, after) = bracket(r).map_err(|why| bad(&why))?;
            steps.push(step);
            rest = after.strip_prefix('.').unwrap_or(after);
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let name = &rest[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(bad(&format!("`{name}` is not a field name")));
            }
            steps.push(Step::Field(name.to_string()));
            rest = &rest[end..];
            rest = rest.strip_prefix('.').unwrap_or(rest);
        }
    }
    Ok(steps)
}

/// The inside of `[...]` at the start of `r` (just after the `[`): an index, or `field="value"`
/// where the value is a JSON string (so a name holding `"`, `]` or `\` is written `"a\"b"`), or a
/// bare word up to the `]`. Returns the step and the text after the `]`.
fn bracket(r: &str) -> std::result::Result<(Step, &str), String> {
    let close = |rest: &str| -> std::result::Result<usize, String> {
        let t = rest.trim_start();
        if t.starts_with(']') {
            Ok(rest.len() - t.len() + 1)
        } else {
            Err("`[` without `]`".into())
        }
    };
    let eq = r.find(['=', ']']).ok_or("`[` without `]`")?;
    if r.as_bytes()[eq] == b']' {
        let inner = r[..eq].trim();
        if inner == "*" {
            return Ok((Step::All, &r[eq + 1..]));
        }
        if let Some((a, b)) = inner.split_once("..") {
            let (Ok(a), Ok(b)) = (a.trim().parse::<usize>(), b.trim().parse::<usize>()) else {
                return Err(format!("`[{inner}]`: a range is two indices, `[a..b]`"));
            };
            if a >= b {
                return Err(format!("`[{inner}]` is empty: a range `[a..b]` needs a < b"));
            }
            return Ok((Step::Range(a, b), &r[eq + 1..]));
        }
        let i = inner
            .parse::<usize>()
            .map_err(|_| format!("`[{inner}]` is neither an index nor a field=\"value\" filter"))?;
        return Ok((Step::Index(i), &r[eq + 1..]));
    }
    let k = r[..eq].trim();
    if k.is_empty() {
        return Err("empty field name in a filter".into());
    }
    let v = r[eq + 1..].trim_start();
    if let Some(body) = v.strip_prefix('"') {
        // a JSON string: up to the first quote that no backslash escapes
        let mut escaped = false;
        let end = body
            .char_indices()
            .find(|&(_, c)| {
                let done = c == '"' && !escaped;
                escaped = c == '\\' && !escaped;
                done
            })
            .map(|(i, _)| i)
            .ok_or("a filter's quoted value has no closing `\"`")?;
        let value: String =
            serde_json::from_str(&v[..end + 2]).map_err(|e| format!("the filter's value {}: {e}", &v[..end + 2]))?;
        let after = &body[end + 1..];
        let n = close(after)?;
        Ok((Step::Where(k.to_string(), value), &after[n..]))
    } else {
        let end = v.find(']').ok_or("`[` without `]`")?;
        Ok((Step::Where(k.to_string(), v[..end].trim().to_string()), &v[end + 1..]))
    }
}

/// A filter step that picks the element whose `field` is `value`, in the form [`parse`] reads back
/// whatever the value holds: `[name="S2"]`.
pub fn filter(field: &str, value: &str) -> String {
    format!("[{field}={}]", serde_json::Value::String(value.to_string()))
}

/// Splits `PATH=VALUE` (a `--set` or `--sweep` argument) at the first `=` outside brackets and
/// quotes (a filter's `=` is inside its brackets).
pub fn split_assignment(text: &str, flag: &str) -> Result<(String, String)> {
    let at = outside(text).find(|&(_, c)| c == '=').map(|(i, _)| i);
    match at {
        Some(i) if !text[..i].trim().is_empty() => Ok((text[..i].trim().to_string(), text[i + 1..].trim().to_string())),
        _ => Err(CordonError::Batch(format!("{flag} {text}: expected PATH=VALUE"))),
    }
}

/// Splits sweep values at commas outside brackets and quotes; empty values are dropped.
pub fn split_values(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    for (i, c) in outside(text) {
        if c == ',' {
            out.push(text[from..i].trim().to_string());
            from = i + 1;
        }
    }
    out.push(text[from..].trim().to_string());
    out.retain(|s| !s.is_empty());
    out
}

/// The characters of `text` (with their byte offsets) that stand outside every bracket and every
/// double-quoted string (where a backslash escapes the next character).
fn outside(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let (mut depth, mut quoted, mut escaped) = (0i32, false, false);
    text.char_indices().filter(move |&(_, c)| {
        if quoted {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quoted = false,
                _ => {}
            }
            return false;
        }
        match c {
            '"' => quoted = true,
            '[' | '(' | '{' => depth += 1,
            ']' | ')' | '}' => depth -= 1,
            _ => return depth == 0,
        }
        false
    })
}

/// Parses a value: JSON, else RON, else the text as a string.
pub fn parse_value(text: &str) -> Value {
    let t = text.trim();
    if let Ok(v) = serde_json::from_str::<Value>(t) {
        return v;
    }
    // RON reads a bare word as a unit (null) and NaN or inf as a number JSON cannot hold (null):
    // only `None` and `()` mean null; anything else that came out null is the text
    if let Ok(v) = ron::from_str::<Value>(t)
        && (!v.is_null() || t == "None" || t == "()")
    {
        return v;
    }
    Value::String(t.to_string())
}

/// Replaces the value at `path` in `doc` (which must exist: a path never adds fields); after a
/// `[*]`, in every element of that list (which must not be empty).
pub fn set(doc: &mut Value, path: &str, steps: &[Step], value: Value) -> Result<()> {
    set_from(doc, path, steps, value, String::new())
}

/// [`set`] from `doc`, reached by the steps written as `walked`.
fn set_from(doc: &mut Value, path: &str, steps: &[Step], value: Value, mut walked: String) -> Result<()> {
    let mut cur = doc;
    for (i, st) in steps.iter().enumerate() {
        let here = if walked.is_empty() {
            "the scenario".to_string()
        } else {
            format!("`{walked}`")
        };
        cur = match st {
            Step::Field(name) => {
                walked += &if walked.is_empty() {
                    name.clone()
                } else {
                    format!(".{name}")
                };
                match cur {
                    Value::Object(m) => {
                        let keys: Vec<String> = m.keys().cloned().collect();
                        m.get_mut(name).ok_or_else(|| {
                            CordonError::Batch(format!(
                                "path `{path}`: {here} has no field `{name}` (it has: {})",
                                keys.join(", ")
                            ))
                        })?
                    }
                    _ => {
                        return Err(CordonError::Batch(format!(
                            "path `{path}`: {here} is not a structure, so it has no field `{name}`"
                        )));
                    }
                }
            }
            Step::Index(i) => {
                walked += &format!("[{i}]");
                match cur {
                    Value::Array(a) => {
                        let n = a.len();
                        a.get_mut(*i).ok_or_else(|| {
                            CordonError::Batch(format!("path `{path}`: {here} has {n} elements, no [{i}]"))
                        })?
                    }
                    _ => return Err(CordonError::Batch(format!("path `{path}`: {here} is not a list"))),
                }
            }
            Step::All | Step::Range(..) => {
                let Value::Array(a) = cur else {
                    return Err(CordonError::Batch(format!("path `{path}`: {here} is not a list")));
                };
                let (a0, b0) = match st {
                    Step::Range(x, y) => (*x, *y),
                    _ => (0, a.len()),
                };
                if a.is_empty() && *st == Step::All {
                    return Err(CordonError::Batch(format!(
                        "path `{path}`: {here} is empty: [*] sets nothing"
                    )));
                }
                if b0 > a.len() {
                    return Err(CordonError::Batch(format!(
                        "path `{path}`: {here} has {} elements, not [{a0}..{b0}]",
                        a.len()
                    )));
                }
                for (k, e) in a.iter_mut().enumerate().take(b0).skip(a0) {
                    set_from(e, path, &steps[i + 1..], value.clone(), format!("{walked}[{k}]"))?;
                }
                return Ok(());
            }
            Step::Where(k, v) => {
                walked += &filter(k, v);
                match cur {
                    Value::Array(a) => {
                        let names: Vec<String> = a
                            .iter()
                            .filter_map(|e| e.get(k).map(|x| x.as_str().map_or(x.to_string(), str::to_string)))
                            .collect();
                        a.iter_mut()
                            .find(|e| {
                                e.get(k)
                                    .is_some_and(|x| x.as_str() == Some(v.as_str()) || x.to_string() == *v)
                            })
                            .ok_or_else(|| {
                                CordonError::Batch(format!(
                                    "path `{path}`: no element of {here} has {k} = \"{v}\" (there are: {})",
                                    names.join(", ")
                                ))
                            })?
                    }
                    _ => return Err(CordonError::Batch(format!("path `{path}`: {here} is not a list"))),
                }
            }
        };
    }
    *cur = value;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_parse_fields_indices_and_filters() {
        assert_eq!(
            parse(r#"checkpoints[name="South-1"].lanes"#).unwrap(),
            vec![
                Step::Field("checkpoints".into()),
                Step::Where("name".into(), "South-1".into()),
                Step::Field("lanes".into())
            ]
        );
        assert_eq!(
            parse("responders[0].count").unwrap(),
            vec![
                Step::Field("responders".into()),
                Step::Index(0),
                Step::Field("count".into())
            ]
        );
        assert!(parse("a..b").is_err());
        assert!(parse("a[x").is_err());
        assert!(parse("a[-1]").is_err());
    }

    #[test]
    fn set_replaces_and_names_what_is_missing() {
        let mut d = json!({"checkpoints": [{"name": "A", "lanes": 4}, {"name": "B", "lanes": 6}], "sim": {"dt": 0.05}});
        let p = r#"checkpoints[name="B"].lanes"#;
        set(&mut d, p, &parse(p).unwrap(), json!(9)).unwrap();
        assert_eq!(d["checkpoints"][1]["lanes"], json!(9));
        set(&mut d, "sim.dt", &parse("sim.dt").unwrap(), parse_value("0.1")).unwrap();
        assert_eq!(d["sim"]["dt"], json!(0.1));
        let p = r#"checkpoints[name="C"].lanes"#;
        let e = set(&mut d, p, &parse(p).unwrap(), json!(1)).unwrap_err().to_string();
        assert!(e.contains(r#"name = "C""#) && e.contains("A, B"), "{e}");
        let e = set(&mut d, "sim.dtt", &parse("sim.dtt").unwrap(), json!(1))
            .unwrap_err()
            .to_string();
        assert!(e.contains("no field `dtt`") && e.contains("dt"), "{e}");
        let e = set(
            &mut d,
            "checkpoints[5].lanes",
            &parse("checkpoints[5].lanes").unwrap(),
            json!(1),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("2 elements"), "{e}");
    }

    #[test]
    fn every_element_of_a_list_with_a_star() {
        let mut d = json!({"checkpoints": [
            {"name": "A", "service": {"LogNormal": {"mean": 8.0, "sd": 3.0}}},
            {"name": "B", "service": {"LogNormal": {"mean": 8.0, "sd": 3.0}}}
        ], "rings": []});
        let p = "checkpoints[*].service.LogNormal.mean";
        assert_eq!(parse(p).unwrap()[1], Step::All);
        set(&mut d, p, &parse(p).unwrap(), json!(24)).unwrap();
        assert_eq!(d["checkpoints"][0]["service"]["LogNormal"]["mean"], json!(24));
        assert_eq!(d["checkpoints"][1]["service"]["LogNormal"]["mean"], json!(24));
        assert_eq!(d["checkpoints"][1]["service"]["LogNormal"]["sd"], json!(3.0));
        // a field missing in one element is named with its place
        d["checkpoints"][1]["service"] = json!({"Fixed": 8.0});
        let e = set(&mut d, p, &parse(p).unwrap(), json!(24)).unwrap_err().to_string();
        assert!(e.contains("`checkpoints[1].service` has no field `LogNormal`"), "{e}");
        let e = set(&mut d, "rings[*].name", &parse("rings[*].name").unwrap(), json!("x"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn a_range_of_elements() {
        let mut d = json!({"checkpoints": [
            {"name": "A", "service": {"LogNormal": {"mean": 8.0, "sd": 3.0}}},
            {"name": "B", "service": {"LogNormal": {"mean": 8.0, "sd": 3.0}}},
            {"name": "C", "service": {"Fixed": 2.5}}
        ]});
        // the first two (the third has no LogNormal: left out of the range, it is not touched)
        let p = "checkpoints[0..2].service.LogNormal.mean";
        assert_eq!(parse(p).unwrap()[1], Step::Range(0, 2));
        set(&mut d, p, &parse(p).unwrap(), json!(24)).unwrap();
        assert_eq!(d["checkpoints"][0]["service"]["LogNormal"]["mean"], json!(24));
        assert_eq!(d["checkpoints"][1]["service"]["LogNormal"]["mean"], json!(24));
        assert_eq!(d["checkpoints"][2]["service"], json!({"Fixed": 2.5}));
        let p = "checkpoints[1..2].name";
        set(&mut d, p, &parse(p).unwrap(), json!("X")).unwrap();
        assert_eq!(d["checkpoints"][0]["name"], json!("A"));
        assert_eq!(d["checkpoints"][1]["name"], json!("X"));
        let p = "checkpoints[0..3].service.LogNormal.mean";
        let e = set(&mut d, p, &parse(p).unwrap(), json!(24)).unwrap_err().to_string();
        assert!(e.contains("`checkpoints[2].service` has no field `LogNormal`"), "{e}");
        let e = set(
            &mut d,
            "checkpoints[1..4].name",
            &parse("checkpoints[1..4].name").unwrap(),
            json!("x"),
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("has 3 elements, not [1..4]"), "{e}");
        for bad in [
            "checkpoints[2..2].name",
            "checkpoints[3..1].name",
            "checkpoints[a..2].name",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_name_with_quotes_and_brackets_can_be_addressed() {
        let name = r#"gate "A"] = x, \ y"#;
        let mut d = json!({"checkpoints": [{"name": "B", "lanes": 4}, {"name": name, "lanes": 6}]});
        let path = format!("checkpoints{}.lanes", filter("name", name));
        let (p, v) = split_assignment(&format!("{path}=9"), "--set").unwrap();
        assert_eq!((p.as_str(), v.as_str()), (path.as_str(), "9"));
        set(&mut d, &p, &parse(&p).unwrap(), parse_value(&v)).unwrap();
        assert_eq!(d["checkpoints"][1]["lanes"], json!(9));
        assert_eq!(d["checkpoints"][0]["lanes"], json!(4));
        let (p, v) = split_assignment(&format!("{path}=1,2,3"), "--sweep").unwrap();
        assert_eq!(p, path);
        assert_eq!(split_values(&v), ["1", "2", "3"]);
        assert_eq!(
            split_values(r#""a,b", [1, 2], "c\",d""#),
            [r#""a,b""#, "[1, 2]", r#""c\",d""#]
        );
        assert!(split_assignment("=3", "--set").is_err());
        assert!(split_assignment("sim.dt", "--set").is_err());
        assert!(parse(r#"a[name="x].b"#).is_err());
    }

    #[test]
    fn values_are_json_then_ron_then_text() {
        assert_eq!(parse_value("12"), json!(12));
        assert_eq!(parse_value("\"x\""), json!("x"));
        assert_eq!(parse_value("[1, 2]"), json!([1, 2]));
        assert_eq!(parse_value("South-1"), json!("South-1"));
        // a bare word, NaN and inf are text (RON would read null), None is null
        assert_eq!(parse_value("nope"), json!("nope"));
        assert_eq!(parse_value("NaN"), json!("NaN"));
        assert_eq!(parse_value("inf"), json!("inf"));
        assert_eq!(parse_value("None"), json!(null));
    }
}
