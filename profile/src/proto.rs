//! The profile model every endpoint fills, and its encodings: gzipped `profile.proto` (the
//! google/pprof format, written by hand: a few varints and length-delimited fields) and Go's
//! `?debug=1` text.

use crate::symbol::{self, Frame, Mappings};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A stack of code addresses, innermost first. The first is an instruction pointer when
/// `leaf_is_ip` (CPU samples), otherwise every entry is a return address.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub(crate) struct Stack {
    pub(crate) addrs: Vec<u64>,
    pub(crate) leaf_is_ip: bool,
}

impl Stack {
    /// The addresses to symbolise: a return address points after its call, so look one byte
    /// back (as Go's `runtime.CallersFrames` and every unwinder do).
    pub(crate) fn lookup_addrs(&self) -> impl Iterator<Item = u64> + '_ {
        self.addrs.iter().enumerate().map(|(i, &a)| {
            if i == 0 && self.leaf_is_ip {
                a
            } else {
                a.saturating_sub(1)
            }
        })
    }
}

/// One sample: a stack, its values (one per sample type) and numeric labels.
#[derive(Clone, Debug)]
pub(crate) struct Sample {
    pub(crate) stack: Stack,
    pub(crate) values: Vec<i64>,
    /// (key, value, unit): Go's heap profiles label each sample with its object size.
    pub(crate) labels: Vec<(&'static str, i64, &'static str)>,
    /// String labels (key, value): the thread name of a thread dump.
    pub(crate) str_labels: Vec<(&'static str, String)>,
}

/// A profile before encoding.
#[derive(Clone, Debug)]
pub(crate) struct Profile {
    pub(crate) sample_types: Vec<(&'static str, &'static str)>,
    pub(crate) default_sample_type: Option<&'static str>,
    pub(crate) period_type: (&'static str, &'static str),
    pub(crate) period: i64,
    pub(crate) samples: Vec<Sample>,
    pub(crate) duration: Option<Duration>,
    pub(crate) comments: Vec<String>,
    /// Frames whose function starts with one of these are dropped from the top of every stack
    /// (the profiler's own frames, the standard library's allocation or locking plumbing), so
    /// the top frame is the code that allocated or locked. A location goes when its own
    /// function matches; in the first location kept, matching inlined frames go too.
    pub(crate) drop_leading: &'static [&'static str],
    /// The same frames by source file (a frame whose file contains one of these): with
    /// `debug = "line-tables-only"` the debug info names functions without their paths, so
    /// names alone cannot tell the profiler's `record` from the user's.
    pub(crate) drop_files: &'static [&'static str],
    pub(crate) time: SystemTime,
}

impl Profile {
    pub(crate) fn new(
        sample_types: Vec<(&'static str, &'static str)>,
        period_type: (&'static str, &'static str),
        period: i64,
    ) -> Self {
        Self {
            sample_types,
            default_sample_type: None,
            period_type,
            period,
            samples: Vec::new(),
            duration: None,
            comments: Vec::new(),
            drop_leading: &[],
            drop_files: &[],
            time: SystemTime::now(),
        }
    }

    /// `self - base`, sample by sample (same stack and labels), for `?seconds=N` delta
    /// profiles; samples whose values all become zero are left out.
    pub(crate) fn delta(mut self, base: &Profile) -> Profile {
        let key = |s: &Sample| (s.stack.clone(), s.labels.clone());
        let mut before: HashMap<_, Vec<i64>> = HashMap::new();
        for s in &base.samples {
            let entry = before
                .entry(key(s))
                .or_insert_with(|| vec![0; s.values.len()]);
            for (e, v) in entry.iter_mut().zip(&s.values) {
                *e += v;
            }
        }
        for s in &mut self.samples {
            if let Some(old) = before.get_mut(&key(s)) {
                for (v, o) in s.values.iter_mut().zip(old.iter_mut()) {
                    *v -= *o;
                    *o = 0;
                }
            }
        }
        self.samples.retain(|s| s.values.iter().any(|&v| v != 0));
        self
    }

    /// The stacks, symbolised, with the leading frames named in `drop_leading` removed.
    fn resolved(&self, symbols: &mut symbol::Cache) -> Vec<Vec<(u64, Vec<Frame>)>> {
        self.samples
            .iter()
            .map(|s| {
                let mut locs: Vec<(u64, Vec<Frame>)> = s
                    .stack
                    .lookup_addrs()
                    .map(|a| (a, symbols.resolve(a).to_vec()))
                    .collect();
                // `<u8 as alloc::vec::spec_from_elem::SpecFromElem>::from_elem` is plumbing too:
                // an impl of a listed trait.
                let plumbing = |f: &Frame| {
                    let trait_path = f.function.split_once(" as ").map(|(_, t)| t);
                    self.drop_leading.iter().any(|p| {
                        f.function.starts_with(p) || trait_path.is_some_and(|t| t.starts_with(p))
                    }) || (!f.file.is_empty() && self.drop_files.iter().any(|p| f.file.contains(p)))
                };
                let skip = locs
                    .iter()
                    .take_while(|(_, frames)| frames.last().is_some_and(plumbing))
                    .count();
                // Keep the stack whole if every frame matched (a sample inside the profiler).
                if skip < locs.len() {
                    locs.drain(..skip);
                    let frames = &mut locs[0].1;
                    let inlined = frames.iter().take_while(|f| plumbing(f)).count();
                    frames.drain(..inlined.min(frames.len() - 1));
                }
                locs
            })
            .collect()
    }

