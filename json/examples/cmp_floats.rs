//! Which parser rounds canada.json's floats correctly? (std's parse is correctly rounded.)
fn main() {
    let data = std::env::var("PERFKIT_DATA").unwrap_or_else(|_| "../shared/data".into());
    let bytes = std::fs::read(format!("{data}/json/canada.json")).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    let start = text.find("\"coordinates\"").unwrap();
    let nums: Vec<f64> = text[start + 14..]
        .split(|c: char| {
            !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e' || c == 'E' || c == '+')
        })
        .filter(|t| !t.is_empty())
        .map(|t| t.parse().unwrap())
        .collect();
    let flat = |v: &serde_json::Value| -> Vec<f64> {
        v["features"][0]["geometry"]["coordinates"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|r| {
                r.as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|p| p.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()))
            })
            .collect()
    };
    let a = flat(&serde_json::from_slice(&bytes).unwrap());
    let b = flat(&perfkit_json::from_slice(&bytes).unwrap());
    let wrong = |v: &[f64]| v.iter().zip(&nums).filter(|(x, y)| x != y).count();
    println!(
        "{} floats; serde_json wrong {}, perfkit_json wrong {}",
        nums.len(),
        wrong(&a),
        wrong(&b)
    );
}
