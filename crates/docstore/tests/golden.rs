//! The docstore's golden runner: every case file in `fixtures/golden/cases` made of
//! docstore ops (`filter_eval`) is one trial, `golden_<file stem>`, compared with what
//! LangChain recorded. Harness, ownership and bookkeeping: `ferrofaiss-golden`.

#[path = "golden/ops.rs"]
mod ops;

fn main() {
    ferrofaiss_golden::main_stateless(ferrofaiss_golden::Owner::Docstore, ops::run_op)
}
