//! The local-stack tests are compiled in only when `OMP_API_URL` names a running stack;
//! without it they are reported as ignored, with one line saying how to run them.

fn main() {
    println!("cargo::rustc-check-cfg=cfg(local_stack)");
    println!("cargo::rerun-if-env-changed=OMP_API_URL");
    if std::env::var_os("OMP_API_URL").is_some_and(|url| !url.is_empty()) {
        println!("cargo::rustc-cfg=local_stack");
    }
}
