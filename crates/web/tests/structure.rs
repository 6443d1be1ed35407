//! The shape of the `web` crate, checked from its source text:
//!
//! - no two files import each other in a loop, directly or through others
//!   (a `mod.rs` may name its children; a child never reaches back up);
//! - handlers (the API, the pages, the identity provider's endpoints, the
//!   extractors and the health checks) never name the store: they call the
//!   services under `services/`, which do.
//!
//! The source is read as tokens (comments and literals blanked out), `use`
//! trees are expanded, and every path that starts at `crate`, `super`, `self`
//! or a child module is resolved to the file that defines its longest known
//! module prefix.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A module of the crate: where it lives and which file holds it.
#[derive(Debug)]
struct Module {
    file: String,
}

/// One reference from a file to a path of the crate.
#[derive(Debug, Clone)]
struct Reference {
    from: String,
    to: String,
    path: String,
}

#[test]
fn no_file_imports_another_in_a_loop() {
    let crate_src = src_dir();
    let files = rust_files(&crate_src);
    let (modules, references) = read_crate(&crate_src, &files);
    assert!(modules.len() > 10, "the crate's modules were not found");

    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for r in &references {
        if r.from != r.to {
            edges
                .entry(r.from.clone())
                .or_default()
                .entry(r.to.clone())
                .or_insert_with(|| r.path.clone());
        }
    }
    let nodes: Vec<String> = files.iter().map(|f| relative(&crate_src, f)).collect();
    let loops: Vec<Vec<String>> = strongly_connected(&nodes, &edges)
        .into_iter()
        .filter(|c| c.len() > 1)
        .collect();
    if !loops.is_empty() {
        let mut report = String::new();
        for component in &loops {
            report.push_str(&format!(
                "\nthese {} files import each other in a loop:\n",
                component.len()
            ));
            let inside: BTreeSet<&String> = component.iter().collect();
            for from in component {
                for (to, path) in edges.get(from).into_iter().flatten() {
                    if inside.contains(to) {
                        report.push_str(&format!("  {from} -> {to}   ({path})\n"));
                    }
                }
            }
        }
        panic!("{report}");
    }
}

#[test]
fn handlers_never_name_the_store() {
    let crate_src = src_dir();
    let mut offences = Vec::new();
    let mut handlers = 0;
    for file in rust_files(&crate_src) {
        let name = relative(&crate_src, &file);
        let is_handler = ["api/", "pages/", "oidc/", "auth/"]
            .iter()
            .any(|area| name.starts_with(area))
            || name == "health.rs";
        if !is_handler {
            continue;
        }
        handlers += 1;
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let blank = blank_out(&text);
        for (line_no, line) in blank.lines().enumerate() {
            if tokens(line).iter().any(|t| t == "store") {
                offences.push(format!(
                    "{name}:{}: {}",
                    line_no + 1,
                    text.lines().nth(line_no).unwrap_or("").trim()
                ));
            }
        }
    }
    assert!(handlers > 10, "the handlers' files were not found");
    assert!(
        offences.is_empty(),
        "handlers name the store (they should call a service under services/):\n{}",
        offences.join("\n")
    );
}

