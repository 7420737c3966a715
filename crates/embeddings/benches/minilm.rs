//! MiniLM throughput on LangChain's State of the Union chunks (CharacterTextSplitter
//! 1000/0: 42 chunks of ~200 tokens), the workload `HuggingFaceEmbeddings` runs in the
//! seed. Criterion reports chunks/s (elements). Needs the model
//! (`scripts/fetch-minilm.sh`); without it the benchmark says so and measures nothing.
//!
//! `cargo bench -p ferrofaiss-embeddings --features minilm --bench minilm`

// criterion's macros generate undocumented public functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferrofaiss_embeddings::{MiniLmEmbeddings, ModelLocator};
use ferrofaiss_text::{CharacterTextSplitter, TextSplitter};

const SOTU: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../fixtures/state_of_the_union.txt"
);

fn sotu_chunks() -> Vec<String> {
    let text = std::fs::read_to_string(SOTU).expect("SOTU fixture");
    CharacterTextSplitter::with_sizes(1000, 0)
        .expect("splitter")
        .split_text(&text)
        .expect("split")
}

fn bench_minilm(c: &mut Criterion) {
    let dir = match ModelLocator::from_env(None).locate() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("minilm bench skipped: {e}");
            return;
        }
    };
    let model = MiniLmEmbeddings::from_dir(dir).expect("model loads");
    let chunks = sotu_chunks();
    let mut group = c.benchmark_group("minilm_sotu");
    group.sample_size(10);
    group.throughput(Throughput::Elements(chunks.len() as u64));
    for batch in [16, 32] {
        let m = model.with_batch_size(batch).expect("batch size");
        group.bench_function(format!("embed_42_chunks_batch{batch}"), |b| {
            b.iter(|| m.embed(&chunks).expect("embed"))
        });
    }
    group.bench_function("embed_query", |b| {
        b.iter(|| {
            model
                .embed(&["What did the president say about Ketanji Brown Jackson"])
                .expect("embed")
        })
    });
    group.finish();
}

criterion_group!(benches, bench_minilm);
criterion_main!(benches);
