//! `pgrender graph`: the objects of one rendered environment and how they
//! refer to each other (a Namespace holds, a Service selects, a workload
//! mounts, reads, uses; a `NetworkPolicy` admits, a `PodDisruptionBudget`
//! covers, a DNS name reaches a Service), drawn as Mermaid or SVG. The graph
//! is built from the parsed objects the output checks walk.

pub(crate) mod mermaid;
mod relations;
pub(crate) mod svg;

use std::collections::{BTreeMap, BTreeSet};

use crate::check::Object;
use crate::error::Error;
use crate::order::apply_order;
use crate::pipeline::{Overrides, Pipeline};
use crate::redact::Redactor;

/// The objects of one environment and their references.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Graph {
    /// The environment.
    pub env: String,
    /// Objects, in apply order, then what they refer to outside the tree.
    pub nodes: Vec<Node>,
    /// References, sorted by source, relation, target.
    pub edges: Vec<Edge>,
}

/// One object, rendered or only referred to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The object's kind.
    pub kind: String,
    /// Its namespace; `None` for cluster-scoped kinds.
    pub namespace: Option<String>,
    /// Its name.
    pub name: String,
    /// The numbered folder of its file (`4-database`); `None` when it is not
    /// in the tree (created outside it, or missing).
    pub group: Option<String>,
}

impl Node {
    /// `Kind namespace/name`, or `Kind name` for cluster-scoped objects.
    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{} {}", self.kind, self.name),
        }
    }

    /// Whether the object is rendered by the tree.
    pub fn in_tree(&self) -> bool {
        self.group.is_some()
    }
}

/// How one object refers to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Relation {
    /// A Namespace holds a namespaced object.
    Holds,
    /// A Service selects the pods of a workload.
    Selects,
    /// A workload mounts a Secret, `ConfigMap` or claim, or claims storage of a `StorageClass`.
    Mounts,
    /// A workload reads a Secret or `ConfigMap` into its environment.
    Reads,
    /// A workload's pods run as a `ServiceAccount`.
    Uses,
    /// A `NetworkPolicy` applies to the pods of a workload.
    Guards,
    /// A `NetworkPolicy` admits traffic from a namespace or the pods of a workload.
    Admits,
    /// A `PodDisruptionBudget` covers the pods of a workload.
    Covers,
    /// An `ExternalSecret` fills a Secret.
    Fills,
    /// An env value or `ConfigMap` entry names a Service by DNS.
    Reaches,
}

impl Relation {
    /// The verb shown on the edge.
    pub fn verb(self) -> &'static str {
        match self {
            Relation::Holds => "holds",
            Relation::Selects => "selects",
            Relation::Mounts => "mounts",
            Relation::Reads => "reads",
            Relation::Uses => "uses",
            Relation::Guards => "guards",
            Relation::Admits => "admits",
            Relation::Covers => "covers",
            Relation::Fills => "fills",
            Relation::Reaches => "reaches",
        }
    }
}

/// A reference from one node to another.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Edge {
    /// Index of the referring node.
    pub from: usize,
    /// Index of the node referred to.
    pub to: usize,
    /// How.
    pub relation: Relation,
    /// What carries the reference, e.g. the volume or env variable name.
    pub via: Option<String>,
}

impl Edge {
    /// The edge's text: the verb, then what carries the reference.
    pub fn label(&self) -> String {
        match &self.via {
            Some(via) => format!("{} {via}", self.relation.verb()),
            None => self.relation.verb().to_string(),
        }
    }
}

/// Renders `envs` the way `render` and `check` do and builds the graph of
/// each, with the redactor that masks its sensitive values in anything drawn.
pub fn environments(
    pipeline: &Pipeline,
    envs: &[String],
    overrides: &Overrides,
) -> Result<Vec<(Graph, Redactor)>, Error> {
    let checked = pipeline.render_checked_all(envs, overrides, &pipeline.project.output)?;
    Ok(checked
        .into_iter()
        .map(|(env, _findings)| {
            let paths: Vec<String> = env.files.iter().map(|f| f.path.clone()).collect();
            // Nothing is validated against the Kubernetes API here, so the objects need no version.
            let graph = build(&env.name, &crate::check::objects(&env, ""), &paths);
            (graph, env.redactor)
        })
        .collect())
}

