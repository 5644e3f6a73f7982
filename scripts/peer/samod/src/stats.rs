//! Aggregation as in the JS peer's bench.mjs: nearest-rank percentiles, and the median over runs
//! of every numeric leaf separately (so a median need not be one run).

use serde_json::{Map, Value};

/// Nearest-rank percentile (`lib/util.mjs` `percentile`).
pub fn percentile(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut a = xs.to_vec();
    a.sort_by(|x, y| x.total_cmp(y));
    let rank = ((p / 100.0) * a.len() as f64).ceil() as usize;
    a[rank.clamp(1, a.len()) - 1]
}

pub fn median(xs: &[f64]) -> Option<f64> {
    let mut a: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if a.is_empty() {
        return None;
    }
    a.sort_by(|x, y| x.total_cmp(y));
    let m = a.len() / 2;
    Some(if a.len() % 2 == 1 { a[m] } else { (a[m - 1] + a[m]) / 2.0 })
}

/// Median of every numeric leaf across runs (same shape as one run); other leaves from run 1.
pub fn median_tree(runs: &[&Value]) -> Value {
    match runs.first() {
        None => Value::Null,
        Some(Value::Number(_)) => {
            let xs: Vec<f64> = runs.iter().map(|v| v.as_f64().unwrap_or(0.0)).collect();
            median(&xs).map(num).unwrap_or(Value::Null)
        }
        Some(Value::Object(first)) => {
            let mut out = Map::new();
            let mut keys: Vec<&String> = first.keys().collect();
            for r in runs.iter().skip(1) {
                if let Value::Object(o) = r {
                    keys.extend(o.keys().filter(|k| !first.contains_key(*k)));
                }
            }
            let zero = Value::from(0);
            for k in keys {
                let vals: Vec<&Value> = runs.iter().map(|r| r.get(k).unwrap_or(&zero)).collect();
                out.insert(k.clone(), median_tree(&vals));
            }
            Value::Object(out)
        }
        Some(v) => (*v).clone(),
    }
}

/// A JSON number: integers stay integers, others are rounded to 3 decimals.
pub fn num(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 9e15 { Value::from(x as i64) } else { Value::from((x * 1000.0).round() / 1000.0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nearest_rank() {
        let xs: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(percentile(&xs, 50.0), 100.0);
        assert_eq!(percentile(&xs, 95.0), 190.0);
        assert_eq!(percentile(&xs, 99.0), 198.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
    }

    #[test]
    fn medians_per_leaf() {
        let a = json!({"x": 1, "o": {"y": 10.0}, "s": "a"});
        let b = json!({"x": 3, "o": {"y": 30.0}, "s": "b"});
        let c = json!({"x": 2, "o": {"y": 5.0}, "s": "c"});
        assert_eq!(median_tree(&[&a, &b, &c]), json!({"x": 2, "o": {"y": 10}, "s": "a"}));
        assert_eq!(median_tree(&[&a, &b]), json!({"x": 2, "o": {"y": 20}, "s": "a"}));
    }
}
