//! The sample problems bundled into the binary (`assets/problems/`), so that
//! `bench` and the examples work from any folder.

/// (file name, JSON text) of each bundled sample problem.
pub const SAMPLE_PROBLEMS: [(&str, &str); 3] = [
    (
        "sine.json",
        include_str!("../../../../assets/problems/sine.json"),
    ),
    (
        "moons.json",
        include_str!("../../../../assets/problems/moons.json"),
    ),
    (
        "spiral3.json",
        include_str!("../../../../assets/problems/spiral3.json"),
    ),
];
