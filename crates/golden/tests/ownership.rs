//! Every case file in `fixtures/golden/cases` is made of known op kinds and owned by
//! exactly one crate's `golden` runner, so a new case file needs no code change.

use std::collections::BTreeMap;

use ferrofaiss_golden::{case_files, cases_dir, owner_of_kind, Case, Owner, OP_KINDS};

#[test]
fn every_op_kind_has_one_owner() {
    for (i, (kind, _)) in OP_KINDS.iter().enumerate() {
        assert!(
            !OP_KINDS[..i].iter().any(|(k, _)| k == kind),
            "op kind {kind} is listed twice"
        );
    }
    for owner in Owner::ALL {
        assert!(owner.op_kinds().count() > 0, "{owner} owns no op kind");
    }
}

#[test]
fn every_case_file_is_owned_by_exactly_one_runner() {
    let files = case_files(&cases_dir()).expect("fixtures/golden/cases is readable");
    assert!(!files.is_empty(), "no golden case files found");
    let mut problems = Vec::new();
    let mut by_owner: BTreeMap<Owner, Vec<String>> = BTreeMap::new();
    for file in &files {
        let case = match Case::load(file) {
            Ok(c) => c,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        for op in &case.ops {
            if owner_of_kind(&op.kind).is_none() {
                problems.push(format!(
                    "case {} op {}: op kind {:?} is known to no runner",
                    case.stem, op.index, op.kind
                ));
            }
        }
        match case.owner() {
            Ok(owner) => by_owner.entry(owner).or_default().push(case.stem.clone()),
            Err(e) => problems.push(e),
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let owned: usize = by_owner.values().map(Vec::len).sum();
    assert_eq!(owned, files.len(), "each case file has exactly one owner");
    for (owner, cases) in &by_owner {
        println!("{owner}: {} case files: {}", cases.len(), cases.join(", "));
    }
    // The public cases exercise every runner.
    for owner in Owner::ALL {
        assert!(by_owner.contains_key(&owner), "no case file for {owner}");
    }
}