    /// The gzipped `profile.proto` encoding.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut symbols = symbol::cache();
        let mappings = Mappings::current();
        let stacks = self.resolved(&mut symbols);
        drop(symbols);
        let raw = self.encode_raw(&stacks, &mappings);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&raw).expect("writing to a Vec cannot fail");
        gz.finish().expect("writing to a Vec cannot fail")
    }

    fn encode_raw(&self, stacks: &[Vec<(u64, Vec<Frame>)>], mappings: &Mappings) -> Vec<u8> {
        let mut strings = Strings::default();
        let mut out = Vec::new();
        for &(ty, unit) in &self.sample_types {
            let mut m = Vec::new();
            put_int(&mut m, 1, strings.id(ty));
            put_int(&mut m, 2, strings.id(unit));
            put_bytes(&mut out, 1, &m);
        }
        // Locations: one per distinct address; functions: one per (name, file).
        let mut locations: HashMap<u64, u64> = HashMap::new();
        let mut functions: HashMap<(String, String), u64> = HashMap::new();
        let mut location_msgs = Vec::new();
        let mut function_msgs = Vec::new();
        for (sample, stack) in self.samples.iter().zip(stacks) {
            let mut ids = Vec::with_capacity(stack.len());
            for (addr, frames) in stack {
                let next_id = locations.len() as u64 + 1;
                let id = *locations.entry(*addr).or_insert_with(|| {
                    let mut m = Vec::new();
                    put_int(&mut m, 1, next_id);
                    if let Some(mapping) = mappings.find(*addr) {
                        put_int(&mut m, 2, mapping);
                    }
                    put_int(&mut m, 3, *addr);
                    for f in frames {
                        let fkey = (f.function.clone(), f.file.clone());
                        let fnext = functions.len() as u64 + 1;
                        let fid = *functions.entry(fkey).or_insert_with(|| {
                            let mut fm = Vec::new();
                            put_int(&mut fm, 1, fnext);
                            put_int(&mut fm, 2, strings.id(&f.function));
                            put_int(&mut fm, 3, strings.id(&f.function));
                            put_int(&mut fm, 4, strings.id(&f.file));
                            put_bytes(&mut function_msgs, 5, &fm);
                            fnext
                        });
                        let mut lm = Vec::new();
                        put_int(&mut lm, 1, fid);
                        put_int(&mut lm, 2, f.line);
                        put_bytes(&mut m, 4, &lm);
                    }
                    put_bytes(&mut location_msgs, 4, &m);
                    next_id
                });
                ids.push(id);
            }
            let mut m = Vec::new();
            put_packed(&mut m, 1, ids.iter().copied());
            put_packed(&mut m, 2, sample.values.iter().map(|&v| v as u64));
            for &(key, num, unit) in &sample.labels {
                let mut lm = Vec::new();
                put_int(&mut lm, 1, strings.id(key));
                put_int(&mut lm, 3, num as u64);
                if !unit.is_empty() {
                    put_int(&mut lm, 4, strings.id(unit));
                }
                put_bytes(&mut m, 3, &lm);
            }
            for (key, value) in &sample.str_labels {
                let mut lm = Vec::new();
                put_int(&mut lm, 1, strings.id(key));
                put_int(&mut lm, 2, strings.id(value));
                put_bytes(&mut m, 3, &lm);
            }
            put_bytes(&mut out, 2, &m);
        }
        for mapping in mappings.iter() {
            let mut m = Vec::new();
            put_int(&mut m, 1, mapping.id);
            put_int(&mut m, 2, mapping.start);
            put_int(&mut m, 3, mapping.limit);
            put_int(&mut m, 4, mapping.offset);
            put_int(&mut m, 5, strings.id(&mapping.file));
            put_int(&mut m, 6, strings.id(&mapping.build_id));
            // Every location carries its symbolised frames: pprof need not look elsewhere.
            for field in 7..=10 {
                put_int(&mut m, field, 1);
            }
            put_bytes(&mut out, 3, &m);
        }
        out.extend_from_slice(&location_msgs);
        out.extend_from_slice(&function_msgs);
        let time_nanos = self
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        put_int(&mut out, 9, time_nanos);
        if let Some(d) = self.duration {
            put_int(&mut out, 10, d.as_nanos() as u64);
        }
        let mut pt = Vec::new();
        put_int(&mut pt, 1, strings.id(self.period_type.0));
        put_int(&mut pt, 2, strings.id(self.period_type.1));
        put_bytes(&mut out, 11, &pt);
        put_int(&mut out, 12, self.period as u64);
        for c in &self.comments {
            put_int(&mut out, 13, strings.id(c));
        }
        if let Some(d) = self.default_sample_type {
            put_int(&mut out, 14, strings.id(d));
        }
        // The string table goes last but must hold every id handed out above.
        let mut table = Vec::new();
        for s in &strings.list {
            put_bytes(&mut table, 6, s.as_bytes());
        }
        table.extend_from_slice(&out);
        table
    }

    /// Folded stacks: `outer;...;inner value` per line (the first sample value), outermost
    /// frame first, inlined frames as frames of their own.
    pub(crate) fn folded(&self) -> String {
        let mut symbols = symbol::cache();
        let stacks = self.resolved(&mut symbols);
        drop(symbols);
        let mut lines: HashMap<String, i64> = HashMap::new();
        for (sample, stack) in self.samples.iter().zip(&stacks) {
            let names: Vec<&str> = stack
                .iter()
                .rev()
                .flat_map(|(_, frames)| frames.iter().rev().map(|f| f.function.as_str()))
                .collect();
            *lines.entry(names.join(";")).or_insert(0) += sample.values[0];
        }
        let mut lines: Vec<_> = lines.into_iter().collect();
        lines.sort();
        let mut out = String::new();
        for (stack, count) in lines {
            let _ = writeln!(out, "{stack} {count}");
        }
        out
    }

    /// Go's legacy text form (`?debug=1`): `count: value [count: value] @ addrs`, then each
    /// address with its function, file and line.
    pub(crate) fn text(&self, header: &str) -> String {
        let mut symbols = symbol::cache();
        let stacks = self.resolved(&mut symbols);
        drop(symbols);
        let mut order: Vec<usize> = (0..self.samples.len()).collect();
        // Largest first on the last value (bytes or nanoseconds), as Go sorts.
        order.sort_by_key(|&i| std::cmp::Reverse(self.samples[i].values.last().copied()));
        let mut out = String::new();
        out.push_str(header);
        out.push('\n');
        for i in order {
            let s = &self.samples[i];
            let values: Vec<String> = s.values.iter().map(i64::to_string).collect();
            let _ = write!(out, "{} @", pairs(&values));
            for (addr, _) in &stacks[i] {
                let _ = write!(out, " {addr:#x}");
            }
            out.push('\n');
            for (addr, frames) in &stacks[i] {
                for f in frames {
                    let _ = writeln!(out, "#\t{addr:#x}\t{}\t{}:{}", f.function, f.file, f.line);
                }
            }
            for (key, value) in &s.str_labels {
                let _ = writeln!(out, "# labels: {{\"{key}\":\"{value}\"}}");
            }
            out.push('\n');
        }
        for c in &self.comments {
            let _ = writeln!(out, "# {c}");
        }
        out
    }
}

