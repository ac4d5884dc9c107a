//! Generates Rust types from `portable/*.asn` with rasn-compiler, one run per module
//! (compiling the four together keeps only one `CorrelationId`, notes/asn1-toolchain.md).
//!
//! One edit is made to the output, and the build fails if it no longer applies:
//! the `SIZE(0..16)` of `Candidate` (a UTF8String) is removed from rasn's view because rasn
//! 0.30 counts it in bytes, refusing valid 16-character non-ASCII names in BER/DER/CER and
//! OER/COER. A UTF8String size constraint is not PER-visible (X.691 30.5.7: only
//! known-multiplier character strings are), and OER and the BER family always carry the
//! length, so removing it changes no encoding; `baton_asn1::validate` enforces it by
//! characters, in every rule.

use rasn_compiler::prelude::*;
use std::path::PathBuf;

const MODULES: [&str; 5] = ["election", "role", "monitor", "status", "replication"];

const CANDIDATE_AS_GENERATED: &str =
    "#[rasn(delegate, size(\"0..=16\"))]\n    pub struct Candidate(pub Utf8String);";
const CANDIDATE_AS_USED: &str = "#[rasn(delegate)]\n    pub struct Candidate(pub Utf8String);";

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for module in MODULES {
        let src = format!("portable/failover-{module}-interface.asn");
        println!("cargo:rerun-if-changed={src}");
        let dest = out.join(format!("{module}.rs"));
        let warnings = Compiler::<RasnBackend, _>::new()
            .add_asn_by_path(&src)
            .set_output_mode(rasn_compiler::OutputMode::SingleFile(dest.clone()))
            .compile()
            .unwrap_or_else(|e| panic!("rasn-compiler failed on {src}: {e:?}"));
        for w in warnings {
            println!("cargo:warning={src}: {w:?}");
        }
        if module == "election" {
            let code = std::fs::read_to_string(&dest).expect("generated file is readable");
            assert!(
                code.contains(CANDIDATE_AS_GENERATED),
                "rasn-compiler output changed: Candidate is no longer generated as expected; \
                 review the edit in asn1/build.rs"
            );
            let code = code.replace(CANDIDATE_AS_GENERATED, CANDIDATE_AS_USED);
            std::fs::write(&dest, code).expect("generated file is writable");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
