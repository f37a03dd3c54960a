//! Large JSON request bodies, generated (every bench file is under 2.3 MB): an order with many
//! line items, and a batch of structured log events. Deterministic (a fixed-seed generator),
//! realistic in shape: nested objects, short and long strings, some with escapes and non-ASCII
//! text, integers, prices and coordinates, optional fields, arrays of tags. Each body is padded
//! with trailing whitespace to exactly the length asked for, so a group's throughput is exact.

use serde::Deserialize;
use std::fmt::Write;

/// A small fixed-seed generator (xorshift64*): the same bodies on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, words: &[&'a str]) -> &'a str {
        words[self.below(words.len() as u64) as usize]
    }
}

const WORDS: &[&str] = &[
    "steel",
    "bolt",
    "widget",
    "cable",
    "adapter",
    "Zoë's",
    "café",
    "日本",
    "heavy-duty",
    "m8",
    "pack",
    "blue",
    "\\\"pro\\\"",
    "line\\nbreak",
    "über",
    "x",
];
const CITIES: &[&str] = &["Berlin", "Zürich", "São Paulo", "Lyon", "Osaka", "Austin"];

/// Pads `out` with spaces (then a newline) to exactly `len` bytes.
fn pad(mut out: String, len: usize) -> Vec<u8> {
    while out.len() + 1 < len {
        out.push(' ');
    }
    if out.len() < len {
        out.push('\n');
    }
    out.into_bytes()
}

/// An order of about `len` bytes: a header, then line items until the length is reached.
#[must_use]
pub fn order(len: usize) -> Vec<u8> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = String::with_capacity(len);
    out.push_str(
        r#"{"order_id":918273645,"placed_at":"2026-12-02T01:02:03Z","customer":{"id":4411,"name":"ACME \"Widgets\" GmbH","email":"buyer@acme.example","vip":true},"shipping":{"street":"Hauptstraße 5","city":"Berlin","zip":"10115","lat":52.520008,"lon":13.404954},"items":["#,
    );
    let mut i = 0u64;
    // Room for the closing `]}` and a last item.
    while out.len() + 600 < len {
        if i > 0 {
            out.push(',');
        }
        let qty = 1 + rng.below(40);
        let cents = rng.below(100_000);
        let _ = write!(
            out,
            r#"{{"line":{i},"sku":"SKU-{:06}","name":"{} {} {}","qty":{qty},"unit_price":{}.{:02},"discount":"#,
            rng.below(1_000_000),
            rng.pick(WORDS),
            rng.pick(WORDS),
            rng.pick(WORDS),
            cents / 100,
            cents % 100,
        );
        if rng.below(3) == 0 {
            out.push_str("null");
        } else {
            let _ = write!(out, "0.{:02}", rng.below(60));
        }
        let _ = write!(
            out,
            r#","tags":["{}","{}"],"warehouse":{{"id":{},"city":"{}","lat":{:.6},"lon":{:.6}}},"gift":{}}}"#,
            rng.pick(WORDS),
            rng.pick(WORDS),
            rng.below(64),
            rng.pick(CITIES),
            (rng.below(180_000_000) as f64) / 1e6 - 90.0,
            (rng.below(360_000_000) as f64) / 1e6 - 180.0,
            rng.below(7) == 0,
        );
        i += 1;
    }
    out.push_str("]}");
    pad(out, len)
}

