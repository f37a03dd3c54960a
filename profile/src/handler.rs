//! The endpoints, framework-agnostic: a path, a query and a body in; a status, a content type
//! and a body out. [`crate::serve`] puts them behind a small HTTP server; a service mounts
//! [`handle`] in its own router instead.

use crate::proto::Profile;
use crate::{contention, cpu, heap, symbol, threads};
use std::fmt::Write as _;
use std::time::Duration;

/// What an endpoint answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// The `Content-Type` header.
    pub content_type: &'static str,
    /// The `Content-Disposition` header, for profiles (`attachment; filename="heap"`).
    pub content_disposition: Option<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            content_disposition: None,
            body: body.into().into_bytes(),
        }
    }

    fn profile(name: &str, p: &Profile) -> Self {
        Self {
            status: 200,
            content_type: "application/octet-stream",
            content_disposition: Some(format!("attachment; filename=\"{name}\"")),
            body: p.encode(),
        }
    }
}

/// The profiles of the index page: path, Go's one-line description.
const PROFILES: &[(&str, &str)] = &[
    (
        "allocs",
        "A sampling of all past memory allocations (HeapProfiler as the global allocator)",
    ),
    (
        "block",
        "Stack traces that led to blocking on perfkit's locks (set_block_profile_rate)",
    ),
    (
        "cmdline",
        "The command line invocation of the current program",
    ),
    (
        "goroutine",
        "Stack traces of all current threads (Go's goroutine profile, for threads)",
    ),
    (
        "heap",
        "A sampling of memory allocations of live objects. You can specify the gc GET parameter to run GC before taking the heap sample (no effect here: frees are immediate)",
    ),
    (
        "mutex",
        "Stack traces of holders of contended perfkit locks (set_mutex_profile_fraction)",
    ),
    (
        "profile",
        "CPU profile. You can specify the duration in the seconds GET parameter. After you get the profile file, use the go tool pprof command to investigate the profile",
    ),
    (
        "symbol",
        "Looks up the program counters listed in the request, responding with a table mapping program counters to function names",
    ),
];

/// Answer one request: `path` as the server saw it (`/debug/pprof/heap`), `query` without
/// the `?` (`debug=1&seconds=5`), `body` for `POST /debug/pprof/symbol` (empty otherwise).
///
/// Paths: `/debug/pprof/` (index), `profile`, `heap`, `allocs`, `mutex`, `block`,
/// `goroutine`, `symbol`, `cmdline` under it, and `/debug/vars`. Unknown paths get 404,
/// bad parameters 400, a CPU profile while one runs 500 with Go's message.
pub fn handle(path: &str, query: &str, body: &[u8]) -> Response {
    let params = Params::parse(query);
    let path = path.trim_end_matches('/');
    let name = match path {
        "/debug/vars" => {
            return Response {
                status: 200,
                content_type: "application/json; charset=utf-8",
                content_disposition: None,
                body: crate::vars::json().into_bytes(),
            };
        }
        "/debug/pprof" => return index(),
        p => match p.strip_prefix("/debug/pprof/") {
            Some(name) => name,
            None => return Response::text(404, "404 page not found\n"),
        },
    };
    let debug = match params.number("debug") {
        Ok(d) => d.unwrap_or(0),
        Err(e) => return e,
    };
    let seconds = match params.number("seconds") {
        Ok(s) => s,
        Err(e) => return e,
    };
    match name {
        "profile" => cpu(seconds.unwrap_or(30)),
        "heap" | "allocs" | "mutex" | "block" => {
            let take = || match name {
                "heap" => heap::profile(None),
                "allocs" => heap::profile(Some("alloc_space")),
                "mutex" => contention::profile(contention::Kind::Mutex),
                _ => contention::profile(contention::Kind::Block),
            };
            let mut p = match seconds {
                Some(0) => return Response::text(400, "seconds must be positive\n"),
                Some(s) if s > MAX_SECONDS => return too_long(),
                Some(s) => {
                    let base = take();
                    std::thread::sleep(Duration::from_secs(s));
                    let mut p = take().delta(&base);
                    p.duration = Some(Duration::from_secs(s));
                    p.comments.push(format!("delta over {s} s"));
                    p
                }
                None => take(),
            };
            if debug > 0 {
                let header = match name {
                    "heap" | "allocs" => {
                        let t = heap_totals(&p);
                        format!(
                            "heap profile: {}: {} [{}: {}] @ heap/{}",
                            t[2],
                            t[3],
                            t[0],
                            t[1],
                            heap::sample_rate()
                        )
                    }
                    other => format!("--- {other}:\ncycles/second=1000000000"),
                };
                let mut text = p.text(&header);
                if matches!(name, "heap" | "allocs") {
                    text.push_str(&memstats_text());
                }
                return Response::text(200, text);
            }
            p.time = std::time::SystemTime::now();
            Response::profile(name, &p)
        }
        "goroutine" => match debug {
            0 => Response::profile("goroutine", &threads::profile()),
            d => Response::text(200, threads::text(u32::try_from(d).unwrap_or(u32::MAX))),
        },
        "cmdline" => Response::text(200, std::env::args().collect::<Vec<_>>().join("\0")),
        "symbol" => symbolz(query, body),
        "threadcreate" => Response::text(
            404,
            "threadcreate is not available: Rust does not record where threads are created\n",
        ),
        _ => Response::text(404, format!("Unknown profile: {name}\n")),
    }
}

