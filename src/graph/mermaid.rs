//! The graph as Mermaid flowchart text, which GitHub renders inline in
//! Markdown files, pull requests and job summaries: one subgraph per
//! numbered folder (the apply order, left to right), dashed edges to objects
//! outside the tree.

use std::fmt::Write as _;

use super::Graph;

/// The title of the group of nodes the tree does not render.
pub const OUTSIDE: &str = "not in the tree";

/// Mermaid flowchart text of `graph`.
pub fn render(graph: &Graph) -> String {
    let mut out = format!("flowchart LR\n  %% pgrender graph --env {}\n", escape(&graph.env));
    for (i, (group, members)) in graph.groups().into_iter().enumerate() {
        let title = match group {
            Some("") => "top level",
            Some(dir) => dir,
            None => OUTSIDE,
        };
        let _ = writeln!(out, "  subgraph g{i}[\"{}\"]", escape(title));
        for n in members {
            let node = &graph.nodes[n];
            let name = node.namespace.as_ref().map_or_else(|| node.name.clone(), |ns| format!("{ns}/{}", node.name));
            let _ = writeln!(out, "    n{n}[\"{}<br/>{}\"]", escape(&node.kind), escape(&name));
        }
        out.push_str("  end\n");
    }
    for edge in &graph.edges {
        let arrow = if graph.nodes[edge.to].in_tree() { "-->" } else { "-.->" };
        let _ = writeln!(out, "  n{} {arrow}|\"{}\"| n{}", edge.from, escape(&edge.label()), edge.to);
    }
    let outside: Vec<String> =
        graph.nodes.iter().enumerate().filter(|(_, n)| !n.in_tree()).map(|(i, _)| format!("n{i}")).collect();
    if !outside.is_empty() {
        out.push_str("  classDef outside stroke-dasharray: 4 4\n");
        let _ = writeln!(out, "  class {} outside", outside.join(","));
    }
    out
}

/// The graph in a Markdown section: a heading naming the environment and a
/// fenced `mermaid` block.
pub fn markdown(graph: &Graph) -> String {
    format!("### Environment `{}`\n\n```mermaid\n{}```\n", graph.env, render(graph))
}

/// Text safe inside a quoted Mermaid label: anything but letters, digits,
/// spaces and `. _ - / :` becomes an entity code (`#34;`), so a quote,
/// bracket, pipe, `#` or `<` can end neither the label nor the line.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || " ._-/:".contains(c) {
            out.push(c);
        } else {
            let _ = write!(out, "#{};", u32::from(c));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_cannot_break_out_of_their_quotes() {
        assert_eq!(escape("postgres-service.db:5432"), "postgres-service.db:5432");
        assert_eq!(escape("a\"]|b#<br>\n"), "a#34;#93;#124;b#35;#60;br#62;#10;");
        assert_eq!(escape("é"), "#233;");
    }
}