/// A batch of about `len` bytes of log events: `{"events": [...]}`.
#[must_use]
pub fn events(len: usize) -> Vec<u8> {
    const LEVELS: &[&str] = &["info", "info", "info", "warn", "error", "debug"];
    const PATHS: &[&str] = &[
        "/api/v1/items",
        "/api/v1/cart",
        "/login",
        "/search?q=caf%C3%A9",
    ];
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut out = String::with_capacity(len);
    out.push_str(r#"{"source":"checkout-7f9c","events":["#);
    let mut i = 0u64;
    while out.len() + 900 < len {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"ts":"2026-12-02T01:{:02}:{:02}.{:03}Z","level":"{}","trace_id":"{:016x}{:016x}","msg":"user {} {} {} in {} ms","http":{{"method":"{}","path":"{}/{}","status":{},"latency_ms":{}.{},"bytes":{}}},"user":"#,
            rng.below(60),
            rng.below(60),
            rng.below(1000),
            rng.pick(LEVELS),
            rng.next(),
            rng.next(),
            rng.below(100_000),
            rng.pick(WORDS),
            rng.pick(WORDS),
            rng.below(900),
            if rng.below(4) == 0 { "POST" } else { "GET" },
            rng.pick(PATHS),
            rng.below(10_000),
            [200, 200, 200, 201, 304, 404, 500][rng.below(7) as usize],
            rng.below(900),
            rng.below(10),
            rng.below(1 << 20),
        );
        if rng.below(5) == 0 {
            out.push_str("null");
        } else {
            let _ = write!(
                out,
                r#"{{"id":{},"name":"{}","roles":["{}"]}}"#,
                rng.below(1 << 40),
                rng.pick(WORDS),
                rng.pick(WORDS)
            );
        }
        out.push_str(r#","labels":{"#);
        for k in 0..rng.below(4) {
            if k > 0 {
                out.push(',');
            }
            let _ = write!(out, r#""k{k}":"{}""#, rng.pick(WORDS));
        }
        out.push_str("}}");
        i += 1;
    }
    out.push_str("]}");
    pad(out, len)
}

/// Folds numbers into one answer (the digests of every typed JSON group).
pub(crate) fn mix(acc: u64, x: u64) -> u64 {
    (acc ^ x).wrapping_mul(0x0100_0000_01b3).rotate_left(5)
}

/// Folds a string's length and first byte into `acc`.
pub(crate) fn mix_str(acc: u64, s: &str) -> u64 {
    mix(
        acc,
        s.len() as u64 ^ u64::from(s.bytes().next().unwrap_or(0)),
    )
}

/// An [`order`], every field read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    order_id: u64,
    placed_at: String,
    customer: Customer,
    shipping: Address,
    items: Vec<LineItem>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Customer {
    id: u64,
    name: String,
    email: String,
    vip: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Address {
    street: String,
    city: String,
    zip: String,
    lat: f64,
    lon: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LineItem {
    line: u64,
    sku: String,
    name: String,
    qty: u32,
    unit_price: f64,
    discount: Option<f64>,
    tags: Vec<String>,
    warehouse: Warehouse,
    gift: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Warehouse {
    id: u32,
    city: String,
    lat: f64,
    lon: f64,
}

impl Order {
    /// Folds every field into one answer.
    #[must_use]
    pub fn digest(&self) -> u64 {
        let mut acc = mix(self.order_id, self.customer.id);
        acc = mix_str(acc, &self.placed_at);
        acc = mix_str(mix_str(acc, &self.customer.name), &self.customer.email);
        acc = mix(acc, u64::from(self.customer.vip));
        let a = &self.shipping;
        acc = mix_str(mix_str(mix_str(acc, &a.street), &a.city), &a.zip);
        acc = mix(mix(acc, a.lat.to_bits()), a.lon.to_bits());
        for item in &self.items {
            acc = mix(acc, item.line ^ u64::from(item.qty) << 32);
            acc = mix_str(mix_str(acc, &item.sku), &item.name);
            acc = mix(acc, item.unit_price.to_bits());
            acc = mix(acc, item.discount.map_or(1, f64::to_bits));
            for tag in &item.tags {
                acc = mix_str(acc, tag);
            }
            let w = &item.warehouse;
            acc = mix_str(mix(acc, u64::from(w.id)), &w.city);
            acc = mix(mix(acc, w.lat.to_bits()), w.lon.to_bits());
            acc = mix(acc, u64::from(item.gift));
        }
        acc
    }
}

/// An [`events`] batch read for what a log indexer keeps: time, level, status and user id of
/// each event; the message, the request path, the labels and the rest are skipped.
#[derive(Debug, Deserialize)]
pub struct EventsFew {
    events: Vec<EventFew>,
}

#[derive(Debug, Deserialize)]
struct EventFew {
    ts: String,
    level: String,
    http: HttpFew,
    user: Option<UserFew>,
}

#[derive(Debug, Deserialize)]
struct HttpFew {
    status: u16,
}

#[derive(Debug, Deserialize)]
struct UserFew {
    id: u64,
}

impl EventsFew {
    /// Folds the fields read into one answer.
    #[must_use]
    pub fn digest(&self) -> u64 {
        self.events.iter().fold(0, |acc, e| {
            let acc = mix_str(mix_str(acc, &e.ts), &e.level);
            let acc = mix(acc, u64::from(e.http.status));
            mix(acc, e.user.as_ref().map_or(7, |u| u.id))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_the_length_asked_and_are_valid_json() {
        for len in [5_000, 123_457, 1 << 20] {
            let order_body = order(len);
            assert_eq!(order_body.len(), len);
            let parsed: Order = serde_json::from_slice(&order_body).unwrap();
            assert!(
                parsed.items.len() > len / 600,
                "{len}: {} items",
                parsed.items.len()
            );
            let events_body = events(len);
            assert_eq!(events_body.len(), len);
            let parsed: EventsFew = serde_json::from_slice(&events_body).unwrap();
            assert!(
                parsed.events.len() > len / 900,
                "{len}: {} events",
                parsed.events.len()
            );
        }
    }
}
