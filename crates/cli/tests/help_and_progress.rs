//! The help texts name every factory string.

mod support;

use support::*;

/// Every factory string this build's `index_factory` accepts, as the help spells them.
const FACTORY_STRINGS: [&str; 4] = ["Flat", "IVF{nlist},Flat", "IDMap,Flat", "IDMap2,Flat"];

#[test]
fn bench_and_index_help_list_every_factory_string_with_its_braces() {
    for cmd in ["bench", "index"] {
        let help = ff([cmd, "--help"]).ok().stdout;
        let line = help
            .lines()
            .find(|l| l.contains("IVF{nlist},Flat"))
            .unwrap_or_else(|| panic!("{cmd} --help has no IVF{{nlist}},Flat:\n{help}"));
        for spec in FACTORY_STRINGS {
            assert!(line.contains(spec), "{cmd} --help lacks {spec}: {line}");
        }
        assert!(
            !help.contains("IVF\n"),
            "{cmd} --help breaks the IVF line:\n{help}"
        );
    }
    // The list is the one the factory itself reports for a string it does not know.
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("idx");
    let run = ff([
        "index".as_ref(),
        SOTU.as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--index".as_ref(),
        "HNSW32".as_ref(),
    ])
    .fails_with("HNSW32");
    assert!(run.stderr.contains(&FACTORY_STRINGS.join(", ")), "{run:?}");
}
