//! The graph as a self-contained SVG picture: a layered layout with one
//! column per numbered folder in apply order (objects outside the tree in a
//! last column), objects stacked in apply order, references as curves with
//! their labels. Every position is computed from the graph alone, so the
//! same graph always gives the same bytes.

use std::fmt::Write as _;

use super::Graph;
use super::mermaid::OUTSIDE;

const MARGIN: f64 = 24.0;
const HEADER: f64 = 32.0;
const NODE_HEIGHT: f64 = 44.0;
const ROW_GAP: f64 = 20.0;
const COLUMN_GAP: f64 = 150.0;
/// Width of one character at the 12px font, generous so that text fits in
/// any sans-serif font the viewer picks.
const CHAR_WIDTH: f64 = 7.2;
const MIN_NODE_WIDTH: f64 = 120.0;

/// Where one node is drawn.
#[derive(Debug, Clone, Copy)]
struct Place {
    column: usize,
    x: f64,
    y: f64,
    width: f64,
}

/// A self-contained SVG document of `graph`.
pub fn render(graph: &Graph) -> String {
    let groups = graph.groups();
    let mut places = vec![Place { column: 0, x: 0.0, y: 0.0, width: 0.0 }; graph.nodes.len()];
    let mut x = MARGIN;
    let mut height: f64 = 0.0;
    let mut headers = Vec::new();
    let mut columns = Vec::new();
    for (column, (group, members)) in groups.iter().enumerate() {
        let width = members
            .iter()
            .map(|&n| node_width(&lines(graph, n)))
            .fold(MIN_NODE_WIDTH, f64::max)
            .max(text_width(title(*group)));
        for (row, &n) in members.iter().enumerate() {
            let y = MARGIN + HEADER + row_offset(row);
            places[n] = Place { column, x, y, width };
            height = height.max(y + NODE_HEIGHT);
        }
        headers.push((x, width, title(*group)));
        columns.push((x, width));
        x += width + COLUMN_GAP;
    }
    // Curves between nodes of one column bulge to its right, into the gap.
    let width = x - COLUMN_GAP + MARGIN + 60.0;
    let height = height + MARGIN;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" font-family=\"sans-serif\" font-size=\"12\">",
        num(width),
        num(height),
        num(width),
        num(height)
    );
    let _ = writeln!(out, "<title>pgrender graph --env {}</title>", escape(&graph.env));
    out.push_str("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555\"/></marker></defs>\n");
    let _ = writeln!(out, "<rect width=\"{}\" height=\"{}\" fill=\"#fff\"/>", num(width), num(height));
    for (x, width, title) in headers {
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\" fill=\"#333\">{}</text>",
            num(x + width / 2.0),
            num(MARGIN + 12.0),
            escape(title)
        );
    }
    let mut loops = vec![0usize; groups.len()];
    let mut labels = Vec::new();
    for edge in &graph.edges {
        let (from, to) = (places[edge.from], places[edge.to]);
        let dashed = if graph.nodes[edge.to].in_tree() { "" } else { " stroke-dasharray=\"5 4\"" };
        let (d, (lx, ly)) = curve(from, to, &columns, &mut loops);
        let text = edge.label();
        let ly = free_row(lx, ly, text_width(&text) * LABEL_SCALE, &mut labels);
        let _ = writeln!(
            out,
            "<path d=\"{d}\" fill=\"none\" stroke=\"#555\" stroke-width=\"1.2\"{dashed} marker-end=\"url(#arrow)\"/>"
        );
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"10\" fill=\"#333\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
            num(lx),
            num(ly - 3.0),
            escape(&text)
        );
    }
    for (n, place) in places.iter().enumerate() {
        let node = &graph.nodes[n];
        let (fill, dashed) = if node.in_tree() { ("#eef4fb", "") } else { ("#fafafa", " stroke-dasharray=\"5 4\"") };
        let [kind, name] = lines(graph, n);
        let _ = writeln!(
            out,
            "<g><rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"6\" fill=\"{fill}\" stroke=\"#36c\"{dashed}/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text></g>",
            num(place.x),
            num(place.y),
            num(place.width),
            num(NODE_HEIGHT),
            num(place.x + place.width / 2.0),
            num(place.y + 18.0),
            escape(&kind),
            num(place.x + place.width / 2.0),
            num(place.y + 34.0),
            escape(&name)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Edge labels are drawn at 10px, node text at 12px.
const LABEL_SCALE: f64 = 10.0 / 12.0;
/// The height one edge label takes.
const LABEL_HEIGHT: f64 = 12.0;

/// The y nearest below `y` where a label `width` wide centred on `x` overlaps
/// none drawn before, which it then takes.
fn free_row(x: f64, y: f64, width: f64, taken: &mut Vec<(f64, f64, f64)>) -> f64 {
    let mut y = y;
    while taken.iter().any(|&(tx, ty, tw)| (tx - x).abs() < f64::midpoint(tw, width) && (ty - y).abs() < LABEL_HEIGHT) {
        y += LABEL_HEIGHT;
    }
    taken.push((x, y, width));
    y
}

fn title(group: Option<&str>) -> &str {
    match group {
        Some("") => "top level",
        Some(dir) => dir,
        None => OUTSIDE,
    }
}

fn row_offset(row: usize) -> f64 {
    // Rows are few; the conversion is exact.
    #[allow(clippy::cast_precision_loss)]
    let row = row as f64;
    row * (NODE_HEIGHT + ROW_GAP)
}

/// The two text lines of a node: its kind, and `namespace/name`.
fn lines(graph: &Graph, n: usize) -> [String; 2] {
    let node = &graph.nodes[n];
    let name = node.namespace.as_ref().map_or_else(|| node.name.clone(), |ns| format!("{ns}/{}", node.name));
    [node.kind.clone(), name]
}

fn text_width(text: &str) -> f64 {
    #[allow(clippy::cast_precision_loss)] // a label's length
    let chars = text.chars().count() as f64;
    chars * CHAR_WIDTH
}

fn node_width(lines: &[String; 2]) -> f64 {
    lines.iter().map(|l| text_width(l)).fold(0.0, f64::max) + 24.0
}

/// The path of an edge and where its label goes. Between neighbouring
/// columns a curve runs from one node's side to the other's; an edge that
/// skips columns runs along the gap between two rows (where no node is)
/// through the columns in between; within one column, a loop bulges into
/// the gap at its right, each further loop a little wider.
fn curve(from: Place, to: Place, columns: &[(f64, f64)], loops: &mut [usize]) -> (String, (f64, f64)) {
    let (fy, ty) = (from.y + NODE_HEIGHT / 2.0, to.y + NODE_HEIGHT / 2.0);
    if from.column == to.column {
        let (sx, tx) = (from.x + from.width, to.x + to.width);
        #[allow(clippy::cast_precision_loss)] // a handful of loops per column
        let bulge = 40.0 + 12.0 * (loops[from.column] % 6) as f64;
        loops[from.column] += 1;
        let d = format!(
            "M{},{} C{},{} {},{} {},{}",
            num(sx),
            num(fy),
            num(sx + bulge),
            num(fy),
            num(tx + bulge),
            num(ty),
            num(tx),
            num(ty)
        );
        return (d, (sx + bulge * 0.75, f64::midpoint(fy, ty)));
    }
    let forwards = to.column > from.column;
    let (sx, tx) = if forwards { (from.x + from.width, to.x) } else { (from.x, to.x + to.width) };
    if from.column.abs_diff(to.column) == 1 {
        let bend = (tx - sx) / 2.0;
        let d = format!(
            "M{},{} C{},{} {},{} {},{}",
            num(sx),
            num(fy),
            num(sx + bend),
            num(fy),
            num(tx - bend),
            num(ty),
            num(tx),
            num(ty)
        );
        return (d, (f64::midpoint(sx, tx), f64::midpoint(fy, ty)));
    }
    // The lane: the gap between rows closest to both ends.
    let lane = (0..=rows_above(fy.max(ty)))
        .map(lane_y)
        .min_by(|a, b| ((a - fy).abs() + (a - ty).abs()).total_cmp(&((b - fy).abs() + (b - ty).abs())))
        .unwrap_or(fy);
    let (first, last) = if forwards { (from.column + 1, to.column - 1) } else { (from.column - 1, to.column + 1) };
    let (lx, rx) = if forwards {
        (columns[first].0, columns[last].0 + columns[last].1)
    } else {
        (columns[first].0 + columns[first].1, columns[last].0)
    };
    let (enter, leave) = (f64::midpoint(sx, lx), f64::midpoint(rx, tx));
    let d = format!(
        "M{},{} C{},{} {},{} {},{} L{},{} C{},{} {},{} {},{}",
        num(sx),
        num(fy),
        num(enter),
        num(fy),
        num(enter),
        num(lane),
        num(lx),
        num(lane),
        num(rx),
        num(lane),
        num(leave),
        num(lane),
        num(leave),
        num(ty),
        num(tx),
        num(ty)
    );
    (d, (f64::midpoint(rx, tx), f64::midpoint(lane, ty)))
}

/// The y of the gap above row `k` (row 0: between the titles and the first row).
fn lane_y(k: usize) -> f64 {
    MARGIN + HEADER + row_offset(k) - ROW_GAP / 2.0
}

/// The number of the first row gap below `bottom`: lanes further down are never closer.
fn rows_above(bottom: f64) -> usize {
    let mut k = 0;
    while lane_y(k) < bottom {
        k += 1;
    }
    k
}

/// A coordinate with at most one decimal, the same on every platform.
fn num(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_string)
}

/// Text safe in XML character data and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Not allowed in XML 1.0 at all.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_drops_what_xml_forbids() {
        assert_eq!(escape("a<b>&\"c'\u{1}"), "a&lt;b&gt;&amp;&quot;c&apos;\u{fffd}");
    }

    #[test]
    fn numbers_print_the_same_everywhere() {
        assert_eq!(num(12.0), "12");
        assert_eq!(num(12.26), "12.3");
    }
}
