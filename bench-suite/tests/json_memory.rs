//! perfkit-json's working memory, measured with the bench suite's counting allocator: the peak
//! bytes one parse holds beyond the value it returns stay under 4x the input, hostile inputs
//! included, on the default path (the streaming engine, for every input) and with
//! `stream_from(0)` said explicitly; a DOM (whose arrays grow by doubling, in serde_json's
//! visitor as in ours) peaks no higher than serde_json's own; and a large body's peak stays
//! under serde_json's plus twice the input.

use perfkit_bench::alloc::{reset_thread_peak, thread_live, thread_peak};
use perfkit_bench::bodies::{EventsFew, Order, events, order};
use perfkit_json::Parser;
use serde::de::{DeserializeOwned, IgnoredAny};

/// (peak beyond the returned value, the value's own bytes) of `parse`, which builds its own
/// parser (freed before the reading) so that kept buffers are counted as working memory.
fn measure<T>(parse: impl FnOnce() -> T) -> (i64, i64) {
    let before = thread_live();
    reset_thread_peak();
    let value = parse();
    let after = thread_live();
    let peak = thread_peak();
    drop(value);
    (peak - after, after - before)
}

fn streaming<T: DeserializeOwned>(input: &[u8]) -> T {
    Parser::builder()
        .stream_from(0)
        .build()
        .parse(input)
        .expect("valid")
}

fn default<T: DeserializeOwned>(input: &[u8]) -> T {
    Parser::new().parse(input).expect("valid")
}

fn assert_bounded(what: &str, input: &[u8], (working, value): (i64, i64)) {
    let len = i64::try_from(input.len()).unwrap();
    eprintln!(
        "{what}: {} bytes in, {working} working ({:.2}x), {value} kept",
        len,
        working as f64 / len as f64
    );
    assert!(
        working <= 4 * len,
        "{what}: {working} bytes of working memory for {len} bytes of input"
    );
}

/// `[0,0,0,...]`: two bytes per value, the densest document (simd-json's buffers take ~15x).
fn zeros(len: usize) -> Vec<u8> {
    let mut body = b"[0".to_vec();
    while body.len() + 3 <= len {
        body.extend_from_slice(b",0");
    }
    body.push(b']');
    body
}

#[test]
fn streaming_parses_stay_under_4x_the_input() {
    let dense = zeros(3 << 20);
    let nested = format!("{}{}", "[".repeat(100), "]".repeat(100)).repeat(20_000);
    let nested = format!("[{}]", nested.replace("][", "],["));
    let escaped = format!("[\"{}\"]", "\\u00e9\\n".repeat(400_000));
    let order_body = order(3 << 20);
    let events_body = events(3 << 20);
    for (name, input) in [
        ("zeros", &dense),
        ("nested", &nested.clone().into_bytes()),
        ("escaped", &escaped.clone().into_bytes()),
        ("order", &order_body),
        ("events", &events_body),
    ] {
        assert_bounded(
            &format!("{name} ignored"),
            input,
            measure(|| streaming::<IgnoredAny>(input)),
        );
        assert_bounded(
            &format!("{name} ignored, default parser"),
            input,
            measure(|| default::<IgnoredAny>(input)),
        );
        // A DOM's arrays grow by doubling (serde_json's `Value` visitor, given no length),
        // and each growth holds the old block beside the new: the value's cost, not the
        // parser's, and the same as serde_json's own.
        let (working, value) = measure(|| streaming::<serde_json::Value>(input));
        let (theirs_working, theirs_value) =
            measure(|| serde_json::from_slice::<serde_json::Value>(input).unwrap());
        eprintln!(
            "{name} as Value: peak {}, serde_json {}",
            working + value,
            theirs_working + theirs_value
        );
        assert!(
            working + value <= theirs_working + theirs_value + 4096,
            "{name} as serde_json::Value: peak {} against serde_json's {}",
            working + value,
            theirs_working + theirs_value
        );
    }
    assert_bounded(
        "zeros as Vec<u8>",
        &dense,
        measure(|| default::<Vec<u8>>(&dense)),
    );
    assert_bounded(
        "escaped as Vec<String>",
        escaped.as_bytes(),
        measure(|| default::<Vec<String>>(escaped.as_bytes())),
    );
    assert_bounded(
        "order",
        &order_body,
        measure(|| default::<Order>(&order_body)),
    );
    assert_bounded(
        "events, few fields",
        &events_body,
        measure(|| default::<EventsFew>(&events_body)),
    );
    // Small inputs too, when asked to stream.
    let small = zeros(4096);
    assert_bounded(
        "small zeros ignored",
        &small,
        measure(|| streaming::<IgnoredAny>(&small)),
    );
}

#[test]
fn a_large_body_peaks_under_serde_jsons_plus_twice_the_input() {
    let body = order(24 << 20);
    let len = i64::try_from(body.len()).unwrap();
    let (ours_working, ours_value) = measure(|| perfkit_json::from_slice::<Order>(&body).unwrap());
    let (theirs_working, theirs_value) =
        measure(|| serde_json::from_slice::<Order>(&body).unwrap());
    let (ours, theirs) = (ours_working + ours_value, theirs_working + theirs_value);
    eprintln!("24 MiB order: peak {ours} bytes, serde_json {theirs}");
    assert!(
        ours <= theirs + 2 * len,
        "peak {ours} bytes against serde_json's {theirs} for {len} bytes of input"
    );
}

#[test]
fn a_truncated_large_body_is_placed_without_a_second_dom() {
    let body = order(6 << 20);
    let cut = &body[..body.len() / 2];
    // The DOM built up to the cut is the one serde_json builds too; placing the error must
    // not build another.
    let (ours_peak, _) = measure(|| Parser::new().parse_value(cut).unwrap_err());
    let (theirs_peak, _) =
        measure(|| serde_json::from_slice::<serde_json::Value>(cut).unwrap_err());
    let ours = Parser::new().parse_value(cut).unwrap_err();
    let theirs = serde_json::from_slice::<serde_json::Value>(cut).unwrap_err();
    assert!(ours.is_eof(), "{ours}");
    assert_eq!(
        (ours.line(), ours.column()),
        (Some(theirs.line() as u64), Some(theirs.column() as u64))
    );
    eprintln!("truncated order as a DOM: peak {ours_peak}, serde_json {theirs_peak}");
    assert!(
        ours_peak <= theirs_peak + 4096,
        "peak {ours_peak} against serde_json's {theirs_peak}"
    );
}
