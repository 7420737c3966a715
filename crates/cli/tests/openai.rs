//! The OpenAI embedder end to end through the CLI, against a local OpenAI-compatible
//! server: the folder records the model, `search` rebuilds that embedder by itself
//! and refuses another.

mod support;

use std::fs;

use support::openai_server;
use support::*;

#[test]
fn an_openai_index_is_searched_with_its_recorded_model() {
    let server = openai_server::start();
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    fs::create_dir(&docs).unwrap();
    fs::write(docs.join("a.txt"), "Apples are red and crisp.").unwrap();
    fs::write(docs.join("b.txt"), "Bananas are yellow and soft.").unwrap();
    fs::write(docs.join("c.txt"), "Cherries are dark and sweet.").unwrap();
    let dir = tmp.path().join("idx");
    let with_server = |cmd: &mut std::process::Command| {
        cmd.env("OPENAI_API_KEY", "sk-local")
            .env("OPENAI_BASE_URL", &server.base_url);
    };

    let mut index = ferrofaiss();
    with_server(&mut index);
    index.args([
        "index".as_ref(),
        docs.as_os_str(),
        "--out".as_ref(),
        dir.as_os_str(),
        "--embedder".as_ref(),
        "openai".as_ref(),
        "--openai-model".as_ref(),
        "local-model".as_ref(),
    ]);
    run(&mut index).ok();

    let info = ff(["info".as_ref(), dir.as_os_str(), "--json".as_ref()])
        .ok()
        .json();
    assert_eq!(info["embedder"], "openai(model=local-model)");
    assert_eq!(info["dimension"], openai_server::DIM);
    assert_eq!(info["documents"], 3);

    // No --embedder: the recorded one (OpenAI, local-model) embeds the query.
    let requests_before = server.models.lock().unwrap().len();
    let mut search = ferrofaiss();
    with_server(&mut search);
    search.args([
        "search".as_ref(),
        dir.as_os_str(),
        "yellow bananas".as_ref(),
        "--json".as_ref(),
    ]);
    let found = run(&mut search).ok().json();
    assert_eq!(
        found["results"][0]["page_content"],
        "Bananas are yellow and soft."
    );
    assert_eq!(found["embedder"], "openai(model=local-model)");
    let models = server.models.lock().unwrap().clone();
    assert!(
        models.len() > requests_before,
        "the query went to the server"
    );
    assert!(models.iter().all(|m| m == "local-model"), "{models:?}");

    // Asking for the hashing embedder is refused.
    ff([
        "search".as_ref(),
        dir.as_os_str(),
        "bananas".as_ref(),
        "--embedder".as_ref(),
        "hashing".as_ref(),
    ])
    .fails_with("was indexed with embedder openai(model=local-model)");
    // So is OpenAI with another model.
    let mut other = ferrofaiss();
    with_server(&mut other);
    other.args([
        "search".as_ref(),
        dir.as_os_str(),
        "bananas".as_ref(),
        "--embedder".as_ref(),
        "openai".as_ref(),
        "--openai-model".as_ref(),
        "other-model".as_ref(),
    ]);
    run(&mut other).fails_with("openai(model=other-model)");
    // Without the key, the recorded embedder cannot be rebuilt: a clear message.
    ff(["search".as_ref(), dir.as_os_str(), "bananas".as_ref()]).fails_with("OPENAI_API_KEY");
}
