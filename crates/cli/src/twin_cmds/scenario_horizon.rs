//! The span of `didymos scenario`'s runs: from the branch day (the
//! checkpoint's, the end of the data, or the file's `branch`) to the
//! horizon. The horizon must come after the branch, which is known only
//! once the posterior's source is, so the file's reader cannot check it;
//! the error names both dates and how to branch earlier.

use didymos_core::Located;
use didymos_epi::scenarios::ScenarioFile;

use super::scenario::ScenarioArgs;
use super::*;

/// Forecast length when the scenarios file gives no horizon.
const DEFAULT_HORIZON_DAYS: usize = 42;

/// What decided the branch day: the error for a horizon not after it
/// says so, and how to branch earlier, which differs for each.
pub(super) enum Branch {
    /// `[scenarios] branch` in the scenarios file.
    File,
    /// The day a `--from-checkpoint` posterior holds.
    Checkpoint(PathBuf),
    /// The last day of the observations.
    EndOfData(PathBuf),
}

impl Branch {
    pub(super) fn of(file: &ScenarioFile, default: Branch) -> Branch {
        match file.branch {
            Some(_) => Branch::File,
            None => default,
        }
    }
    /// (what the branch day is, how to branch earlier).
    fn explain(&self, scenarios: &Path) -> (String, String) {
        match self {
            Branch::File => (
                format!("`branch` in {}", scenarios.display()),
                "set an earlier `branch`".into(),
            ),
            Branch::Checkpoint(ck) => (
                format!("the day the checkpoint {} holds", ck.display()),
                "branch from a checkpoint assimilated to an earlier day \
                 (`didymos assimilate --until DATE`)"
                    .into(),
            ),
            Branch::EndOfData(obs) => (
                format!("the end of the data in {}", obs.display()),
                "pass --from-checkpoint with a checkpoint from `didymos assimilate --until DATE`, \
                 or set [scenarios] branch = DATE"
                    .into(),
            ),
        }
    }
}

/// The last day of the scenario runs: the file's horizon, else
/// [`DEFAULT_HORIZON_DAYS`] after the branch (within the twin's range). It
/// must come after the branch day, which is known only once the posterior
/// is (after the data or the checkpoint are read), so the file's reader
/// cannot check it.
pub(super) fn horizon_day(
    args: &ScenarioArgs,
    file: &ScenarioFile,
    cal: &Calendar,
    branch: usize,
    why: &Branch,
) -> Result<usize> {
    let (what, earlier) = why.explain(&args.scenarios);
    let b = cal.date_of(branch);
    let Some(d) = file.horizon else {
        if branch >= cal.n_days() {
            return Err(Error::Other(format!(
                "the branch day {b} ({what}) is the twin's last day: no day is left to run \
                 scenarios on; {earlier}, or extend time.end in the twin spec"
            )));
        }
        return Ok((branch + DEFAULT_HORIZON_DAYS).min(cal.n_days()));
    };
    let at = || {
        file.horizon_at
            .clone()
            .unwrap_or_else(|| Located::file(&args.scenarios).field("scenarios.horizon"))
    };
    let day = cal.day_in_range(d).ok_or_else(|| {
        Error::input(
            at(),
            format!(
                "horizon {d} is outside the twin's range {}..{}",
                cal.start, cal.end
            ),
        )
    })?;
    if day <= branch {
        let rel = if day == branch { "is" } else { "is before" };
        return Err(Error::input(
            at(),
            format!(
                "the scenario horizon {d} {rel} the branch day {b} ({what}); scenarios run \
                 from the branch to a later horizon: {earlier}, or set a horizon after {b}"
            ),
        ));
    }
    Ok(day)
}
