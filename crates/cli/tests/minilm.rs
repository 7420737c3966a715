//! `--embedder minilm` through the CLI. With the `minilm` feature: the SOTU text
//! indexed with all-MiniLM-L6-v2 answers the notebook's question with the Ketanji
//! Brown Jackson chunk, `search` rebuilds MiniLM by itself and refuses another
//! embedder, and a missing model is one clear line. Without the feature: asking for
//! MiniLM is one line saying how to rebuild.
//!
//! The model is found as the program finds it (`FERROFAISS_MODEL_DIR`, the caches);
//! get it with `bash scripts/fetch-minilm.sh`. Tests that need it are skipped, with a
//! message, when it is missing, except under `CI=true`, where that is a failure.

mod support;

/// Where MiniLM must not be found.
const NO_MODEL: &str = "/nonexistent/ferrofaiss-cli-test-minilm-model";

/// A folder saved by `ferrofaiss index --embedder minilm` from three one-line files
/// (cat.txt: a cat on a windowsill; markets.txt: stock markets and interest rates;
/// bread.txt: kneading and baking a loaf).
const SAVED_MINILM_INDEX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/minilm-index");

/// The recorded name of the embedder that built [`SAVED_MINILM_INDEX`].
const SAVED_MINILM_NAME: &str =
    "minilm(model=sentence-transformers/all-MiniLM-L6-v2,dim=384,max_seq_length=256)";

#[cfg(feature = "minilm")]
mod with_feature {
    use std::path::PathBuf;

    use super::support::*;
    use super::NO_MODEL;

    /// The model folder, or `None` (after saying why) when the test must be skipped.
    fn model_dir() -> Option<PathBuf> {
        match ferrofaiss::embeddings::ModelLocator::from_env(None).locate() {
            Ok(dir) => Some(dir),
            Err(e) if std::env::var("CI").as_deref() == Ok("true") => {
                panic!("CI=true but the MiniLM model is missing: {e}")
            }
            Err(e) => {
                eprintln!("skipping: the MiniLM model is not available ({e})");
                None
            }
        }
    }

    fn search(dir: &std::path::Path, extra: &[&str]) -> Run {
        let mut cmd = ferrofaiss();
        cmd.args([
            "search".as_ref(),
            dir.as_os_str(),
            KETANJI.as_ref(),
            "-k".as_ref(),
            "4".as_ref(),
            "--json".as_ref(),
        ]);
        cmd.args(extra);
        run(&mut cmd)
    }

    fn assert_ketanji_first(found: &serde_json::Value) {
        let top = found["results"][0]["page_content"]
            .as_str()
            .expect("a first result");
        assert!(top.contains("Ketanji Brown Jackson"), "top result: {top}");
        assert!(
            found["embedder"]
                .as_str()
                .is_some_and(|e| e.starts_with("minilm(")),
            "{found}"
        );
    }

    #[test]
    fn a_minilm_index_answers_the_ketanji_question_and_refuses_other_embedders() {
        let Some(model) = model_dir() else { return };
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("idx");
        let indexed = run(ferrofaiss().args([
            "index".as_ref(),
            SOTU.as_ref(),
            "--out".as_ref(),
            dir.as_os_str(),
            "--embedder".as_ref(),
            "minilm".as_ref(),
            "--model-dir".as_ref(),
            model.as_os_str(),
        ]))
        .ok();
        assert!(
            indexed.stdout.contains("embedder minilm(") && indexed.stdout.contains("dimension 384"),
            "{indexed:?}"
        );

        // No --embedder: the recorded one (MiniLM) is rebuilt and embeds the query.
        assert_ketanji_first(&search(&dir, &[]).ok().json());
        // Naming it, with another batch size, finds the same.
        assert_ketanji_first(
            &search(&dir, &["--embedder", "minilm", "--batch-size", "3"])
                .ok()
                .json(),
        );
        // Another embedder is refused.
        search(&dir, &["--embedder", "hashing"]).fails_with(
            "was indexed with embedder minilm(model=sentence-transformers/all-MiniLM-L6-v2",
        );
        // The recorded embedder cannot be rebuilt from a folder without the model.
        search(&dir, &["--model-dir", NO_MODEL]).fails_with(NO_MODEL);
    }

