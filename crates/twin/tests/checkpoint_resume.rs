//! Save a filter on day t, resume it from the file and continue to t + k:
//! the result is bit-identical to a run that was never interrupted
//! (parameters, states, observations, observation history, weights, the
//! particle filter's log-likelihood, and a forecast from the end).

mod common;

use std::path::Path;

use common::*;
use didymos_assim::{EakfOptions, Learning, ParticleFilter, PfOptions};
use didymos_core::observation::StreamSet;
use didymos_core::Model;
use didymos_epi::filtering::mmca_eakf_options;
use didymos_epi::mmca::{MmcaModel, BETA_SCALE};
use didymos_twin::checkpoint::{resume, save};
use didymos_twin::filter::Filter;
use didymos_twin::predict::forecast;
use serde_json::json;

const DAYS: usize = 40;
const MEMBERS: usize = 80;
const SEED: u64 = 4242;

fn data(model: &MmcaModel) -> StreamSet {
    let stream = infections_stream(model, 20.0);
    let template = stream_set(model, vec![stream.clone()]);
    let truth = simulate_truth(model, model.parameters().values(), &template, DAYS, 17);
    observed(model, &stream, &truth, DAYS)
}

/// Everything a filter carries, as bits, with labels for the message.
fn snapshot(f: &Filter<'_, MmcaModel, StreamSet>, data: &StreamSet) -> Vec<(String, Vec<u64>)> {
    let e = f.ensemble();
    let mut out = vec![("day".to_string(), vec![e.day() as u64])];
    for m in 0..e.len() {
        out.push((format!("params[{m}]"), bits(e.params(m))));
        out.push((format!("state[{m}]"), bits(e.state(m))));
        out.push((format!("observation[{m}]"), bits(e.observation(m))));
        let rows: Vec<u64> = f.history().rows(m).iter().flat_map(|r| bits(r)).collect();
        out.push((format!("history[{m}]"), rows));
    }
    out.push(("log_w".into(), bits(&f.log_weights())));
    out.push((
        "log_lik".into(),
        f.log_lik().map(|l| vec![l.to_bits()]).unwrap_or_default(),
    ));
    let fc = forecast(e, f.history(), &f.log_weights(), data, 7, 9).expect("forecast");
    let fc: Vec<u64> = fc[0]
        .values
        .iter()
        .flatten()
        .flat_map(|v| bits(v))
        .collect();
    out.push(("forecast".into(), fc));
    out
}

fn compare(a: &[(String, Vec<u64>)], b: &[(String, Vec<u64>)], what: &str) {
    assert_eq!(a.len(), b.len());
    let differ: Vec<&str> = a
        .iter()
        .zip(b)
        .filter(|(x, y)| x.1 != y.1)
        .map(|(x, _)| x.0.as_str())
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: resumed run differs from the uninterrupted one in {} parts, first: {:?}",
        differ.len(),
        &differ[..differ.len().min(8)]
    );
}

#[allow(clippy::too_many_arguments)]
fn round_trip<'a>(
    model: &'a MmcaModel,
    data: &'a StreamSet,
    make: &dyn Fn() -> Filter<'a, MmcaModel, StreamSet>,
    (pf_opts, eakf_opts): (&dyn Fn() -> PfOptions, &dyn Fn() -> EakfOptions),
    t: usize,
    k: usize,
    dir: &Path,
    what: &str,
) -> bool {
    let mut whole = make();
    whole.advance_to(t + k).expect("uninterrupted");

    let mut first = make();
    first.advance_to(t).expect("first part");
    let path = dir.join(format!("{what}-{t}.ckpt"));
    save(&path, &first, json!({"note": what})).expect("save");
    let before = snapshot(&first, data);
    let weighted = first.log_weights().iter().any(|&w| w != 0.0);
    drop(first);

    let (mut resumed, saved) = resume(&path, model, data, pf_opts(), eakf_opts()).expect("resume");
    assert_eq!(saved.day, t);
    assert_eq!(saved.meta["note"], what);
    assert_eq!(
        resumed.kind(),
        what,
        "resume restored the wrong filter kind"
    );
    // The checkpoint itself restores the filter exactly.
    compare(
        &before,
        &snapshot(&resumed, data),
        &format!("{what} right after resume on day {t}"),
    );
    resumed.advance_to(t + k).expect("second part");
    compare(
        &snapshot(&whole, data),
        &snapshot(&resumed, data),
        &format!("{what} saved on day {t}, continued to {}", t + k),
    );
    weighted
}