/// Identity of an object: kind, namespace (empty for cluster-scoped), name.
type Key = (String, String, String);

/// Builds the graph of `objects`, the parsed documents of one environment
/// in apply order; `paths` are the environment's output file paths.
pub fn build(env: &str, objects: &[Object<'_>], paths: &[String]) -> Graph {
    let mut graph = Builder {
        graph: Graph { env: env.to_string(), ..Graph::default() },
        index: BTreeMap::new(),
        edges: BTreeSet::new(),
    };
    for object in objects {
        let group = paths.get(object.file).map(|p| p.split_once('/').map_or("", |(dir, _)| dir).to_string());
        graph.node(object.kind, object.is_namespaced().then(|| object.namespace_or_default()), object.name, group);
    }
    relations::add_all(objects, &mut graph);
    graph.finish()
}

/// Collects nodes (deduplicated by identity) and edges.
pub(crate) struct Builder {
    graph: Graph,
    index: BTreeMap<Key, usize>,
    /// The edges added so far: each is added once, found by lookup.
    edges: BTreeSet<Edge>,
}

impl Builder {
    /// The node of an object, added when new; `group` is `None` for objects outside the tree.
    pub(crate) fn node(&mut self, kind: &str, namespace: Option<&str>, name: &str, group: Option<String>) -> usize {
        let key = (kind.to_string(), namespace.unwrap_or_default().to_string(), name.to_string());
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.graph.nodes.push(Node {
            kind: kind.to_string(),
            namespace: namespace.map(str::to_string),
            name: name.to_string(),
            group,
        });
        self.index.insert(key, self.graph.nodes.len() - 1);
        self.graph.nodes.len() - 1
    }

    /// The node of a rendered object.
    pub(crate) fn object(&mut self, object: &Object<'_>) -> usize {
        let ns = object.is_namespaced().then(|| object.namespace_or_default());
        self.node(object.kind, ns, object.name, None)
    }

    /// Adds an edge once.
    pub(crate) fn edge(&mut self, from: usize, to: usize, relation: Relation, via: Option<String>) {
        let edge = Edge { from, to, relation, via };
        if from != to && self.edges.insert(edge.clone()) {
            self.graph.edges.push(edge);
        }
    }

    /// Whether the tree renders an object of `kind` at `namespace/name` (namespace empty if cluster-scoped).
    pub(crate) fn has(&self, kind: &str, namespace: &str, name: &str) -> bool {
        self.index.contains_key(&(kind.to_string(), namespace.to_string(), name.to_string()))
    }

    /// Nodes in the tree first (in apply order of their group), then those
    /// outside it, sorted; edges renumbered and sorted.
    fn finish(self) -> Graph {
        let Graph { env, nodes, edges } = self.graph;
        let mut order: Vec<usize> = (0..nodes.len()).collect();
        // Stable: objects of one group keep their apply order.
        order.sort_by(|&a, &b| {
            let (x, y) = (&nodes[a], &nodes[b]);
            match (&x.group, &y.group) {
                (Some(g), Some(h)) => apply_order(g, h),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => (&x.kind, &x.namespace, &x.name).cmp(&(&y.kind, &y.namespace, &y.name)),
            }
        });
        let mut renumber = vec![0; nodes.len()];
        for (new, &old) in order.iter().enumerate() {
            renumber[old] = new;
        }
        let mut edges: Vec<Edge> =
            edges.into_iter().map(|e| Edge { from: renumber[e.from], to: renumber[e.to], ..e }).collect();
        edges.sort();
        let nodes = order.into_iter().map(|i| nodes[i].clone()).collect();
        Graph { env, nodes, edges }
    }
}

impl Graph {
    /// The groups (numbered folders) in apply order, each with its node
    /// indices; nodes outside the tree come last under `None`.
    pub fn groups(&self) -> Vec<(Option<&str>, Vec<usize>)> {
        let mut groups: Vec<(Option<&str>, Vec<usize>)> = Vec::new();
        for (i, node) in self.nodes.iter().enumerate() {
            let group = node.group.as_deref();
            match groups.last_mut() {
                Some((g, members)) if *g == group => members.push(i),
                _ => groups.push((group, vec![i])),
            }
        }
        groups
    }
}