    #[test]
    fn a_saved_minilm_index_is_searched_by_meaning() {
        if model_dir().is_none() {
            return;
        }
        for (query, source) in [
            ("how do I make bread at home", "bread.txt"),
            ("my pet kitten", "cat.txt"),
            ("finance news", "markets.txt"),
        ] {
            let found = ff([
                "search",
                super::SAVED_MINILM_INDEX,
                query,
                "-k",
                "1",
                "--json",
            ])
            .ok()
            .json();
            assert_eq!(found["embedder"], super::SAVED_MINILM_NAME);
            assert_eq!(found["results"][0]["metadata"]["source"], source, "{query}");
        }
    }

    #[test]
    fn the_demo_runs_on_minilm() {
        let Some(model) = model_dir() else { return };
        let out = run(ferrofaiss().args([
            "demo".as_ref(),
            "--embedder".as_ref(),
            "minilm".as_ref(),
            "--model-dir".as_ref(),
            model.as_os_str(),
        ]))
        .ok();
        assert!(out.stdout.contains("embedder minilm("), "{out:?}");
        let answer = out
            .stdout
            .split("## Similarity search\n")
            .nth(1)
            .and_then(|rest| rest.split("\n## ").next())
            .expect("a similarity search section");
        assert!(answer.contains("Ketanji Brown Jackson"), "{answer}");
    }

    #[test]
    fn a_missing_model_is_one_line_saying_how_to_get_it() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("idx");
        let failed = ff([
            "index".as_ref(),
            SOTU.as_ref(),
            "--out".as_ref(),
            dir.as_os_str(),
            "--embedder".as_ref(),
            "minilm".as_ref(),
            "--model-dir".as_ref(),
            NO_MODEL.as_ref(),
        ])
        .fails_with("fetch-minilm");
        assert!(failed.stderr.contains(NO_MODEL), "{failed:?}");
        assert!(!dir.exists(), "nothing is saved");
    }
}

#[cfg(not(feature = "minilm"))]
mod without_feature {
    use super::support::*;
    use super::{NO_MODEL, SAVED_MINILM_INDEX, SAVED_MINILM_NAME};

    #[test]
    fn a_minilm_folder_without_the_feature_is_described_but_not_searched() {
        let info = ff(["info", SAVED_MINILM_INDEX, "--json"]).ok().json();
        assert_eq!(info["embedder"], SAVED_MINILM_NAME);
        assert_eq!(info["documents"], 3);
        assert_eq!(info["dimension"], 384);
        let refused =
            ff(["search", SAVED_MINILM_INDEX, "my pet kitten"]).fails_with("--features minilm");
        assert!(refused.stderr.contains(SAVED_MINILM_NAME), "{refused:?}");
    }

    #[test]
    fn minilm_without_the_feature_says_how_to_rebuild() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("idx");
        ff([
            "index".as_ref(),
            SOTU.as_ref(),
            "--out".as_ref(),
            dir.as_os_str(),
            "--embedder".as_ref(),
            "minilm".as_ref(),
        ])
        .fails_with("--features minilm");
        assert!(!dir.exists(), "nothing is saved");
        ff(["demo", "--embedder", "minilm"]).fails_with("cargo run --release --features minilm");

        index_sotu(&dir);
        ff([
            "search".as_ref(),
            dir.as_os_str(),
            KETANJI.as_ref(),
            "--embedder".as_ref(),
            "minilm".as_ref(),
            "--model-dir".as_ref(),
            NO_MODEL.as_ref(),
        ])
        .fails_with("--features minilm");
    }
}