#[test]
fn particle_filter_resumes_bit_identically() {
    let model = model(DAYS, 0.04, 0.2);
    let data = data(&model);
    let dir = tempfile::tempdir().expect("tempdir");
    let make = || pf(&model, &data, MEMBERS, SEED);
    let opts = (
        &PfOptions::default as &dyn Fn() -> PfOptions,
        &EakfOptions::default as _,
    );
    let mut weighted = 0;
    for t in [1, 12, 23] {
        weighted += round_trip(&model, &data, &make, opts, t, 10, dir.path(), "pf") as usize;
    }
    // At least one save day carries non-uniform weights (no resampling that
    // day), so restoring the weights is exercised.
    assert!(
        weighted > 0,
        "every save day had uniform weights; pick other days"
    );
}

#[test]
fn eakf_resumes_bit_identically() {
    let model = model_patchwise(DAYS, 0.04);
    let data = data(&model);
    let dir = tempfile::tempdir().expect("tempdir");
    let make = || eakf(&model, &data, MEMBERS, SEED);
    let eakf_opts = || mmca_eakf_options(&model, &data, 1.02);
    for t in [1, 12, 23] {
        let opts = (
            &PfOptions::default as &dyn Fn() -> PfOptions,
            &eakf_opts as _,
        );
        round_trip(&model, &data, &make, opts, t, 10, dir.path(), "eakf");
    }
}

/// Liu–West learning in the particle filter: each day's kernel draws come
/// from streams keyed by the day, so a resumed filter makes the same moves.
#[test]
fn a_learning_particle_filter_resumes_bit_identically() {
    let model = model(DAYS, 0.0, 0.3);
    let data = data(&model);
    let dir = tempfile::tempdir().expect("tempdir");
    let learn = || PfOptions {
        learn: Some(Learning {
            delta: 0.98,
            params: vec![BETA_SCALE],
        }),
        ..PfOptions::default()
    };
    let make = || {
        Filter::Particle(ParticleFilter::new(&model, &data, MEMBERS, SEED, learn()).expect("pf"))
    };
    let opts = (&learn as &dyn Fn() -> PfOptions, &EakfOptions::default as _);
    for t in [1, 12, 23] {
        round_trip(&model, &data, &make, opts, t, 10, dir.path(), "pf");
    }
    // The moves happened: without learning the walk-free multiplier of
    // each member would keep its prior draw.
    let mut learning = make();
    learning.advance_to(DAYS).expect("learning");
    let mut plain = pf(&model, &data, MEMBERS, SEED);
    plain.advance_to(DAYS).expect("plain");
    let values = |f: &Filter<'_, MmcaModel, StreamSet>| -> Vec<u64> {
        (0..MEMBERS)
            .map(|m| f.ensemble().params(m)[BETA_SCALE].to_bits())
            .collect()
    };
    let mut drawn = values(&pf(&model, &data, MEMBERS, SEED));
    drawn.sort_unstable();
    let mut kept = values(&plain);
    kept.sort_unstable();
    kept.dedup();
    assert!(
        kept.iter().all(|v| drawn.binary_search(v).is_ok()),
        "plain: prior draws only"
    );
    let moved = values(&learning);
    assert!(
        moved.iter().any(|v| drawn.binary_search(v).is_err()),
        "learning moved them"
    );
}

/// A filter saved before its first `advance_to` (day 1, its data not yet
/// assimilated) must resume without skipping day 1's data. Checkpoints
/// once assumed their day was assimilated and lost that day's
/// log-likelihood term; they now record `assimilated_through`.
#[test]
fn checkpoint_before_first_advance_keeps_day_one_data() {
    let model = model(DAYS, 0.04, 0.2);
    let data = data(&model);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("fresh.ckpt");
    save(&path, &pf(&model, &data, MEMBERS, SEED), json!({})).expect("save");
    let (mut resumed, _) = resume(
        &path,
        &model,
        &data,
        PfOptions::default(),
        EakfOptions::default(),
    )
    .expect("resume");
    resumed.advance_to(10).expect("resumed");
    let mut whole = pf(&model, &data, MEMBERS, SEED);
    whole.advance_to(10).expect("whole");
    compare(
        &snapshot(&whole, &data),
        &snapshot(&resumed, &data),
        "pf saved before its first advance",
    );
}

