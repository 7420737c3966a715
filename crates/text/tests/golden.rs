//! The text crate's golden runner: every case file in `fixtures/golden/cases` made of
//! loader and splitter ops (`split_text`, `split_documents`, `splitter_init`,
//! `split_file`, `load_text`) is one trial, `golden_<file stem>`, compared with what
//! LangChain recorded (the splitter's log records included). Harness, ownership and
//! bookkeeping: `ferrofaiss-golden`.

#[path = "golden/ops.rs"]
mod ops;

fn main() {
    ferrofaiss_golden::main_stateless(ferrofaiss_golden::Owner::Text, ops::run_op)
}
