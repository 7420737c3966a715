//! `ferrofaiss demo` runs the whole notebook offline and prints every section.

mod support;

use support::*;

/// The notebook's sections, as the demo heads them.
const HEADINGS: [&str; 9] = [
    "## Load, split and index the text (afrom_documents)",
    "## Similarity search",
    "## Similarity search with score",
    "## Similarity search by vector",
    "## Saving and loading",
    "## Serializing and de-serializing to bytes",
    "## Merging",
    "## Similarity search with filtering",
    "## Delete",
];

/// The text between heading `i` and the next one.
fn section(stdout: &str, i: usize) -> &str {
    let start = stdout
        .find(&format!("\n{}\n", HEADINGS[i]))
        .unwrap_or_else(|| panic!("heading {:?} missing:\n{stdout}", HEADINGS[i]));
    let body = &stdout[start + HEADINGS[i].len() + 2..];
    match HEADINGS.get(i + 1) {
        Some(next) => &body[..body.find(&format!("\n{next}\n")).expect("next heading")],
        None => body,
    }
}

#[test]
fn demo_runs_every_notebook_section_offline() {
    let tmp = tempfile::tempdir().unwrap();
    // From an empty folder: the built-in copy of the text is used.
    let run = run(ferrofaiss().arg("demo").current_dir(tmp.path())).ok();
    let out = &run.stdout;
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    // Headings in order.
    let positions: Vec<usize> = HEADINGS
        .iter()
        .map(|h| out.find(&format!("\n{h}\n")).expect(h))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");

    assert!(section(out, 0).contains("42 chunks"), "{}", section(out, 0));
    assert!(section(out, 1).contains("Ketanji Brown Jackson"));
    assert_eq!(
        section(out, 2)
            .lines()
            .filter(|l| l.starts_with("score "))
            .count(),
        4
    );
    assert!(section(out, 4).contains("load_local: 42 documents"));
    assert!(section(out, 4).contains("top result matches"));
    assert!(section(out, 5).contains("deserialize_from_bytes: 42 documents"));
    assert!(section(out, 5).contains("top result matches"));

    let merging = section(out, 6);
    let dicts: Vec<&str> = merging
        .lines()
        .filter(|l| l.contains("docstore._dict"))
        .collect();
    assert_eq!(dicts.len(), 3, "{merging}");
    assert!(dicts[2].contains("\"foo\"") && dicts[2].contains("\"bar\""));

    let filtering = section(out, 7);
    // Filtered on page 1: only page-1 documents, and "foo" first.
    let filtered = filtering
        .split("filter={\"page\": 1}):\n")
        .nth(1)
        .expect("filtered block");
    let first_block: Vec<&str> = filtered.lines().take_while(|l| !l.is_empty()).collect();
    assert_eq!(first_block.len(), 2, "{filtering}");
    assert!(first_block[0].starts_with("Content: foo, Metadata: {\"page\":1}"));
    assert!(first_block.iter().all(|l| l.contains("{\"page\":1}")));

    let delete = section(out, 8);
    assert!(delete.contains("count before: 8"));
    assert!(delete.contains("count after: 7"));
    assert!(delete.contains("no longer returns the deleted id"));
}

#[test]
fn demo_runs_on_an_openai_compatible_server_and_fails_cleanly_without_one() {
    let server = support::openai_server::start();
    let ok = run(ferrofaiss()
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", &server.base_url)
        .args(["demo", "--embedder", "openai"]))
    .ok();
    for h in HEADINGS {
        assert!(ok.stdout.contains(&format!("\n{h}\n")), "{h} missing");
    }
    assert!(ok.stdout.contains("openai(model="));
    assert!(!server.models.lock().unwrap().is_empty());

    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let failed = run(ferrofaiss()
        .env("OPENAI_API_KEY", "sk-local")
        .env("OPENAI_BASE_URL", format!("http://127.0.0.1:{closed}/v1"))
        .args(["demo", "--embedder", "openai"]));
    // The demo prints its first heading before embedding; the error is one line.
    assert_eq!(failed.code, Some(2), "{failed:?}");
    assert_eq!(failed.stderr.lines().count(), 1, "{failed:?}");
    assert!(failed.stderr.contains("unreachable"), "{failed:?}");
    assert!(!failed.stderr.contains("panicked"));
}
