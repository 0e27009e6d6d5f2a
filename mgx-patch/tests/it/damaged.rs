use super::damage::{self, KINDS, Outcome, Rng};

#[test]
fn damaged_diffs_are_placed_right_or_refused_never_wrong() {
    let corpus = damage::corpus();
    assert!(
        corpus.len() >= 10,
        "the corpus is the workspace's own sources"
    );
    let mut rng = Rng(0x5EED_CAFE_F00D_1234);
    let mut lines = Vec::new();
    let (mut total_correct, mut total) = (0, 0);
    for kind in KINDS {
        let (mut correct, mut refused, mut wrong) = (0, 0, 0);
        let mut made = 0;
        let mut attempts = 0;
        while made < 150 && attempts < 5000 {
            attempts += 1;
            let source = &corpus[rng.below(corpus.len())];
            let Some(case) = damage::make(source, kind, &mut rng) else {
                continue;
            };
            made += 1;
            match damage::mgx(&case) {
                Outcome::Correct => correct += 1,
                Outcome::Refused => refused += 1,
                Outcome::Wrong => {
                    wrong += 1;
                    eprintln!("WRONG on {kind}:\n{}", case.diff);
                }
            }
        }
        lines.push(format!(
            "{kind:<20} {made:>4} cases: {correct:>4} right, {refused:>4} refused, {wrong} wrong"
        ));
        assert_eq!(wrong, 0, "{kind}: mgx-patch wrote a wrong file");
        total_correct += correct;
        total += made;
    }
    for l in &lines {
        println!("{l}");
    }
    println!("mgx-patch: {total_correct} of {total} damaged diffs placed right, 0 wrong");
    // Every kind but the ambiguous copies has a provable answer.
    assert!(
        total_correct * 10 >= total * 7,
        "most damaged diffs are still placeable: {total_correct}/{total}"
    );
}
