//! git_commit_of reads HEAD, loose refs, packed-refs and worktree links
//! without a git binary; build_info! describes the calling crate.

mod common;

use common::write;
use didymos_prov::{build_info, git_commit_of};
use std::path::Path;

const C1: &str = "1111111111111111111111111111111111111111";
const C2: &str = "2222222222222222222222222222222222222222";

#[test]
fn loose_ref_packed_ref_detached_and_unborn() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    let sub = repo.join("crates/x/src");
    std::fs::create_dir_all(&sub).unwrap();
    assert_eq!(git_commit_of(&sub), None, "no repository");

    write(&repo.join(".git/HEAD"), b"ref: refs/heads/main\n");
    assert_eq!(git_commit_of(&sub), None, "unborn branch");
    write(&repo.join(".git/packed-refs"), format!("# pack-refs with: peeled fully-peeled sorted\n{C2} refs/heads/other\n{C1} refs/heads/main\n^{C2}\n").as_bytes());
    assert_eq!(git_commit_of(&sub).as_deref(), Some(C1), "from packed-refs");
    write(
        &repo.join(".git/refs/heads/main"),
        format!("{C2}\n").as_bytes(),
    );
    assert_eq!(
        git_commit_of(&sub).as_deref(),
        Some(C2),
        "a loose ref wins over packed-refs"
    );
    write(
        &repo.join(".git/HEAD"),
        format!("{}\n", C1.to_uppercase()).as_bytes(),
    );
    assert_eq!(git_commit_of(repo).as_deref(), Some(C1), "detached HEAD");
}

#[test]
fn worktree_gitdir_file_and_common_dir() {
    let dir = tempfile::tempdir().unwrap();
    let main_git = dir.path().join("main/.git");
    write(
        &main_git.join("refs/heads/feature"),
        format!("{C2}\n").as_bytes(),
    );
    let wt_git = main_git.join("worktrees/wt");
    write(&wt_git.join("HEAD"), b"ref: refs/heads/feature\n");
    write(&wt_git.join("commondir"), b"../..\n");
    let wt = dir.path().join("wt");
    write(
        &wt.join(".git"),
        format!("gitdir: {}\n", wt_git.display()).as_bytes(),
    );
    assert_eq!(git_commit_of(&wt).as_deref(), Some(C2));
}

#[test]
fn agrees_with_git_on_this_repository() {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Ok(out) = std::process::Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(here)
        .output()
    else {
        didymos_core::skipped!("git not installed (only needed to cross-check git_commit_of)");
        return;
    };
    if !out.status.success() {
        didymos_core::skipped!("{} is not in a git repository with commits", here.display());
        return;
    }
    let want = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    assert_eq!(git_commit_of(here), Some(want));
}

#[test]
fn build_info_describes_the_calling_crate() {
    let info = build_info!();
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(
        info.profile,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    assert!(info.features.is_empty());
    assert!(!info.host.is_empty() && !info.user.is_empty());
}
