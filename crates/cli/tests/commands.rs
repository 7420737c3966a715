//! End-to-end runs of the `ferrofaiss` binary: index the State of the Union text, ask
//! the notebook's question, inspect, delete and merge.

mod support;

use std::fs;

use support::*;

#[test]
fn index_then_search_puts_the_ketanji_chunk_first() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    index_sotu(&dir);

    let doc = search_json(&dir, KETANJI, 4);
    let results = doc["results"].as_array().unwrap();
    assert_eq!(results.len(), 4);
    let top = results[0]["page_content"].as_str().unwrap();
    assert!(top.contains("Ketanji Brown Jackson"), "top chunk: {top}");
    // Exactly one of the 42 chunks names her; it is the only one returned that does.
    let naming = results
        .iter()
        .filter(|r| r["page_content"].as_str().unwrap().contains("Ketanji"))
        .count();
    assert_eq!(naming, 1);
    assert_eq!(doc["query"], KETANJI);
    assert_eq!(doc["search_type"], "similarity");
    assert_eq!(doc["distance_strategy"], "EUCLIDEAN_DISTANCE");
    // Squared L2 distances, closest first.
    let scores: Vec<f64> = results
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] <= w[1]), "{scores:?}");
    assert_eq!(results[0]["metadata"]["source"], SOTU);
    assert_eq!(results[0]["rank"], 1);

    // The text output shows the same chunk first, with its score when asked.
    let text = ff([
        "search".as_ref(),
        dir.as_os_str(),
        KETANJI.as_ref(),
        "--scores".as_ref(),
    ])
    .ok();
    let first_block = text.stdout.split("\n[2]").next().unwrap();
    assert!(first_block.starts_with("[1] id="), "{}", text.stdout);
    assert!(first_block.contains("score="));
    assert!(first_block.contains("Ketanji Brown Jackson"));
}

#[test]
fn info_describes_the_saved_index() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    index_sotu(&dir);
    let info = ff(["info".as_ref(), dir.as_os_str(), "--json".as_ref()])
        .ok()
        .json();
    assert_eq!(
        info["documents"], 42,
        "the notebook's split gives 42 chunks"
    );
    assert_eq!(info["dimension"], 1024);
    assert_eq!(info["index_type"], "IndexFlatL2");
    assert_eq!(info["distance_strategy"], "EUCLIDEAN_DISTANCE");
    assert_eq!(info["normalize_l2"], false);
    assert!(info["embedder"]
        .as_str()
        .unwrap()
        .starts_with("hashing-v1("));
    assert_eq!(info["sources"], serde_json::json!([SOTU]));
    let faiss_bytes = fs::metadata(dir.join("index.faiss")).unwrap().len();
    assert_eq!(info["files"]["faiss"]["bytes"], faiss_bytes);

    let text = ff(["info".as_ref(), dir.as_os_str()]).ok();
    assert!(text.stdout.contains("documents: 42\n"), "{}", text.stdout);
}

#[test]
fn delete_removes_the_row_from_later_searches() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    index_sotu(&dir);
    let all = result_ids(&search_json(&dir, KETANJI, 42));
    assert_eq!(all.len(), 42);
    let gone = all[0].clone();

    let out = ff(["delete".as_ref(), dir.as_os_str(), gone.as_ref()]).ok();
    assert!(out.stdout.contains("deleted 1 document"), "{}", out.stdout);

    let after = result_ids(&search_json(&dir, KETANJI, 42));
    assert_eq!(after.len(), 41);
    assert!(!after.contains(&gone));
    // The other rows keep their order.
    assert_eq!(after, all[1..].to_vec());
    let info = ff(["info".as_ref(), dir.as_os_str(), "--json".as_ref()])
        .ok()
        .json();
    assert_eq!(info["documents"], 41);

    // Deleting it again is an error that changes nothing.
    let before = snapshot(&dir);
    ff(["delete".as_ref(), dir.as_os_str(), gone.as_ref()]).fails_with(&gone);
    assert_eq!(snapshot(&dir), before);
}

#[test]
fn merge_appends_the_other_index_and_leaves_it_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    index_sotu(&a);
    let notes = tmp.path().join("notes.txt");
    fs::write(
        &notes,
        "Zebras graze on the savanna.\n\nPenguins huddle in the cold.",
    )
    .unwrap();
    ff([
        "index".as_ref(),
        notes.as_os_str(),
        "--out".as_ref(),
        b.as_os_str(),
        "--chunk-size".as_ref(),
        "40".as_ref(),
    ])
    .ok();
    let b_before = snapshot(&b);
    let b_ids = result_ids(&search_json(&b, "penguins", 2));
    assert_eq!(b_ids.len(), 2);

    let out = ff(["merge".as_ref(), a.as_os_str(), b.as_os_str()]).ok();
    assert!(out.stdout.contains("42 -> 44"), "{}", out.stdout);

    let info = ff(["info".as_ref(), a.as_os_str(), "--json".as_ref()])
        .ok()
        .json();
    assert_eq!(info["documents"], 44);
    let found = search_json(&a, "penguins huddle", 1);
    assert_eq!(
        found["results"][0]["page_content"],
        "Penguins huddle in the cold."
    );
    assert_eq!(found["results"][0]["id"], b_ids[0].as_str());
    assert_eq!(snapshot(&b), b_before, "the other index is not modified");

    // Merging the same documents twice is refused, and A stays as it is.
    let a_before = snapshot(&a);
    ff(["merge".as_ref(), a.as_os_str(), b.as_os_str()]).fails_with("already in");
    assert_eq!(snapshot(&a), a_before);
}