/// Longest `seconds` accepted (an hour): a typo must not pin a server thread for days.
const MAX_SECONDS: u64 = 3600;

fn too_long() -> Response {
    Response::text(400, format!("seconds must be at most {MAX_SECONDS}\n"))
}

fn cpu(seconds: u64) -> Response {
    if seconds == 0 {
        return Response::text(400, "seconds must be positive\n");
    }
    if seconds > MAX_SECONDS {
        return too_long();
    }
    match cpu::CpuProfiler::start(cpu::DEFAULT_HZ) {
        Ok(profiler) => {
            std::thread::sleep(Duration::from_secs(seconds));
            let p = profiler.stop();
            Response {
                status: 200,
                content_type: "application/octet-stream",
                content_disposition: Some("attachment; filename=\"profile\"".to_owned()),
                body: p.to_pprof(),
            }
        }
        Err(e) => Response::text(500, format!("Could not enable CPU profiling: {e}\n")),
    }
}

/// Sums of the four heap values over every sample.
fn heap_totals(p: &Profile) -> [i64; 4] {
    let mut t = [0i64; 4];
    for s in &p.samples {
        for (acc, v) in t.iter_mut().zip(&s.values) {
            *acc += v;
        }
    }
    t
}

/// The `# runtime.MemStats` trailer of Go's `heap?debug=1`, from our exact totals.
fn memstats_text() -> String {
    let s = heap::heap_stats();
    let m = crate::vars::process_memory();
    let mut out = String::from("\n# runtime.MemStats\n");
    let _ = writeln!(out, "# Alloc = {}", s.live_bytes);
    let _ = writeln!(out, "# TotalAlloc = {}", s.total_bytes);
    let _ = writeln!(out, "# Sys = {}", m.rss_bytes);
    let _ = writeln!(out, "# Mallocs = {}", s.total_allocations);
    let _ = writeln!(out, "# Frees = {}", s.frees);
    let _ = writeln!(out, "# HeapAlloc = {}", s.live_bytes);
    let _ = writeln!(out, "# HeapObjects = {}", s.live_allocations);
    let _ = writeln!(out, "# ProfilerOverhead = {}", s.overhead_bytes);
    out
}

/// Go's symbolz: `GET` says symbols are available; a `POST` body (or the query) of
/// `0xaddr+0xaddr...` gets a line `0xaddr name` per address.
fn symbolz(query: &str, body: &[u8]) -> Response {
    let request = if body.is_empty() {
        query.to_owned()
    } else {
        String::from_utf8_lossy(body).into_owned()
    };
    if request.trim().is_empty() {
        return Response::text(200, "num_symbols: 1\n");
    }
    let mut cache = symbol::cache();
    let mut out = String::new();
    for word in request.split(['+', '&', ' ', '\n']) {
        let word = word.trim();
        let Some(hex) = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X")) else {
            continue;
        };
        let Ok(addr) = u64::from_str_radix(hex, 16) else {
            continue;
        };
        // The outermost function at the address (inlined frames come first).
        if let Some(f) = cache.resolve(addr).last() {
            let _ = writeln!(out, "{addr:#x} {}", f.function);
        }
    }
    Response::text(200, out)
}

