//! Records the git commit the service was built from (for provenance).
fn main() {
    didymos_prov::emit_git_commit_for_build_script();
}
