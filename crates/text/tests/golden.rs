//! The text crate's golden runner: every case file in `fixtures/golden/cases` made of
//! loader and splitter ops (`split_text`, `split_documents`, `splitter_init`,
//! `split_file`, `load_text`) is one trial, `golden_<file stem>`, compared with what
//! LangChain recorded (the splitter's log records included). Harness, ownership and
//! bookkeeping: `ferrofaiss-golden`.

#[path = "golden/ops.rs"]
mod ops;

use ferrofaiss_golden::{CaseCtx, CaseRunner, Harness, Op, Owner, Status};

const HARNESS: Harness = Harness {
    owner: Owner::Text,
    deviations: &[],
    deferred_ops: &[],
    ignored_fields: &[],
};

struct Runner;

impl CaseRunner for Runner {
    fn run_op(&mut self, ctx: &mut CaseCtx<'_>, op: &Op) -> Result<Status, String> {
        ops::run_op(ctx, op)
    }
}

fn main() {
    ferrofaiss_golden::main(HARNESS, || Runner)
}
