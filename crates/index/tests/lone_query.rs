//! A lone IVF query (a batch of one): the search allocates its result and nothing else,
//! counted on the thread that runs it, and returns, bit for bit, its row of a batch.

mod common;

use common::*;
use ferrofaiss_index::{index_factory, Index, MetricType, SearchParams};

const FACTORIES: [&str; 3] = ["IVF3,Flat", "IVF3,SQ8", "IVF3,SQfp16"];

/// Every factory under both metrics, each index with three lists of about 1,700
/// vectors (longer than the scan's chunk of 1,024), values on a coarse grid so that
/// many distances tie.
fn built(d: usize) -> Vec<(&'static str, MetricType, Box<dyn Index>)> {
    let xb = small_ints(5000, d, 4, 21);
    let mut all = Vec::new();
    for spec in FACTORIES {
        for metric in [MetricType::L2, MetricType::InnerProduct] {
            let mut index = index_factory(d, spec, metric).unwrap();
            index.train(&xb).unwrap();
            index.add(&xb).unwrap();
            all.push((spec, metric, index));
        }
    }
    all
}

#[test]
fn a_lone_query_allocates_only_its_result() {
    let d = 20;
    let xq = uniform(12, d, 22);
    for (spec, metric, index) in built(d) {
        for threads in [1, 2] {
            with_threads(threads, || {
                for (nprobe, k) in [(1, 5), (2, 10), (3, 40)] {
                    let p = SearchParams::with_nprobe(nprobe);
                    // The first search on a thread sets up what it keeps.
                    index.search(&xq[..d], k, Some(&p)).unwrap();
                    for query in xq.chunks(d) {
                        let mut labels = Vec::new();
                        let info = allocation_counter::measure(|| {
                            labels = index.search(query, k, Some(&p)).unwrap().labels;
                        });
                        // The result's distances and labels.
                        assert_eq!(info.count_total, 2, "{spec} {metric:?} {threads} {nprobe}");
                        assert_eq!(labels.len(), k);
                    }
                }
            });
        }
    }
}

/// A batch of 40 is scanned list by list (f32 rows, f16 codes, 8-bit codes through
/// their integer candidates); a batch of 3 on 4 threads, one query at a time.
#[test]
fn a_lone_query_equals_its_row_of_a_batch_bit_for_bit() {
    let d = 20;
    let xq = uniform(40, d, 23);
    for (spec, metric, index) in built(d) {
        for (nprobe, k) in [(1, 7), (2, 30), (5, 3)] {
            let p = SearchParams::with_nprobe(nprobe);
            let batch = with_threads(1, || index.search(&xq, k, Some(&p)).unwrap());
            // Fewer queries than threads: each scanned alone, one heap reused.
            let few = with_threads(4, || index.search(&xq[..3 * d], k, Some(&p)).unwrap());
            assert_eq!(
                few.labels,
                batch.labels[..3 * k],
                "{spec} {metric:?} {nprobe}"
            );
            assert_eq!(
                few.distances,
                batch.distances[..3 * k],
                "{spec} {metric:?} {nprobe}"
            );
            for threads in [1, 2] {
                with_threads(threads, || {
                    for (q, query) in xq.chunks(d).enumerate() {
                        let lone = index.search(query, k, Some(&p)).unwrap();
                        let row = q * k..(q + 1) * k;
                        let what = format!("{spec} {metric:?} nprobe {nprobe} query {q}");
                        assert_eq!(lone.labels, batch.labels[row.clone()], "{what}");
                        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                        assert_eq!(bits(&lone.distances), bits(&batch.distances[row]), "{what}");
                    }
                });
            }
        }
    }
}