/// The loop check finds a real loop: two files of a made-up crate that
/// import each other, and one that a child closes through its parent.
#[test]
fn the_loop_check_sees_loops() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let src = dir.path();
    let write = |name: &str, text: &str| {
        let path = src.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("directory");
        std::fs::write(path, text).expect("write");
    };
    write("lib.rs", "mod a;\nmod b;\nmod p;\n");
    write("a.rs", "use crate::b::{Thing, other::More};\n");
    write(
        "b.rs",
        "// crate::a is named in a comment only\npub fn f() { crate::a::g(\"crate::p\") }\n",
    );
    write(
        "p/mod.rs",
        "mod c;\npub fn router() { c::handler() }\npub struct Ctx;\n",
    );
    write(
        "p/c.rs",
        "use super::Ctx;\npub fn handler() {}\n#[cfg(test)]\nmod tests { use super::handler; }\n",
    );
    let files = rust_files(src);
    let (_, references) = read_crate(src, &files);
    let edges: BTreeSet<(String, String)> = references
        .iter()
        .filter(|r| r.from != r.to)
        .map(|r| (r.from.clone(), r.to.clone()))
        .collect();
    let expect = |from: &str, to: &str| {
        assert!(
            edges.contains(&(from.to_string(), to.to_string())),
            "{from} -> {to} missing from {edges:?}"
        )
    };
    expect("a.rs", "b.rs");
    expect("b.rs", "a.rs");
    expect("p/mod.rs", "p/c.rs");
    expect("p/c.rs", "p/mod.rs");
    assert!(
        !edges.contains(&("b.rs".into(), "p/mod.rs".into())),
        "a string is not a path"
    );
    assert!(
        !edges.contains(&("lib.rs".into(), "a.rs".into())),
        "`mod a;` is not a use"
    );
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn relative(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The module path a file defines: `lib.rs` → `[]`, `a/mod.rs` and `a.rs` →
/// `[a]`, `a/b.rs` → `[a, b]`.
fn module_of(name: &str) -> Vec<String> {
    let trimmed = name.trim_end_matches(".rs");
    let mut parts: Vec<String> = trimmed.split('/').map(str::to_string).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// Reads every file: the modules (files and inline `mod x { … }`) and the
/// references between them.
fn read_crate(root: &Path, files: &[PathBuf]) -> (BTreeMap<Vec<String>, Module>, Vec<Reference>) {
    let mut modules = BTreeMap::new();
    let mut parsed = Vec::new();
    for file in files {
        let name = relative(root, file);
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let toks = tokens(&blank_out(&text));
        let base = module_of(&name);
        modules.insert(base.clone(), Module { file: name.clone() });
        // inline modules belong to this file
        let (inline, paths) = walk(&base, &toks);
        for m in inline {
            modules.insert(m, Module { file: name.clone() });
        }
        parsed.push((name, paths));
    }

    let mut references = Vec::new();
    for (name, paths) in &parsed {
        for (module, path) in paths {
            if let Some(target) = absolutise(module, path, &modules)
                .and_then(|absolute| longest_module(&absolute, &modules))
            {
                references.push(Reference {
                    from: name.clone(),
                    to: target.file.clone(),
                    path: path.join("::"),
                });
            }
        }
    }
    (modules, references)
}

/// A module's (or a path's) segments.
type ModulePath = Vec<String>;

/// The inline modules (`mod x { … }`) of a file's tokens, and every path in
/// them with the module it is written in: the expanded `use` trees and the
/// other paths of two or more segments.
fn walk(base: &[String], toks: &[String]) -> (Vec<ModulePath>, Vec<(ModulePath, ModulePath)>) {
    let mut inline = Vec::new();
    let mut out = Vec::new();
    let mut stack: Vec<(Vec<String>, usize)> = vec![(base.to_vec(), 0)];
    let mut depth = 0usize;
    let mut i = 0;
    while i < toks.len() {
        let here = stack.last().map(|(m, _)| m.clone()).unwrap_or_default();
        match toks[i].as_str() {
            "{" => depth += 1,
            "}" => {
                depth = depth.saturating_sub(1);
                if stack.len() > 1 && stack.last().is_some_and(|(_, d)| *d == depth) {
                    stack.pop();
                }
            }
            "mod" if i + 2 < toks.len() && toks[i + 2] == "{" => {
                let mut m = here.clone();
                m.push(toks[i + 1].clone());
                inline.push(m.clone());
                stack.push((m, depth + 1));
                depth += 1;
                i += 3;
                continue;
            }
            "mod" => {
                // `mod x;` declares a child; it is not a use
                i += 2;
                continue;
            }
            "use" => {
                let end = toks[i..]
                    .iter()
                    .position(|t| t == ";")
                    .map_or(toks.len(), |p| i + p);
                for p in expand_use(&toks[i + 1..end]) {
                    out.push((here.clone(), p));
                }
                i = end + 1;
                continue;
            }
            t if is_ident(t) && toks.get(i + 1).is_some_and(|n| n == "::") => {
                let preceded_by_colons = i > 0 && toks[i - 1] == "::";
                if !preceded_by_colons {
                    let mut path = vec![t.to_string()];
                    let mut j = i + 1;
                    while j + 1 < toks.len() && toks[j] == "::" && is_ident(&toks[j + 1]) {
                        path.push(toks[j + 1].clone());
                        j += 2;
                    }
                    out.push((here.clone(), path));
                    i = j;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    (inline, out)
}

/// `a::{b, c::{d as e, *}}` → `a::b`, `a::c::d`, `a::c`.
fn expand_use(toks: &[String]) -> Vec<Vec<String>> {
    fn tree(toks: &[String], i: &mut usize, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let mut path = prefix.to_vec();
        while *i < toks.len() {
            let t = toks[*i].as_str();
            match t {
                "::" => *i += 1,
                "{" => {
                    *i += 1;
                    loop {
                        tree(toks, i, &path, out);
                        match toks.get(*i).map(String::as_str) {
                            Some(",") => *i += 1,
                            Some("}") => {
                                *i += 1;
                                break;
                            }
                            _ => break,
                        }
                        if toks.get(*i).is_some_and(|t| t == "}") {
                            *i += 1;
                            break;
                        }
                    }
                    return;
                }
                "*" => {
                    *i += 1;
                    out.push(path);
                    return;
                }
                "as" => {
                    *i += 2;
                    out.push(path);
                    return;
                }
                "," | "}" => {
                    if path.len() > prefix.len() {
                        out.push(path);
                    }
                    return;
                }
                "self" if !prefix.is_empty() && path.len() == prefix.len() => {
                    out.push(path.clone());
                    *i += 1;
                }
                _ if is_ident(t) => {
                    path.push(t.to_string());
                    *i += 1;
                }
                _ => *i += 1,
            }
        }
        if path.len() > prefix.len() {
            out.push(path);
        }
    }
    // skip a visibility such as `pub(crate)` before the tree
    let mut start = 0;
    if toks.first().is_some_and(|t| t == "pub") {
        start = 1;
        if toks.get(1).is_some_and(|t| t == "(") {
            while start < toks.len() && toks[start] != ")" {
                start += 1;
            }
            start += 1;
        }
    }
    let mut out = Vec::new();
    let mut i = start;
    tree(toks, &mut i, &[], &mut out);
    out
}

/// Makes `path`, written inside `module`, absolute within the crate; `None`
/// for paths into other crates or to items of the language.
fn absolutise(
    module: &[String],
    path: &[String],
    modules: &BTreeMap<Vec<String>, Module>,
) -> Option<Vec<String>> {
    let first = path.first()?;
    let mut here = module.to_vec();
    let mut rest = path;
    match first.as_str() {
        "crate" => {
            here.clear();
            rest = &path[1..];
        }
        "self" => rest = &path[1..],
        "super" => {
            while rest.first().is_some_and(|s| s == "super") {
                here.pop();
                rest = &rest[1..];
            }
        }
        _ => {
            // a child module of the one it is written in
            let mut child = module.to_vec();
            child.push(first.clone());
            if !modules.contains_key(&child) {
                return None;
            }
        }
    }
    here.extend(rest.iter().cloned());
    Some(here)
}

fn longest_module<'m>(
    path: &[String],
    modules: &'m BTreeMap<Vec<String>, Module>,
) -> Option<&'m Module> {
    (0..=path.len()).rev().find_map(|n| modules.get(&path[..n]))
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
}

/// Identifiers, `::` and single punctuation characters.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        } else if c == ':' && chars.get(i + 1) == Some(&':') {
            out.push("::".to_string());
            i += 2;
        } else if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else {
            out.push(c.to_string());
            i += 1;
        }
    }
    out
}

/// The text with comments and the contents of string and character literals
/// replaced by spaces (line breaks kept, so line numbers hold).
fn blank_out(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut level = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    level += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    level -= 1;
                    out.push_str("  ");
                    i += 2;
                    if level == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if (c == 'r' || (c == 'b' && next == Some('r')))
            && !prev_is_ident(&chars, i)
            && raw_string_start(&chars, if c == 'b' { i + 1 } else { i }).is_some()
        {
            let at = if c == 'b' { i + 1 } else { i };
            let hashes = raw_string_start(&chars, at).unwrap_or(0);
            // r, hashes, quote
            let open_end = at + 1 + hashes + 1;
            while i < open_end {
                out.push(' ');
                i += 1;
            }
            loop {
                if i >= chars.len() {
                    break;
                }
                if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
                    for _ in 0..=hashes {
                        out.push(' ');
                    }
                    i += hashes + 1;
                    break;
                }
                out.push(blank(chars[i]));
                i += 1;
            }
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // a character literal, or a lifetime (left as it is)
            if next == Some('\\') {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                for _ in i..=j.min(chars.len() - 1) {
                    out.push(' ');
                }
                i = j + 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                out.push_str("   ");
                i += 3;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn prev_is_ident(chars: &[char], i: usize) -> bool {
    i > 0 && (chars[i - 1].is_ascii_alphanumeric() || chars[i - 1] == '_')
}

/// At `r`, the number of `#` of a raw string's opening, if one starts here.
fn raw_string_start(chars: &[char], at: usize) -> Option<usize> {
    if chars.get(at) != Some(&'r') {
        return None;
    }
    let mut k = at + 1;
    while chars.get(k) == Some(&'#') {
        k += 1;
    }
    (chars.get(k) == Some(&'"')).then_some(k - at - 1)
}

/// Tarjan's strongly connected components.
fn strongly_connected(
    nodes: &[String],
    edges: &BTreeMap<String, BTreeMap<String, String>>,
) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeMap<String, String>>,
        index: BTreeMap<String, usize>,
        low: BTreeMap<String, usize>,
        on_stack: BTreeSet<String>,
        stack: Vec<String>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit(s: &mut State<'_>, v: &str) {
        s.index.insert(v.to_string(), s.next);
        s.low.insert(v.to_string(), s.next);
        s.next += 1;
        s.stack.push(v.to_string());
        s.on_stack.insert(v.to_string());
        let targets: Vec<String> = s
            .edges
            .get(v)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        for w in targets {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let lw = s.low[&w];
                let lv = s.low[v];
                s.low.insert(v.to_string(), lv.min(lw));
            } else if s.on_stack.contains(&w) {
                let iw = s.index[&w];
                let lv = s.low[v];
                s.low.insert(v.to_string(), lv.min(iw));
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(&w);
                let done = w == v;
                component.push(w);
                if done {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        on_stack: BTreeSet::new(),
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for n in nodes {
        if !s.index.contains_key(n) {
            visit(&mut s, n);
        }
    }
    s.out
}

/// The crate graph in `ARCHITECTURE.md` is the one the manifests declare.
#[test]
fn the_architecture_map_shows_the_crate_graph() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let block = map
        .split("<!-- crate-graph -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- /crate-graph -->").next())
        .expect("a crate-graph block in ARCHITECTURE.md");
    let mut drawn: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in block.lines().filter(|l| !l.starts_with("```")) {
        if let Some((from, to)) = line.split_once("──►") {
            let deps = to.split(',').map(|d| d.trim().to_string()).collect();
            drawn.insert(from.trim().to_string(), deps);
        } else if let Some((names, _)) = line.split_once(':') {
            for name in names.split(',') {
                drawn.insert(name.trim().to_string(), BTreeSet::new());
            }
        }
    }

    let crates_dir = root.join("crates");
    let members: BTreeSet<String> = std::fs::read_dir(&crates_dir)
        .expect("crates/")
        .flatten()
        .filter(|e| e.path().join("Cargo.toml").exists())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for member in &members {
        let manifest = std::fs::read_to_string(crates_dir.join(member).join("Cargo.toml"))
            .expect("a manifest");
        let mut section = String::new();
        let mut deps = BTreeSet::new();
        for line in manifest.lines() {
            let line = line.trim();
            if line.starts_with('[') {
                section = line.to_string();
            } else if section == "[dependencies]" {
                let name = line.split(['.', ' ', '=']).next().unwrap_or("");
                if members.contains(name) {
                    deps.insert(name.to_string());
                }
            }
        }
        declared.insert(member.clone(), deps);
    }
    assert_eq!(
        drawn, declared,
        "ARCHITECTURE.md's crate graph (left) differs from the manifests (right)"
    );
}