/// `a: b [c: d]` for four values (Go's heap lines), `a: b` for two, `a` for one.
fn pairs(values: &[String]) -> String {
    match values {
        [a, b, c, d] => format!("{a}: {b} [{c}: {d}]"),
        [a, b] => format!("{a}: {b}"),
        other => other.join(" "),
    }
}

#[derive(Default)]
struct Strings {
    list: Vec<String>,
    ids: HashMap<String, u64>,
}

impl Strings {
    fn id(&mut self, s: &str) -> u64 {
        if self.list.is_empty() {
            self.list.push(String::new());
            self.ids.insert(String::new(), 0);
        }
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let id = self.list.len() as u64;
        self.list.push(s.to_owned());
        self.ids.insert(s.to_owned(), id);
        id
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_int(out: &mut Vec<u8>, field: u32, v: u64) {
    put_varint(out, u64::from(field) << 3);
    put_varint(out, v);
}

fn put_bytes(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    put_varint(out, (u64::from(field) << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn put_packed(out: &mut Vec<u8>, field: u32, values: impl Iterator<Item = u64>) {
    let mut body = Vec::new();
    for v in values {
        put_varint(&mut body, v);
    }
    put_bytes(out, field, &body);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_are_protobufs() {
        let mut out = Vec::new();
        put_varint(&mut out, 1);
        put_varint(&mut out, 300);
        put_varint(&mut out, u64::MAX);
        assert_eq!(&out[..3], &[1, 0xac, 0x02]);
        assert_eq!(out.len(), 3 + 10);
        let mut field = Vec::new();
        put_int(&mut field, 12, 150);
        assert_eq!(field, [0x60, 0x96, 0x01]);
    }

    #[test]
    fn delta_subtracts_matching_samples() {
        let stack = Stack {
            addrs: vec![1, 2],
            leaf_is_ip: false,
        };
        let sample = |v| Sample {
            stack: stack.clone(),
            values: vec![v, v * 10],
            labels: vec![],
            str_labels: vec![],
        };
        let mut base = Profile::new(vec![("a", "count"), ("b", "bytes")], ("b", "bytes"), 1);
        base.samples.push(sample(2));
        let mut now = base.clone();
        now.samples[0] = sample(5);
        let d = now.delta(&base);
        assert_eq!(d.samples[0].values, vec![3, 30]);
        let same = base.clone().delta(&base);
        assert!(same.samples.is_empty());
    }
}
