//! Generates the C header with cbindgen into OUT_DIR on every build. The committed copy in
//! include/ is compared with it by a unit test (`cargo test -p botsplash-c`), so drift fails
//! the tests without the build ever writing into the source tree on its own; set
//! BOTSPLASH_UPDATE_HEADER=1 to refresh the committed copy.

use std::env;
use std::path::PathBuf;

fn main() {
    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=include/botsplash.h");
    println!("cargo:rerun-if-env-changed=BOTSPLASH_UPDATE_HEADER");

    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")).expect("cbindgen.toml is readable");
    // with_src reads src/lib.rs and its modules without running `cargo metadata` inside the build.
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen could not generate the header");
    bindings.write_to_file(out_dir.join("botsplash.h"));

    if env::var_os("BOTSPLASH_UPDATE_HEADER").is_some_and(|v| !v.is_empty() && v != "0") {
        std::fs::create_dir_all(crate_dir.join("include")).expect("include/ can be created");
        bindings.write_to_file(crate_dir.join("include/botsplash.h"));
    }
}
