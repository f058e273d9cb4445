//! Which objects a label selector picks: the pods of workloads (for
//! `Service`, `NetworkPolicy` and `PodDisruptionBudget` selectors) and the
//! rendered namespaces (for a `namespaceSelector`). The labels are
//! indexed once, so a selector tries only the objects carrying its rarest
//! label instead of every object of the tree; the cross-object checks and
//! `pgrender graph` share it, so they agree on what a selector selects.

use std::collections::{BTreeMap, HashMap};

use super::Object;
use crate::yaml::Node;

/// Label maps of some objects, indexed by scope (a namespace, or `""`),
/// label and value.
pub(crate) struct LabelIndex<'a> {
    /// Each indexed object's position in the tree and its labels, in tree order.
    labelled: Vec<(usize, BTreeMap<&'a str, &'a str>)>,
    /// For a scope, label and value: positions in `labelled`, ascending.
    by_label: HashMap<(&'a str, &'a str, &'a str), Vec<usize>>,
}

impl<'a> LabelIndex<'a> {
    fn new() -> Self {
        LabelIndex { labelled: Vec::new(), by_label: HashMap::new() }
    }

    fn insert(&mut self, scope: &'a str, position: usize, labels: BTreeMap<&'a str, &'a str>) {
        for (key, value) in &labels {
            self.by_label.entry((scope, key, value)).or_default().push(self.labelled.len());
        }
        self.labelled.push((position, labels));
    }

    /// The workloads and pods of `objects`, scoped by namespace, with the
    /// labels their pods carry.
    pub(crate) fn pods(objects: &[Object<'a>]) -> Self {
        let mut index = LabelIndex::new();
        for (position, object) in objects.iter().enumerate().filter(|(_, o)| o.pod_spec().is_some()) {
            index.insert(object.namespace_or_default(), position, pod_label_map(object));
        }
        index
    }

    /// The Namespaces of `objects`, with their labels and the
    /// `kubernetes.io/metadata.name` label every namespace carries.
    pub(crate) fn namespaces(objects: &[Object<'a>]) -> Self {
        let mut index = LabelIndex::new();
        for (position, object) in objects.iter().enumerate().filter(|(_, o)| o.kind == "Namespace") {
            let mut labels = object.doc.at(&["metadata", "labels"]).map(Node::string_map).unwrap_or_default();
            labels.insert("kubernetes.io/metadata.name", object.name);
            index.insert("", position, labels);
        }
        index
    }

    /// Positions in the tree of the objects in `scope` that a non-empty
    /// `selector` selects, in tree order.
    pub(crate) fn selected<'s>(
        &'s self,
        scope: &'s str,
        selector: &'s BTreeMap<&str, &str>,
    ) -> impl Iterator<Item = usize> + 's {
        let candidates =
            selector.iter().map(|(k, v)| self.by_label.get(&(scope, *k, *v)).map_or(&[][..], Vec::as_slice));
        let rarest = candidates.min_by_key(|c| c.len()).unwrap_or_default();
        rarest.iter().map(|i| &self.labelled[*i]).filter(|(_, labels)| selects(selector, labels)).map(|(p, _)| *p)
    }
}

/// The labels of a workload's pod template.
pub(crate) fn pod_labels<'a>(object: &Object<'a>) -> Option<&'a Node> {
    object.doc.at(&["spec", "template", "metadata", "labels"])
}

/// The labels of a workload's pods (a Pod's own labels).
fn pod_label_map<'a>(object: &Object<'a>) -> BTreeMap<&'a str, &'a str> {
    let labels = if object.kind == "Pod" { object.doc.at(&["metadata", "labels"]) } else { pod_labels(object) };
    labels.map(Node::string_map).unwrap_or_default()
}

/// Whether every `selector` label is among `labels`.
pub(crate) fn selects(selector: &BTreeMap<&str, &str>, labels: &BTreeMap<&str, &str>) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

#[cfg(test)]
mod tests {
    use super::super::test_objects;
    use super::*;

    const TREE: &str = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: data\n  labels:\n    team: db\n---\n\
        apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: data\nspec:\n  template:\n    \
        metadata:\n      labels:\n        app: web\n        tier: front\n    spec:\n      containers: []\n---\n\
        apiVersion: v1\nkind: Pod\nmetadata:\n  name: one\n  namespace: data\n  labels:\n    app: web\n\
        spec:\n  containers: []\n---\n\
        apiVersion: v1\nkind: Pod\nmetadata:\n  name: other\n  namespace: elsewhere\n  labels:\n    app: web\n\
        spec:\n  containers: []\n";

    fn names(objects: &[Object<'_>], positions: impl Iterator<Item = usize>) -> Vec<String> {
        positions.map(|p| objects[p].name.to_string()).collect()
    }

    #[test]
    fn a_selector_picks_the_pods_carrying_all_its_labels_in_its_namespace() {
        test_objects(&[("t.yaml", TREE)], |objects| {
            let pods = LabelIndex::pods(objects);
            let web = BTreeMap::from([("app", "web")]);
            assert_eq!(names(objects, pods.selected("data", &web)), ["web", "one"]);
            let front = BTreeMap::from([("app", "web"), ("tier", "front")]);
            assert_eq!(names(objects, pods.selected("data", &front)), ["web"]);
            assert_eq!(names(objects, pods.selected("elsewhere", &front)), Vec::<String>::new());
            assert_eq!(names(objects, pods.selected("data", &BTreeMap::new())), Vec::<String>::new());
        });
    }

    #[test]
    fn a_namespace_selector_sees_labels_and_the_name_label() {
        test_objects(&[("t.yaml", TREE)], |objects| {
            let namespaces = LabelIndex::namespaces(objects);
            let by_team = BTreeMap::from([("team", "db")]);
            assert_eq!(names(objects, namespaces.selected("", &by_team)), ["data"]);
            let by_name = BTreeMap::from([("kubernetes.io/metadata.name", "data")]);
            assert_eq!(names(objects, namespaces.selected("", &by_name)), ["data"]);
        });
    }
}
