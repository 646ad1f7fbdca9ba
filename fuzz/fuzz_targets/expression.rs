#![no_main]
//! Arkime's expression language: any text is parsed and resolved against every field
//! the capture defines. It must end in a query or a positioned error, never a panic, a
//! stack overflow or an allocation beyond the input's size.
use libfuzzer_sys::fuzz_target;
use trawl_fields::FieldRegistry;

thread_local! {
    static FIELDS: FieldRegistry = trawl_fuzz::field_registry();
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    FIELDS.with(|reg| match trawl_query::compile(&text, reg) {
        Ok(_) => {}
        // An error quotes a short excerpt, not the input.
        Err(e) => assert!(e.len() < 1000, "error of {} bytes", e.len()),
    });
});
