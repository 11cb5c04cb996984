//! Records the git commit the binary was built from (for provenance).
fn main() {
    didymos_prov::emit_git_commit_for_build_script();
}