fn index() -> Response {
    let mut html = String::from(
        "<html>\n<head>\n<title>/debug/pprof/</title>\n</head>\n<body>\n/debug/pprof/\n<br>\n\
         <p>Set debug=1 as a query parameter to export in legacy text format</p>\n<br>\n\
         Types of profiles available:\n<table>\n<thead><td>Count</td><td>Profile</td></thead>\n",
    );
    let stats = heap::heap_stats();
    for (name, _) in PROFILES {
        let count = match *name {
            "heap" | "allocs" => stats.records.to_string(),
            "goroutine" => crate::vars::process_memory().threads.to_string(),
            _ => String::new(),
        };
        let link = match *name {
            "profile" | "symbol" | "cmdline" => (*name).to_owned(),
            other => format!("{other}?debug=1"),
        };
        let _ = writeln!(
            html,
            "<tr><td>{count}</td><td><a href=\"/debug/pprof/{link}\">{name}</a></td></tr>"
        );
    }
    html.push_str(
        "<tr><td></td><td><a href=\"/debug/pprof/goroutine?debug=2\">full goroutine stack dump</a></td></tr>\n</table>\n\
         <a href=\"/debug/vars\">/debug/vars</a>: memory statistics as JSON\n<br>\n<p>\nProfile Descriptions:\n<ul>\n",
    );
    for (name, what) in PROFILES {
        let _ = writeln!(
            html,
            "<li><div class=profile-name>{name}: </div> {what}</li>"
        );
    }
    html.push_str("</ul>\n</p>\n</body>\n</html>\n");
    Response {
        status: 200,
        content_type: "text/html; charset=utf-8",
        content_disposition: None,
        body: html.into_bytes(),
    }
}

struct Params<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Params<'a> {
    fn parse(query: &'a str) -> Self {
        Self(
            query
                .split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
                .collect(),
        )
    }

    /// A non-negative integer parameter; a 400 response naming it when malformed.
    fn number(&self, key: &str) -> Result<Option<u64>, Response> {
        match self.0.iter().rev().find(|(k, _)| *k == key) {
            None => Ok(None),
            Some((_, v)) => v.parse::<u64>().map(Some).map_err(|_| {
                Response::text(
                    400,
                    format!("invalid value for {key}: {v:?} (want a non-negative integer)\n"),
                )
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_errors() {
        assert_eq!(handle("/nope", "", b"").status, 404);
        assert_eq!(handle("/debug/pprof/nope", "", b"").status, 404);
        let index = handle("/debug/pprof/", "", b"");
        assert_eq!(index.status, 200);
        let html = String::from_utf8(index.body).unwrap();
        for (name, _) in PROFILES {
            assert!(html.contains(&format!("{name}: </div>")), "{name}");
        }
        let bad = handle("/debug/pprof/heap", "debug=x", b"");
        assert_eq!(bad.status, 400);
        assert!(String::from_utf8(bad.body).unwrap().contains("debug"));
        assert_eq!(handle("/debug/pprof/profile", "seconds=0", b"").status, 400);
        assert_eq!(
            handle("/debug/pprof/heap", "seconds=99999", b"").status,
            400
        );
        let sym = handle("/debug/pprof/symbol", "", b"");
        assert_eq!(sym.body, b"num_symbols: 1\n");
        let heap = handle("/debug/pprof/heap", "", b"");
        assert_eq!(heap.status, 200);
        assert_eq!(&heap.body[..2], &[0x1f, 0x8b], "gzip");
    }

    #[test]
    fn symbolz_names_an_address() {
        let addr = routes_and_errors as *const () as usize;
        let r = handle("/debug/pprof/symbol", "", format!("{addr:#x}").as_bytes());
        let text = String::from_utf8(r.body).unwrap();
        assert!(text.contains("routes_and_errors"), "{text}");
    }
}
