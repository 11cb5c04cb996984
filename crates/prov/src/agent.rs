//! Who ran it: software version, git commit, build profile, features, host, user.

use std::path::{Path, PathBuf};

/// The software agent of a run and the user (or API token name) behind it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentInfo {
    /// The caller's `CARGO_PKG_VERSION`.
    pub version: String,
    /// The git commit the binary was built from, if known.
    pub git_commit: Option<String>,
    /// `"debug"` or `"release"` (from `cfg!(debug_assertions)`).
    pub profile: String,
    /// Enabled cargo features.
    pub features: Vec<String>,
    pub host: String,
    /// The `USER` environment variable, or an API token's name.
    pub user: String,
}

impl AgentInfo {
    /// Version, commit, profile and features from the caller; host and user
    /// from this machine ([`host_name`], [`user_name`]).
    pub fn new(
        version: &str,
        git_commit: Option<String>,
        profile: &str,
        features: Vec<String>,
    ) -> Self {
        AgentInfo {
            version: version.to_owned(),
            git_commit,
            profile: profile.to_owned(),
            features,
            host: host_name(),
            user: user_name(),
        }
    }
}

/// Builds an [`AgentInfo`] for the calling crate: its `CARGO_PKG_VERSION`,
/// the commit in `DIDYMOS_GIT_COMMIT` at compile time (see
/// [`emit_git_commit_for_build_script`]), its profile and the listed features
/// that are enabled: `build_info!()` or `build_info!("parquet", "service")`.
///
/// ```
/// let info = didymos_prov::build_info!("parquet");
/// assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
/// assert!(info.features.is_empty()); // this doctest has no such feature
/// ```
#[macro_export]
macro_rules! build_info {
    ($($feature:tt),* $(,)?) => {{
        let mut features: ::std::vec::Vec<::std::string::String> = ::std::vec::Vec::new();
        $( if cfg!(feature = $feature) { features.push(::std::string::String::from($feature)); } )*
        $crate::AgentInfo::new(
            env!("CARGO_PKG_VERSION"),
            option_env!("DIDYMOS_GIT_COMMIT").filter(|c| !c.is_empty()).map(::std::string::String::from),
            if cfg!(debug_assertions) { "debug" } else { "release" },
            features,
        )
    }};
}

/// The host name: `/etc/hostname`, then `/proc/sys/kernel/hostname`, then
/// `HOSTNAME` or `COMPUTERNAME`, else `"unknown"`.
pub fn host_name() -> String {
    ["/etc/hostname", "/proc/sys/kernel/hostname"]
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .map(|s| s.trim().to_owned())
        .chain(
            ["HOSTNAME", "COMPUTERNAME"]
                .iter()
                .filter_map(|v| std::env::var(v).ok()),
        )
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The user: `USER`, `LOGNAME` or `USERNAME`, else `"unknown"`.
pub fn user_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The git directory of the repository containing `dir` (or an ancestor),
/// following a `.git` file (`gitdir: …`) as worktrees and submodules use.
fn git_dir_of(dir: &Path) -> Option<PathBuf> {
    let start = dir.canonicalize().ok()?;
    for d in start.ancestors() {
        let dot_git = d.join(".git");
        if dot_git.is_dir() {
            return Some(dot_git);
        }
        if dot_git.is_file() {
            let text = std::fs::read_to_string(&dot_git).ok()?;
            let target = text.trim().strip_prefix("gitdir:")?.trim();
            return Some(d.join(target));
        }
    }
    None
}

fn is_hash(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Paths that decide HEAD's commit: HEAD, the branch ref file and packed-refs
/// (in the git dir and, for worktrees, the common dir).
fn head_files(git_dir: &Path) -> (Option<String>, Vec<PathBuf>) {
    let mut files = vec![git_dir.join("HEAD")];
    let Ok(head) = std::fs::read_to_string(git_dir.join("HEAD")) else {
        return (None, files);
    };
    let head = head.trim();
    let Some(refname) = head.strip_prefix("ref:").map(str::trim) else {
        return (is_hash(head).then(|| head.to_lowercase()), files);
    };
    let common = std::fs::read_to_string(git_dir.join("commondir"))
        .map(|c| git_dir.join(c.trim()))
        .unwrap_or_else(|_| git_dir.to_path_buf());
    let mut found = None;
    for base in [git_dir, common.as_path()] {
        let loose = base.join(refname);
        files.extend(loose.parent().map(Path::to_path_buf));
        files.push(loose.clone());
        if found.is_none() {
            if let Ok(text) = std::fs::read_to_string(&loose) {
                found = Some(text.trim().to_lowercase()).filter(|h| is_hash(h));
            }
        }
    }
    for base in [git_dir, common.as_path()] {
        let packed = base.join("packed-refs");
        files.push(packed.clone());
        if found.is_none() {
            let text = std::fs::read_to_string(&packed).unwrap_or_default();
            found = text
                .lines()
                .filter_map(|l| l.split_once(' '))
                .find(|(hash, name)| name.trim() == refname && is_hash(hash))
                .map(|(hash, _)| hash.to_lowercase());
        }
    }
    (found, files)
}

/// The commit checked out in the repository containing `dir`, read from
/// `.git/HEAD` and the ref file or `packed-refs` (no `git` binary). `None`
/// outside a repository, or on an unborn branch.
pub fn git_commit_of(dir: &Path) -> Option<String> {
    head_files(&git_dir_of(dir)?).0
}

/// For a `build.rs`: sets `DIDYMOS_GIT_COMMIT` for the crate being built to
/// the commit of the repository containing `CARGO_MANIFEST_DIR` (empty if
/// none), and asks cargo to rebuild when HEAD or the branch moves. An already
/// set `DIDYMOS_GIT_COMMIT` (e.g. from CI) wins.
pub fn emit_git_commit_for_build_script() {
    println!("cargo:rerun-if-env-changed=DIDYMOS_GIT_COMMIT");
    if let Ok(commit) = std::env::var("DIDYMOS_GIT_COMMIT") {
        println!("cargo:rustc-env=DIDYMOS_GIT_COMMIT={commit}");
        return;
    }
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".to_owned());
    let (commit, files) = match git_dir_of(Path::new(&manifest)) {
        Some(git_dir) => head_files(&git_dir),
        None => (None, Vec::new()),
    };
    for f in files.iter().filter(|f| f.exists()) {
        println!("cargo:rerun-if-changed={}", f.display());
    }
    println!(
        "cargo:rustc-env=DIDYMOS_GIT_COMMIT={}",
        commit.unwrap_or_default()
    );
}
