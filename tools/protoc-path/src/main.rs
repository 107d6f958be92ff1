//! Prints the path of the protoc binary shipped by `protoc-bin-vendored`.
//!
//! tf-provider's build script needs `protoc`; the Makefile hands this path over
//! through `PROTOC` so a fresh machine needs no manual install.

fn main() {
    match protoc_bin_vendored::protoc_bin_path() {
        Ok(path) => println!("{}", path.display()),
        Err(err) => {
            eprintln!("protoc-path: no vendored protoc for this platform: {err}");
            std::process::exit(1);
        }
    }
}
