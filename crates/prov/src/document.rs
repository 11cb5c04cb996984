//! The PROV-JSON document of a recorded run.

use crate::doc::{local_part, qname, shell_join, sorted, to_value, typed, Obj};
use crate::record::Recorder;
use crate::NAMESPACE;
use serde_json::Value;
use std::path::Path;

impl Recorder {
    /// The document, with every object's keys sorted. `out_abs` is the
    /// canonical output directory (outputs get paths relative to it).
    pub(crate) fn document(&self, out_abs: &Path, ended: &str) -> Value {
        let act = self.activity_id();
        let s = |v: &str| Value::from(v);
        let mut entity = Obj::new();
        for (e, is_output) in self
            .inputs
            .iter()
            .map(|e| (e, false))
            .chain(self.outputs.iter().map(|e| (e, true)))
        {
            let mut o = Obj::new();
            o.insert("prov:type".into(), qname("didymos:File"));
            let name = e
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            o.insert("prov:label".into(), s(&name));
            o.insert("didymos:path".into(), s(&e.path.to_string_lossy()));
            o.insert("didymos:sha256".into(), s(&e.sha256));
            o.insert(
                "didymos:size".into(),
                typed(&e.size.to_string(), "xsd:long"),
            );
            if is_output {
                let rel = e
                    .path
                    .strip_prefix(out_abs)
                    .map(|r| r.to_string_lossy().into_owned());
                o.insert("didymos:relPath".into(), s(&rel.unwrap_or(name)));
            }
            entity.insert(e.id.clone(), to_value(o));
        }

        let mut activity = Obj::new();
        let mut a = Obj::new();
        a.insert("prov:type".into(), qname("didymos:Run"));
        a.insert("prov:label".into(), s(&format!("didymos {}", self.command)));
        a.insert("prov:startTime".into(), s(&self.started));
        a.insert("prov:endTime".into(), s(ended));
        a.insert("didymos:command".into(), s(&self.command));
        if !self.argv.is_empty() {
            // PROV-JSON literal arrays must not be empty.
            a.insert("didymos:argv".into(), Value::from(self.argv.clone()));
        }
        a.insert("didymos:commandLine".into(), s(&shell_join(&self.argv)));
        if let Some(cwd) = &self.cwd {
            a.insert("didymos:cwd".into(), s(&cwd.to_string_lossy()));
        }
        activity.insert(act.clone(), to_value(a));

        let rel = |kind: &str, n: usize, pairs: Vec<(&str, Value)>| -> (String, Value) {
            let o: Obj = pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
            (format!("_:{kind}{n:04}"), to_value(o))
        };
        let mut used = Obj::new();
        for (n, e) in self.inputs.iter().enumerate() {
            let (k, v) = rel(
                "u",
                n + 1,
                vec![
                    ("prov:activity", s(&act)),
                    ("prov:entity", s(&e.id)),
                    ("prov:time", s(&e.time)),
                    ("prov:role", s(&e.role)),
                ],
            );
            used.insert(k, v);
        }
        let mut generated = Obj::new();
        let mut derived = Obj::new();
        for (n, e) in self.outputs.iter().enumerate() {
            let (k, v) = rel(
                "g",
                n + 1,
                vec![
                    ("prov:activity", s(&act)),
                    ("prov:entity", s(&e.id)),
                    ("prov:time", s(&e.time)),
                    ("prov:role", s(&e.role)),
                ],
            );
            generated.insert(k, v);
            for i in self.inputs.iter().filter(|i| i.id != e.id) {
                let pairs = vec![
                    ("prov:activity", s(&act)),
                    ("prov:generatedEntity", s(&e.id)),
                    ("prov:usedEntity", s(&i.id)),
                ];
                let (k, v) = rel("d", derived.len() + 1, pairs);
                derived.insert(k, v);
            }
        }

        let ag = &self.agent;
        let sw_id = format!("didymos:didymos-{}", local_part(&ag.version));
        let user_id = format!("didymos:user-{}", local_part(&ag.user));
        let mut sw = Obj::new();
        sw.insert("prov:type".into(), qname("prov:SoftwareAgent"));
        sw.insert("prov:label".into(), s(&format!("didymos {}", ag.version)));
        sw.insert("didymos:version".into(), s(&ag.version));
        if let Some(c) = &ag.git_commit {
            sw.insert("didymos:gitCommit".into(), s(c));
        }
        sw.insert("didymos:profile".into(), s(&ag.profile));
        sw.insert("didymos:features".into(), s(&ag.features.join(",")));
        sw.insert("didymos:host".into(), s(&ag.host));
        sw.insert("didymos:user".into(), s(&ag.user));
        let mut person = Obj::new();
        person.insert("prov:type".into(), qname("prov:Person"));
        person.insert("prov:label".into(), s(&ag.user));
        let mut agent = Obj::new();
        agent.insert(sw_id.clone(), to_value(sw));
        agent.insert(user_id.clone(), to_value(person));
        let mut assoc = Obj::new();
        for (n, id) in [sw_id, user_id].iter().enumerate() {
            let (k, v) = rel(
                "a",
                n + 1,
                vec![("prov:activity", s(&act)), ("prov:agent", s(id))],
            );
            assoc.insert(k, v);
        }

        let mut informed = Obj::new();
        for (n, i) in self.informants.iter().enumerate() {
            let mut stub = Obj::new();
            stub.insert("prov:type".into(), qname("didymos:Run"));
            let opt = |v: &Option<String>| v.as_deref().map(Value::from);
            let doc = i
                .document
                .as_ref()
                .map(|d| d.to_string_lossy().into_owned());
            for (k, v) in [
                ("prov:startTime", &i.started),
                ("prov:endTime", &i.ended),
                ("didymos:command", &i.command),
                ("didymos:provDocument", &doc),
            ] {
                stub.extend(opt(v).map(|v| (k.to_owned(), v)));
            }
            activity.insert(i.activity.clone(), to_value(stub));
            let mut pairs = vec![
                ("prov:informed", s(&act)),
                ("prov:informant", s(&i.activity)),
            ];
            for (k, v) in [
                ("didymos:provDocument", &doc),
                ("didymos:provDocumentSha256", &i.document_sha256),
                ("didymos:entity", &i.entity),
            ] {
                pairs.extend(opt(v).map(|v| (k, v)));
            }
            let (k, v) = rel("i", n + 1, pairs);
            informed.insert(k, v);
        }

        let mut prefix = Obj::new();
        prefix.insert("didymos".into(), s(NAMESPACE));
        let mut top = Obj::new();
        for (k, v) in [
            ("prefix", prefix),
            ("entity", entity),
            ("activity", activity),
            ("agent", agent),
            ("used", used),
            ("wasGeneratedBy", generated),
            ("wasDerivedFrom", derived),
            ("wasAssociatedWith", assoc),
            ("wasInformedBy", informed),
        ] {
            top.insert(k.to_owned(), to_value(v));
        }
        sorted(to_value(top))
    }
}
