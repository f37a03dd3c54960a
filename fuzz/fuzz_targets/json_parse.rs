//! Every entry point on arbitrary bytes, with small limits: must return, never panic; and what
//! parses must agree across entry points and survive a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use perfkit_json::{Parser, Value};

fuzz_target!(|data: &[u8]| {
    let mut parser = Parser::builder().max_depth(64).max_input(1 << 20).build();
    let value = parser.parse_value(data);
    let document = parser.parse_document(data).map(|d| d.to_value());
    let typed = parser.parse::<serde_json::Value>(data);
    let mut copy = data.to_vec();
    let in_place = parser.parse_in_place::<Value>(&mut copy);
    assert_eq!(value.is_ok(), document.is_ok());
    assert_eq!(value.is_ok(), typed.is_ok());
    assert_eq!(value.is_ok(), in_place.is_ok());
    if let (Ok(value), Ok(document)) = (value, document) {
        assert_eq!(value, document);
        let again = parser
            .parse_value(&perfkit_json::to_vec(&value).unwrap())
            .unwrap();
        assert_eq!(value, again);
    }
});
