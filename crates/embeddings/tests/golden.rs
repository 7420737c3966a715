//! The embedders' golden runner: every case file in `fixtures/golden/cases` made of
//! embeddings ops (`embed`, `fnv1a64`) is one trial, `golden_<file stem>`, compared with what
//! LangChain recorded. Harness, ownership and bookkeeping: `ferrofaiss-golden`.

#[path = "golden/ops.rs"]
mod ops;

fn main() {
    ferrofaiss_golden::main_stateless(ferrofaiss_golden::Owner::Embeddings, ops::run_op)
}