/// A damaged checkpoint is refused with a message, never resumed: its
/// body is raw numbers, so without the checksum a flipped, inserted or
/// missing byte would parse into garbage states. A first-format file
/// (no checksum) still resumes.
#[test]
fn damaged_checkpoints_are_refused_and_old_ones_still_load() {
    let model = model(DAYS, 0.04, 0.2);
    let data = data(&model);
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("good.ckpt");
    let mut f = pf(&model, &data, MEMBERS, SEED);
    f.advance_to(12).expect("advance");
    save(&path, &f, json!({})).expect("save");
    let good = std::fs::read(&path).expect("read");
    let load = |bytes: &[u8], name: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).expect("write");
        resume(
            &p,
            &model,
            &data,
            PfOptions::default(),
            EakfOptions::default(),
        )
        .map(|_| ())
        .map_err(|e| e.to_string())
    };
    load(&good, "copy.ckpt").expect("an intact copy resumes");
    let header_end = good.len() / 2;
    let mut damaged = Vec::new();
    for at in [good.len() / 3, good.len() - 20, good.len() - 3] {
        let mut b = good.clone();
        b[at] ^= 0x10;
        damaged.push((format!("bit flipped at {at}"), b));
    }
    let mut inserted = good.clone();
    inserted.splice(header_end..header_end, [1, 2, 3, 4]);
    damaged.push(("4 bytes inserted".into(), inserted));
    damaged.push(("cut short".into(), good[..good.len() - 800].to_vec()));
    let mut longer = good.clone();
    longer.extend_from_slice(&[0; 8]);
    damaged.push(("8 bytes appended".into(), longer));
    for (what, bytes) in &damaged {
        let err = load(bytes, "bad.ckpt").expect_err(what);
        assert!(
            err.contains("bad.ckpt") && err.contains("not a usable checkpoint"),
            "{what}: {err}"
        );
    }
    // Version 1: the same bytes without the checksum, under the old magic.
    let mut v1 = good[..good.len() - 8].to_vec();
    v1[..21].copy_from_slice(b"DIDYMOS-CHECKPOINT 1\n");
    load(&v1, "v1.ckpt").expect("a version-1 file resumes");
    // Damage that passes a checksum (format 1 has none) is still caught
    // where it would do harm: a ring window that would ask for terabytes,
    // a state that is not a number.
    let header_len = u64::from_le_bytes(v1[21..29].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&v1[29..29 + header_len]).unwrap();
    let window = header
        .split("\"window\":")
        .nth(1)
        .and_then(|r| r.split([',', '}']).next())
        .expect("window in header");
    let huge = header.replace(&format!("\"window\":{window}"), "\"window\":1099511627776");
    let mut wide = v1[..21].to_vec();
    wide.extend_from_slice(&(huge.len() as u64).to_le_bytes());
    wide.extend_from_slice(huge.as_bytes());
    wide.extend_from_slice(&v1[29 + header_len..]);
    let err = load(&wide, "v1-window.ckpt").expect_err("window");
    assert!(err.contains("implausible history window"), "{err}");
    let mut nan = v1.clone();
    let first_state = 29 + header_len + 8 * model.parameters().len();
    nan[first_state..first_state + 8].copy_from_slice(&f64::NAN.to_le_bytes());
    let err = load(&nan, "v1-nan.ckpt").expect_err("NaN state");
    assert!(
        err.contains("member 0's") && err.contains("not a finite"),
        "{err}"
    );
    // ... and trailing bytes are refused there too.
    v1.extend_from_slice(&[0; 16]);
    let err = load(&v1, "v1-long.ckpt").expect_err("trailing bytes");
    assert!(err.contains("16 bytes after"), "{err}");
}
