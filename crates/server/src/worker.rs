//! The live loop's scheduler: twins marked dirty by ingest are stepped
//! one at a time on a blocking thread (assimilation and forecasting use
//! every core through rayon already). Marks that arrive while a twin is
//! being stepped are merged into one more step.

use std::collections::BTreeSet;

use tokio::sync::mpsc;

use crate::store::{self};
use crate::SharedState;

pub fn spawn(state: SharedState, mut dirty: mpsc::UnboundedReceiver<String>) {
    tokio::spawn(async move {
        let mut pending: BTreeSet<String> = BTreeSet::new();
        loop {
            if pending.is_empty() {
                match dirty.recv().await {
                    Some(id) => {
                        pending.insert(id);
                    }
                    None => return,
                }
            }
            while let Ok(id) = dirty.try_recv() {
                pending.insert(id);
            }
            let Some(id) = pending.pop_first() else {
                continue;
            };
            let Some(twin) = state.registry.get(&id) else {
                continue;
            };
            let st = state.clone();
            let outcome = tokio::task::spawn_blocking(move || crate::live::step(&st, &twin)).await;
            match outcome {
                Ok(Ok(o)) => {
                    if let Some(after) = o.recheck_after {
                        let st = state.clone();
                        tokio::spawn(async move {
                            tokio::time::sleep(after).await;
                            st.mark_dirty(&id);
                        });
                    }
                }
                Ok(Err(e)) => {
                    tracing::error!("twin `{id}`: live update failed: {e}");
                    let msg = e.clone();
                    let tid = id.clone();
                    let _ = state
                        .store
                        .write(move |c| store::set_last_error(c, &tid, Some(&msg)))
                        .await;
                    crate::events::publish(
                        &state.events,
                        "error",
                        &id,
                        serde_json::json!({ "error": e }),
                    );
                }
                Err(e) => tracing::error!("twin `{id}`: live update panicked: {e}"),
            }
        }
    });
}