#[test]
fn filters_fetch_k_mmr_and_thresholds() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    fs::create_dir(&docs).unwrap();
    fs::write(docs.join("cats.txt"), "Cats purr and nap in the sun.").unwrap();
    fs::write(docs.join("dogs.txt"), "Dogs bark and fetch the ball.").unwrap();
    fs::write(
        docs.join("more_cats.txt"),
        "Cats purr loudly when they nap.",
    )
    .unwrap();
    let dir = tmp.path().join("idx");
    ff([
        "index".as_ref(),
        docs.as_os_str(),
        "--out".as_ref(),
        dir.as_os_str(),
    ])
    .ok();

    let dogs = docs.join("dogs.txt");
    let filter = serde_json::json!({ "source": dogs.display().to_string() }).to_string();
    let search = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "search".into(),
            dir.clone().into(),
            "cats purr".into(),
            "--json".into(),
        ];
        args.extend(extra.iter().map(Into::into));
        ff(args).ok().json()
    };

    // Unfiltered, the cat texts come first; filtered on the dog file, only it.
    let all = search(&[]);
    assert_eq!(all["results"].as_array().unwrap().len(), 3);
    assert!(all["results"][0]["page_content"]
        .as_str()
        .unwrap()
        .starts_with("Cats"));
    let only_dogs = search(&["--filter", &filter]);
    let results = only_dogs["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["metadata"]["source"], dogs.display().to_string());

    // fetch_k = 1 examines only the nearest row (a cat text), which the filter drops.
    let none = search(&["--filter", &filter, "--fetch-k", "1"]);
    assert_eq!(none["results"], serde_json::json!([]));
    // --exact-filter finds the dog text whatever fetch_k says.
    let exact = search(&["--filter", &filter, "--fetch-k", "1", "--exact-filter"]);
    assert_eq!(exact["exact_filter"], true);
    assert_eq!(exact["results"].as_array().unwrap().len(), 1);
    assert_eq!(
        exact["results"][0]["metadata"]["source"],
        dogs.display().to_string()
    );
    // Without a filter it is refused (exit 2, one line).
    let mut args: Vec<std::ffi::OsString> = vec![
        "search".into(),
        dir.clone().into(),
        "cats".into(),
        "--exact-filter".into(),
    ];
    args.push("--json".into());
    ff(args).fails_with("--filter");

    // MMR returns k distinct documents.
    let mmr = search(&["--mmr", "-k", "3", "--lambda", "0.5"]);
    assert_eq!(mmr["search_type"], "mmr");
    let mut ids = result_ids(&mmr);
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 3);

    // A threshold keeps raw distances at most X: between the best and the worst.
    let scores: Vec<f64> = all["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    let cut = ((scores[0] + scores[2]) / 2.0).to_string();
    let kept = search(&["--threshold", &cut]);
    let kept_scores: Vec<f64> = kept["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    let expected: Vec<f64> = scores
        .iter()
        .copied()
        .filter(|s| *s <= cut.parse().unwrap())
        .collect();
    assert_eq!(kept_scores, expected);
    assert!(!kept_scores.is_empty() && kept_scores.len() < 3);
}

#[test]
fn cosine_and_ivf_indexes_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("idx");
    ff([
        "index".as_ref(),
        SOTU.as_ref(),
        "--out".as_ref(),
        dir.as_os_str(),
        "--distance".as_ref(),
        "cosine".as_ref(),
        "--index".as_ref(),
        "IVF4,Flat".as_ref(),
        "--splitter".as_ref(),
        "recursive".as_ref(),
        "--chunk-size".as_ref(),
        "500".as_ref(),
        "--chunk-overlap".as_ref(),
        "50".as_ref(),
    ])
    .ok();
    let info = ff(["info".as_ref(), dir.as_os_str(), "--json".as_ref()])
        .ok()
        .json();
    assert_eq!(info["distance_strategy"], "MAX_INNER_PRODUCT");
    assert_eq!(info["normalize_l2"], true);
    assert_eq!(info["index_factory"], "IVF4,Flat");
    let doc = search_json(&dir, KETANJI, 3);
    let scores: Vec<f64> = doc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    // Cosine similarities: at most 1, best first.
    assert!(scores.iter().all(|s| *s <= 1.0 + 1e-5), "{scores:?}");
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

#[test]
fn an_index_saved_inside_the_indexed_folder_is_not_indexed_again() {
    let tmp = tempfile::tempdir().unwrap();
    let docs = tmp.path().join("docs");
    fs::create_dir(&docs).unwrap();
    fs::write(docs.join("a.txt"), "Apples are red.").unwrap();
    fs::write(docs.join("b.txt"), "Bananas are yellow.").unwrap();
    let out = docs.join("idx");
    let index = |extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "index".into(),
            docs.clone().into(),
            "--out".into(),
            out.clone().into(),
        ];
        args.extend(extra.iter().map(Into::into));
        ff(args)
    };
    index(&[]).ok();
    // Again over the saved index: its binary files are skipped, not read as text.
    index(&["--overwrite"]).ok();
    let info = ff(["info".as_ref(), out.as_os_str(), "--json".as_ref()])
        .ok()
        .json();
    assert_eq!(info["documents"], 2);
    let sources: Vec<String> = info["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        sources,
        [docs.join("a.txt"), docs.join("b.txt")]
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
    );
}
